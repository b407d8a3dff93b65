"""Workers for label work that would stall the GUI: workspace saves, label import and export,
per-label statistics.

Each is a superqt `FunctionWorker` in Qt's thread pool: the result comes back through the
queued `returned` signal and any exception through `errored`, so widgets only ever see them on
the GUI thread. The caller hands over data that nothing else changes while the worker runs (a
copy of the label map for a save).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from superqt.utils import FunctionWorker, create_worker

from medgui.core.dicom_seg import export_seg, import_seg
from medgui.core.label_io import load_label_map, resample_nearest, save_label_map
from medgui.core.label_stats import label_statistics
from medgui.core.labelmap import LabelMap
from medgui.core.volume import Volume
from medgui.core.workspace import SeriesWork, Workspace

SEG_SUFFIXES = (".dcm", "")


def _worker(function: Callable[..., Any], *args: Any, **kwargs: Any) -> FunctionWorker:
    # Errors are delivered through `errored`, which every caller connects.
    return create_worker(function, *args, _start_thread=False, _ignore_errors=True, **kwargs)


def save_series_worker(workspace: Workspace, work: SeriesWork, *, autosave: bool) -> FunctionWorker:
    """An unstarted worker saving `work` (which nobody else may change meanwhile) into
    `workspace`; `returned(saved_at_ns)`."""
    return _worker(workspace.save_series, work, autosave=autosave)


def is_seg_path(path: str | Path) -> bool:
    """Whether `path` names a DICOM SEG (".dcm" or no suffix) rather than NIfTI/NRRD."""
    return Path(path).suffix.lower() in SEG_SUFFIXES


def read_labels(path: str | Path, reference: Volume, *, resample: bool = False) -> LabelMap:
    """A label map from NIfTI/NRRD or DICOM SEG on `reference`'s grid. Without `resample`, a
    map on another grid raises `GeometryMismatchError`; with it, the map is resampled (nearest
    neighbour) onto the grid."""
    if not is_seg_path(path):
        return load_label_map(path, reference, resample=resample)
    if not resample:
        return import_seg(path, reference)
    return resample_nearest(import_seg(path), reference)


def write_labels(labelmap: LabelMap, reference: Volume, path: str | Path) -> Path:
    """Write `labelmap` as NIfTI/NRRD (by suffix) or as a DICOM SEG of `reference`."""
    if is_seg_path(path):
        return export_seg(labelmap, reference, path)
    return save_label_map(labelmap, path)


def read_labels_worker(path: str | Path, reference: Volume, *, resample: bool) -> FunctionWorker:
    """An unstarted worker running `read_labels`; `returned(LabelMap)`."""
    return _worker(read_labels, path, reference, resample=resample)


def write_labels_worker(labelmap: LabelMap, reference: Volume, path: str | Path) -> FunctionWorker:
    """An unstarted worker running `write_labels` on a label map nobody changes meanwhile;
    `returned(Path)`."""
    return _worker(write_labels, labelmap, reference, path)


def statistics_worker(labelmap: LabelMap, image: Volume | None) -> FunctionWorker:
    """An unstarted worker running `label_statistics` on a label map nobody changes meanwhile
    (a copy); `returned(list[LabelStats])`."""
    return _worker(label_statistics, labelmap, image)
