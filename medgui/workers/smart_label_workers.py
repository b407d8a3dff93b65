"""Workers for smart labelling: the grow-from-seeds preview and slice propagation.

Both take copies made on the GUI thread (the region's image and labels; the label layer), so
nothing they read changes while they run. Propagation imports the ML code inside the worker
thread, as the inference workers do, so opening the window never loads torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from superqt.utils import FunctionWorker, create_worker

from medgui.core.grow_from_seeds import grow_region
from medgui.core.labelmap import LabelMap
from medgui.core.volume import Volume
from medgui.workers.load_worker import ProgressWorker


def _grow(image: np.ndarray, layer: np.ndarray, spacing_mm: Sequence[float], background: int):
    whole = tuple(slice(0, n) for n in layer.shape)
    return grow_region(image, layer, whole, spacing_mm, background)


def grow_worker(
    image: np.ndarray, layer: np.ndarray, spacing_mm: Sequence[float], background: int
) -> FunctionWorker:
    """An unstarted worker growing the seeds of `layer` (a region's labels, every non-zero a
    seed) through `image` (the same region): `returned(values)` as `grow_region` gives them."""
    return create_worker(
        _grow, image, layer, spacing_mm, background, _start_thread=False, _ignore_errors=True
    )


def _propagate(volume: Volume, labelmap: LabelMap, minutes: float, progress):
    from medgui.ml.propagate import propagate
    from medgui.ml.segmentation.data import flatten_layers

    labels = flatten_layers(labelmap)
    return propagate(volume, labels, minutes=minutes, table=labelmap.table, progress=progress)


def propagate_worker(volume: Volume, labelmap: LabelMap, minutes: float) -> ProgressWorker:
    """An unstarted worker propagating the labelled slices of `labelmap` (a copy nobody
    changes meanwhile) to the rest of `volume` on the active device: `progressed(done, total)`,
    `returned(Proposal | None)` (None when cancelled with `quit()`)."""
    return ProgressWorker(_propagate, volume, labelmap, minutes)
