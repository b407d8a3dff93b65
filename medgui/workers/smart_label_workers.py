"""Workers for smart labelling: the grow-from-seeds preview and slice propagation.

Both take copies made on the GUI thread (the region's image and labels; the label layer), so
nothing they read changes while they run. Propagation imports the ML code inside the worker
thread, as the inference workers do, so opening the window never loads torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from superqt.utils import FunctionWorker, create_worker

from medgui.core.image.volume import Volume
from medgui.core.labels.grow_from_seeds import edge_strength, grow_region
from medgui.core.labels.labelmap import LabelMap
from medgui.workers.load_worker import ProgressWorker


def _grow(image, layer, spacing_mm, background: int, edges):
    image = np.asarray(image, np.float32)  # here, not on the GUI thread
    whole = tuple(slice(0, n) for n in layer.shape)
    if edges is None and min(layer.shape) > 1:
        edges = edge_strength(image, spacing_mm)  # 3-D: kept by the caller for the next time
    return grow_region(image, layer, whole, spacing_mm, background, edges), edges


def grow_worker(
    image: np.ndarray,
    layer: np.ndarray,
    spacing_mm: Sequence[float],
    background: int,
    edges: np.ndarray | None = None,
) -> FunctionWorker:
    """An unstarted worker growing the seeds of `layer` (a region's labels, every non-zero a
    seed) through `image` (the same region; `edges`: its `edge_strength` when known):
    `returned((values, edges))`, the values as `grow_region` gives them and the edges used
    (None for a 2-D region)."""
    return create_worker(
        _grow, image, layer, spacing_mm, background, edges, _start_thread=False,
        _ignore_errors=True,
    )  # fmt: skip


def edges_worker(image: np.ndarray, spacing_mm: Sequence[float]) -> FunctionWorker:
    """An unstarted worker computing `edge_strength` of `image` (any dtype, converted to
    float32 in the worker; nothing may change it meanwhile):
    `returned(uint8 edges)`. The grow tool runs it over the whole volume as it starts."""
    return create_worker(_edges, image, spacing_mm, _start_thread=False, _ignore_errors=True)


def _edges(image: np.ndarray, spacing_mm: Sequence[float]) -> np.ndarray:
    return edge_strength(np.asarray(image, np.float32), spacing_mm)


def _propagate(volume: Volume, labelmap: LabelMap, minutes: float, progress):
    from medgui.ml.segmentation.data import flatten_layers
    from medgui.ml.segmentation.propagate import propagate

    labels = flatten_layers(labelmap)
    return propagate(volume, labels, minutes=minutes, table=labelmap.table, progress=progress)


def propagate_worker(volume: Volume, labelmap: LabelMap, minutes: float) -> ProgressWorker:
    """An unstarted worker propagating the labelled slices of `labelmap` (a copy nobody
    changes meanwhile) to the rest of `volume` on the active device: `progressed(done, total)`,
    `returned(Proposal | None)` (None when cancelled with `quit()`)."""
    return ProgressWorker(_propagate, volume, labelmap, minutes)
