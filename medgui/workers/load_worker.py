"""Workers that scan, load and preview series off the GUI thread.

All of them are superqt workers: they run in Qt's thread pool, report through queued signals
(so results reach widgets only on the GUI thread), turn every exception into the `errored`
signal, and stop cooperatively when `quit()` is called.

* `load_worker` runs `iter_load` as a generator worker: each yield is a `LoadStep` (progress and
  the slices that landed since the last one) and the point where a cancel is honoured. Yields
  are throttled to one per `PROGRESS_INTERVAL_S`, except the first (so the first slice shows at
  once), so a fast load of hundreds of slices cannot flood the event loop.
* `ProgressWorker` runs a function that reports through a ``progress(done, total)`` callback
  (`scan`, `write_demo_study`); the callback is its cancel point.
* `thumbnail_worker` renders one small preview per series, each yield one thumbnail.

`workers.study_jobs.StudyJobs` sequences them for a window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from superqt.utils import GeneratorWorker, WorkerBase, thread_worker

from medgui.core import Series, Volume, iter_load
from medgui.core.dicom import pixels as px
from medgui.core.dicom.instance import DicomReadError
from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.windowing import (
    WindowLevel,
    default_window,
    percentile_window,
    window_to_uint8,
)
from medgui.core.io.itk import read_itk_volume

PROGRESS_INTERVAL_S = 0.05
THUMBNAIL_SIZE = 64


class WorkFailed(Exception):
    """A RuntimeError from the work, re-raised as this type.

    superqt treats a RuntimeError coming out of a generator as "the worker was deleted" and
    drops it silently (no `errored`, no `finished`), which would leave a progress bar running
    forever; SimpleITK and others raise RuntimeError for ordinary bad files.
    """


class Cancelled(Exception):
    """Raised inside a `ProgressWorker`'s callback to unwind the work after `quit()`."""


@dataclass(frozen=True)
class LoadStep:
    """Progress of a load: `done` of `total` slices, the slice indices (k) that landed since the
    previous step, and the volume being filled (its geometry is final from the first step)."""

    done: int
    total: int
    slices: tuple[int, ...]
    volume: Volume


class _ClosingGeneratorWorker(GeneratorWorker):
    """A generator worker that always closes its generator in the worker thread.

    superqt leaves an aborted generator suspended; closing it runs the loader's cleanup (cancel
    pending decode jobs, close files) now, instead of whenever the garbage collector gets to it.
    """

    def work(self):
        try:
            return super().work()
        finally:
            self._gen.close()


def load_steps(
    source: str | Path | Series, interval_s: float = PROGRESS_INTERVAL_S
) -> Generator[LoadStep, None, Volume]:
    """`iter_load` with progress coalesced to one step per `interval_s`; returns the volume."""
    loader = iter_load(source)
    landed: list[int] = []
    last_yield = -math.inf
    progress = None
    try:
        for progress in loader:
            landed.append(progress.slice_index)
            now = time.monotonic()
            if now - last_yield >= interval_s:
                yield LoadStep(progress.done, progress.total, tuple(landed), progress.volume)
                landed, last_yield = [], now
    except RuntimeError as exc:
        raise WorkFailed(str(exc)) from exc
    finally:
        loader.close()
    if progress is None:
        raise ValueError(f"{source}: nothing to load")
    if landed:
        yield LoadStep(progress.done, progress.total, tuple(landed), progress.volume)
    return progress.volume


@thread_worker(worker_class=_ClosingGeneratorWorker, ignore_errors=True)
def _load(source: str | Path | Series, interval_s: float):
    return (yield from load_steps(source, interval_s))


def load_worker(
    source: str | Path | Series, interval_s: float = PROGRESS_INTERVAL_S
) -> GeneratorWorker:
    """An unstarted worker loading `source`: `yielded(LoadStep)`, `returned(Volume)`,
    `errored(Exception)`, `aborted()` after `quit()`, and `finished()` in every case."""
    return _load(source, interval_s)


class _ProgressSignals(QObject):
    # superqt's WorkerBase needs these signals (it keeps its own set in a private module).
    started = Signal()
    finished = Signal()
    _finished = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    warned = Signal(tuple)
    progressed = Signal(int, int)


