"""`StudyJobs`: the workers of `workers.load_worker` sequenced for one window (scan → load →
thumbnails, demo → scan) and turned into plain Qt signals, so the window deals with neither
threads nor stale results.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from superqt.utils import GeneratorWorker, WorkerBase

from medgui.core import Series, Volume
from medgui.workers.load_worker import (
    LoadStep,
    demo_worker,
    load_worker,
    scan_worker,
    thumbnail_worker,
)
from medgui.workers.signal_worker import signal_path, signal_worker

# The window shows only the reason; the log keeps the traceback, for a bug report.
log = logging.getLogger(__name__)


class StudyJobs(QObject):
    """The scan → load pipeline of one window, as Qt signals.

    One job (scan, demo or load) runs at a time and owns the progress; starting another
    replaces it, and signals from a replaced or cancelled job are dropped, so a late result
    never overwrites a newer one. Thumbnails run beside it, one set per scan.
    """

    progress = Signal(str, int, int)  # what, done, total (total 0: not known yet)
    busy_changed = Signal(bool)
    scanned = Signal(object, object)  # the Path scanned, its Scan
    thumbnail = Signal(str, object)  # series uid, uint8 image
    volume_opened = Signal(object)  # the Volume, at its first slice (geometry final)
    slices_landed = Signal(tuple)  # slice indices k that landed since the last signal
    volume_loaded = Signal(object, str, str, float)  # Volume, source name, its path, seconds
    signal_loaded = Signal(object, str, str, float)  # Signal, source name, its path, seconds
    failed = Signal(str, str)  # source, reason
    cancelled = Signal(bool)  # whether the cancelled load had opened its volume

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: WorkerBase | None = None
        self._thumbnails: GeneratorWorker | None = None
        self._waiting_thumbnails: GeneratorWorker | None = None  # until the running job ends
        self._started = 0.0
        self._opened = False

    @property
    def busy(self) -> bool:
        """Whether a scan, demo or load job is running."""
        return self._job is not None

    def scan(self, path: str | Path) -> None:
        """Scan `path` in a worker: `scanned(path, scan)`, then thumbnails."""
        path = Path(path)
        worker = scan_worker(path)
        worker.progressed.connect(partial(self._on_progress, worker, "Scanning… {}/{} files"))
        worker.returned.connect(partial(self._on_scanned, worker, path))
        self._start(worker, f"Scanning {path.name}…", str(path))

    def demo(self, folder: str | Path) -> None:
        """Write the demo study into `folder` in a worker, then scan its series."""
        worker = demo_worker(folder)
        worker.progressed.connect(partial(self._on_progress, worker, "Writing the demo study…"))
        worker.returned.connect(partial(self._on_demo_written, worker))
        self._start(worker, "Writing the demo study…", str(folder))

    def load(self, source: str | Path | Series) -> None:
        """Load `source` in a worker: `volume_opened`, `slices_landed`…, `volume_loaded`."""
        self._opened = False
        worker = load_worker(source)
        worker.yielded.connect(partial(self._on_step, worker))
        worker.returned.connect(partial(self._on_loaded, worker, source))
        self._start(worker, f"Loading {source_name(source)}…", source_path(source))

    def load_signal(self, source: str | Path | Series) -> None:
        """Read the waveform of `source` (a waveform series or its file) in a worker:
        `signal_loaded`, or `failed` naming the file."""
        self._opened = False
        path = signal_path(source)
        worker = signal_worker(path)
        worker.returned.connect(partial(self._on_signal, worker, source, path))
        self._start(worker, f"Reading {source_name(source)}…", path)

    def cancel(self) -> None:
        """Stop the running job (its worker stops at its next cancel point)."""
        if self._job is not None:
            opened = isinstance(self._job, GeneratorWorker) and self._opened
            self._drop_job()
            self.cancelled.emit(opened)
            self._start_waiting_thumbnails()

    def shutdown(self) -> None:
        """Stop everything, thumbnails too (the window is closing)."""
        self._drop_job()
        self._waiting_thumbnails = None
        if self._thumbnails is not None:
            self._thumbnails.quit()
            self._thumbnails = None

    def _drop_job(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.quit()
            self.busy_changed.emit(False)

    def _start(self, worker: WorkerBase, text: str, source: str) -> None:
        # The job being replaced ends quietly: it is superseded, not cancelled by the user.
        self._drop_job()
        self._job, self._started = worker, time.monotonic()
        worker.errored.connect(partial(self._on_error, worker, source))
        worker.finished.connect(partial(self._on_finished, worker))
        self.busy_changed.emit(True)
        self.progress.emit(text, 0, 0)
        worker.start()

    def _on_finished(self, worker) -> None:
        if worker is self._job:
            self._job = None
            self.busy_changed.emit(False)
            self._start_waiting_thumbnails()

    def _on_error(self, worker, source: str, error: Exception) -> None:
        if worker is self._job:
            log.error("cannot open %s", source, exc_info=error)
            self.failed.emit(source, str(error) or type(error).__name__)

    def _on_progress(self, worker, text: str, done: int, total: int) -> None:
        if worker is self._job:
            self.progress.emit(text.format(done, total), done, total)

    def _on_scanned(self, worker, path: Path, found) -> None:
        if worker is not self._job:
            return
        if self._thumbnails is not None:
            self._thumbnails.quit()
        thumbnails = self._thumbnails = thumbnail_worker(found.series)
        thumbnails.yielded.connect(partial(self._on_thumbnail, thumbnails))
        # They start when this scan's job ends, or the load its listeners start (a folder of
        # one series) ends: decoding previews (pydicom, holding the GIL) beside that load made
        # the viewer's first turns on the new volume twice as long.
        self._waiting_thumbnails = thumbnails
        self.scanned.emit(path, found)

    def _start_waiting_thumbnails(self) -> None:
        thumbnails, self._waiting_thumbnails = self._waiting_thumbnails, None
        if thumbnails is not None and thumbnails is self._thumbnails:
            thumbnails.start()

    def _on_thumbnail(self, worker, item: tuple) -> None:
        if worker is self._thumbnails:
            self.thumbnail.emit(*item)

    def _on_demo_written(self, worker, study) -> None:
        if worker is self._job:
            self.scan(study.dicom_dir)

    def _on_step(self, worker, step: LoadStep) -> None:
        if worker is not self._job:
            return
        if not self._opened:
            self._opened = True
            self.volume_opened.emit(step.volume)
        self.slices_landed.emit(step.slices)
        self.progress.emit(f"Loading… {step.done}/{step.total} slices", step.done, step.total)

    def _on_loaded(self, worker, source, volume: Volume) -> None:
        if worker is self._job:
            seconds = time.monotonic() - self._started
            self.volume_loaded.emit(volume, source_name(source), source_path(source), seconds)

    def _on_signal(self, worker, source, path: str, signal) -> None:
        if worker is self._job:
            seconds = time.monotonic() - self._started
            self.signal_loaded.emit(signal, source_name(source), path, seconds)


def source_name(source: str | Path | Series | None) -> str:
    """A short name for a load source, for messages."""
    if isinstance(source, Series):
        return source.description or source.modality or "series"
    return Path(source).name if source else ""


def source_path(source: str | Path | Series | None) -> str:
    """Where a load source lives on disk (a series' folder), for the problems panel."""
    if isinstance(source, Series):
        files = source.files
        return str(Path(files[0]).parent) if source.format == "dicom" and files else source.path
    return str(source) if source else ""
