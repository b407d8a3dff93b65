"""Workers for label work that would stall the GUI: workspace saves, label import and export,
per-label statistics, 3-D flood fill, the whole-volume label ops (clean-up, interpolation,
accepting a model's proposal).

Each is a superqt `FunctionWorker` in Qt's thread pool: the result comes back through the
queued `returned` signal and any exception through `errored`, so widgets only ever see them on
the GUI thread. The caller hands over data that nothing else changes while the worker runs (a
copy of the label map for a save).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from superqt.utils import FunctionWorker, create_worker

from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.labels.interpolate import propose_interpolation
from medgui.core.labels.io import label_format, load_label_map, resample_nearest, save_label_map
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.labels.ops import flood_fill
from medgui.core.labels.seg import export_seg
from medgui.core.labels.seg_read import import_seg
from medgui.core.labels.stats import label_statistics
from medgui.core.labels.undo import Edit, EditHistory
from medgui.core.workspace.store import SeriesWork, Workspace


def _worker(function: Callable[..., Any], *args: Any, **kwargs: Any) -> FunctionWorker:
    # Errors are delivered through `errored`, which every caller connects.
    return create_worker(function, *args, _start_thread=False, _ignore_errors=True, **kwargs)


def save_series_worker(workspace: Workspace, work: SeriesWork, *, autosave: bool) -> FunctionWorker:
    """An unstarted worker saving `work` (which nobody else may change meanwhile) into
    `workspace`; `returned(saved_at_ns)`."""
    return _worker(workspace.save_series, work, autosave=autosave)


def read_labels(path: str | Path, reference: Volume, *, resample: bool = False) -> LabelMap:
    """A label map from NIfTI/NRRD or DICOM SEG on `reference`'s grid. Without `resample`, a
    map on another grid raises `GeometryMismatchError`; with it, the map is resampled (nearest
    neighbour) onto the grid."""
    if label_format(path) != "seg":
        return load_label_map(path, reference, resample=resample)
    if not resample:
        return import_seg(path, reference)
    return resample_nearest(import_seg(path), reference)


def write_labels(labelmap: LabelMap, reference: Volume, path: str | Path) -> Path:
    """Write `labelmap` as NIfTI/NRRD (by suffix) or as a DICOM SEG of `reference`."""
    if label_format(path) == "seg":
        return export_seg(labelmap, reference, path)
    return save_label_map(labelmap, path)


def read_labels_worker(path: str | Path, reference: Volume, *, resample: bool) -> FunctionWorker:
    """An unstarted worker running `read_labels`; `returned(LabelMap)`."""
    return _worker(read_labels, path, reference, resample=resample)


def write_labels_worker(labelmap: LabelMap, reference: Volume, path: str | Path) -> FunctionWorker:
    """An unstarted worker running `write_labels` on a label map nobody changes meanwhile;
    `returned(Path)`."""
    return _worker(write_labels, labelmap, reference, path)


def statistics_worker(snapshot: tuple, image: Volume | None) -> FunctionWorker:
    """An unstarted worker running `label_statistics` on a copy of the `label_snapshot`, made
    in the worker (a change meanwhile marks the statistics stale, and they run again);
    `returned(list[LabelStats])`."""
    return _worker(_statistics, snapshot, image)


def _statistics(snapshot: tuple, image: Volume | None):
    table, layers, (spacing, origin, direction) = snapshot
    copy = LabelMap([layer.copy() for layer in layers], spacing, origin, direction, table)
    return label_statistics(copy, image)


def flood_fill_scratch(labelmap: LabelMap, *, blank: bool) -> tuple:
    """What a 3-D flood fill worker needs of `labelmap`, taken on the GUI thread: a copy of its
    table and geometry, and a copy of its layers unless `blank` (a fill that follows the image
    never reads them: the worker then starts from empty layers of the same shape)."""
    table = LabelTable.from_json(labelmap.table.to_json())
    layers = None if blank else [layer.copy() for layer in labelmap.layers]
    shapes = [(layer.shape, layer.dtype) for layer in labelmap.layers]
    geometry = (labelmap.spacing_mm, labelmap.origin, labelmap.direction.copy())
    return table, layers, shapes, geometry


def _flood_diff(
    scratch: tuple, value: int, plane: Plane, index: int, seed_rc, **options: Any
) -> Edit | None:
    table, layers, shapes, (spacing, origin, direction) = scratch
    if layers is None:
        layers = [np.zeros(shape, dtype) for shape, dtype in shapes]
    copy = LabelMap(layers, spacing, origin, direction, table)
    history = EditHistory()
    flood_fill(copy, history, value, plane, index, seed_rc, three_d=True, **options)
    return history.last_edit


def flood_fill_worker(
    scratch: tuple, value: int, plane: Plane, index: int, seed_rc, **options: Any
) -> FunctionWorker:
    """An unstarted worker running `label_ops.flood_fill(three_d=True)` on the copy that
    `flood_fill_scratch` took; `returned(Edit | None)`: the fill as a diff, for the GUI thread
    to apply to the live map as one undoable edit (`options`: image, tolerance)."""
    return _worker(_flood_diff, scratch, value, plane, index, seed_rc, **options)


def label_snapshot(labelmap: LabelMap) -> tuple:
    """What `label_op_worker` needs of `labelmap`, taken on the GUI thread in microseconds: a
    copy of its table, its geometry and the live layers (the worker copies their voxels)."""
    table = LabelTable.from_json(labelmap.table.to_json())
    geometry = (labelmap.spacing_mm, labelmap.origin, labelmap.direction.copy())
    return table, list(labelmap.layers), geometry


def _op_diff(snapshot: tuple, op: Callable[..., Any], *args: Any, **kwargs: Any) -> Edit | None:
    table, layers, (spacing, origin, direction) = snapshot
    # Copied here, not on the GUI thread (78 MB for 300×512×512). An edit made meanwhile
    # changes the session's revision, and the caller drops this result.
    copy = LabelMap([layer.copy() for layer in layers], spacing, origin, direction, table)
    history = EditHistory()
    op(copy, history, *args, **kwargs)
    return history.last_edit


def label_op_worker(snapshot: tuple, op: Callable[..., Any], *args: Any, **kwargs: Any):
    """An unstarted worker running the core op ``op(labelmap, history, *args, **kwargs)`` on
    a copy of the `label_snapshot`; `returned(Edit | None)`: the op's single undoable edit as
    a diff (locks kept), for the GUI thread to apply with `LabelSession.apply_result`."""
    return _worker(_op_diff, snapshot, op, *args, **kwargs)


def _propose(snapshot: tuple, plane: Plane, layer: int, values) -> Any:
    table, layers, (spacing, origin, direction) = snapshot
    # Reads only: the live layers (a change meanwhile drops the result, see `LabelJobs`).
    labelmap = LabelMap(list(layers), spacing, origin, direction, table)
    return propose_interpolation(labelmap, plane, layer, values)


def interpolation_worker(snapshot: tuple, plane: Plane, layer: int, values) -> FunctionWorker:
    """An unstarted worker running `propose_interpolation` on a `label_snapshot`;
    `returned(InterpolationProposal)`."""
    return _worker(_propose, snapshot, plane, layer, values)


def write_proposal(
    labelmap: LabelMap, history: EditHistory, proposal, threshold: float, values, description: str
) -> None:
    """The op that accepts a model's `Proposal` (all labels, or `values`) at `threshold` into
    layer 0 (locked labels keep their voxels); run through `label_op_worker`."""
    proposed = proposal.to_labelmap(threshold, values).layers[0]
    mask = proposed > 0
    with history.edit(labelmap, 0, description) as region:
        region.view[mask] = proposed[mask].astype(region.view.dtype, copy=False)