class ProgressWorker(WorkerBase):
    """Runs ``func(*args, progress=callback)`` in a thread; `progressed(done, total)` at most
    every `interval_s`, `returned(result)`, `errored(exc)`; `quit()` cancels at the next
    callback (the function unwinds through `Cancelled` and nothing is returned)."""

    def __init__(
        self,
        func: Callable[..., Any],
        *args: Any,
        interval_s: float = PROGRESS_INTERVAL_S,
    ) -> None:
        super().__init__(SignalsClass=_ProgressSignals)
        self._func, self._args = func, args
        self._interval_s = interval_s
        self._last_report = -math.inf

    def _report(self, done: int, total: int) -> None:
        if self.abort_requested:
            raise Cancelled
        now = time.monotonic()
        if now - self._last_report >= self._interval_s:
            self._last_report = now
            self.progressed.emit(int(done), int(total))

    def work(self) -> Any:
        try:
            return self._func(*self._args, progress=self._report)
        except Cancelled:
            return None
        except RuntimeError as exc:
            raise WorkFailed(str(exc)) from exc


def scan_worker(path: str | Path) -> ProgressWorker:
    """An unstarted worker running `medgui.core.io.scan(path)`; `returned(Scan)`."""
    from medgui.core import scan

    return ProgressWorker(scan, path)


def demo_worker(folder: str | Path) -> ProgressWorker:
    """An unstarted worker writing the demo study into `folder`; `returned(DemoStudy)`."""
    from medgui.core.workspace.demo import write_demo_study

    return ProgressWorker(write_demo_study, folder)


def _resize_nearest(image: np.ndarray, spacing_rc: tuple[float, float], size: int) -> np.ndarray:
    """Nearest-neighbour resize so the longer physical side is `size` pixels (square pixels)."""
    rows, cols = image.shape[:2]
    height, width = rows * spacing_rc[0], cols * spacing_rc[1]
    scale = size / max(height, width)
    out_rows, out_cols = max(1, round(height * scale)), max(1, round(width * scale))
    r = np.minimum((np.arange(out_rows) + 0.5) * rows / out_rows, rows - 1).astype(int)
    c = np.minimum((np.arange(out_cols) + 0.5) * cols / out_cols, cols - 1).astype(int)
    return np.ascontiguousarray(image[r][:, c])


def _to_grey(values: np.ndarray, window: WindowLevel) -> np.ndarray:
    if values.ndim == 3 and values.dtype == np.uint8:
        return values
    return window_to_uint8(values, window.center, window.width)


def _dicom_thumbnail(series: Series, size: int) -> np.ndarray:
    instances = sorted(
        series.instances, key=lambda h: (h.instance_number is None, h.instance_number or 0, h.path)
    )
    header = instances[len(instances) // 2]
    frames = px.decode_file(header.path)
    frame = np.asarray(frames[len(frames) // 2])
    if frame.ndim == 2:
        frame = frame * header.rescale_slope + header.rescale_intercept
    window = (
        WindowLevel(header.window_center, header.window_width)
        if header.window_center is not None and (header.window_width or 0) >= 1
        else percentile_window(frame)
    )
    grey = _to_grey(frame, window)
    if header.photometric == "MONOCHROME1":
        grey = 255 - grey
    spacing = tuple(header.pixel_spacing or (1.0, 1.0))
    return _resize_nearest(grey, (float(spacing[0]), float(spacing[1])), size)


def _file_thumbnail(series: Series, size: int) -> np.ndarray:
    volume = read_itk_volume(series.path)
    middle = extract_slice(volume, Plane.AXIAL, volume.shape_zyx[0] // 2)
    grey = _to_grey(np.asarray(middle), default_window(volume))
    return _resize_nearest(grey, (volume.spacing_mm[1], volume.spacing_mm[0]), size)


def series_thumbnail(series: Series, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    """A small uint8 preview (grey (h, w) or RGB (h, w, 3)) of the middle image of `series`,
    in its header window (or the 1st–99th percentile window), longer side `size` pixels.
    Raises ValueError when the image cannot be decoded."""
    if series.format == "dicom":
        return _dicom_thumbnail(series, size)
    return _file_thumbnail(series, size)


@thread_worker(worker_class=_ClosingGeneratorWorker, ignore_errors=True)
def _thumbnails(series: list[Series], size: int):
    for s in series:
        try:
            yield s.uid, series_thumbnail(s, size)
        except (DicomReadError, ValueError, OSError, RuntimeError, MemoryError):
            # A series without a preview is still listed and loadable; the load reports why.
            continue


def thumbnail_worker(series: Iterable[Series], size: int = THUMBNAIL_SIZE) -> GeneratorWorker:
    """An unstarted worker yielding ``(series uid, uint8 image)`` for each image series."""
    return _thumbnails([s for s in series if s.kind == "image"], size)
