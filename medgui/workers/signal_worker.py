"""The worker that reads a waveform (DICOM ECG, WFDB record, EDF) off the GUI thread.

A 24 h Holter record is hundreds of megabytes of samples: read in the GUI thread it would freeze
the window for seconds. The reader has no progress of its own, so this is one function call in
Qt's thread pool; a cancel drops its result (`StudyJobs` ignores a replaced job's signals).
"""

from __future__ import annotations

from pathlib import Path

from superqt.utils import FunctionWorker, thread_worker

from medgui.core import Series
from medgui.core.signals.waveform_files import load_signal
from medgui.workers.load_worker import WorkFailed


def signal_path(source: str | Path | Series) -> str:
    """The file to read for `source`: a waveform series' one file, or the path itself."""
    if isinstance(source, Series):
        return source.files[0] if source.files else source.path
    return str(source)


@thread_worker(worker_class=FunctionWorker, ignore_errors=True)
def _read(path: str):
    try:
        return load_signal(path)
    except RuntimeError as exc:  # kept apart from superqt's own RuntimeError handling
        raise WorkFailed(str(exc)) from exc


def signal_worker(source: str | Path | Series) -> FunctionWorker:
    """An unstarted worker reading `source`'s waveform: `returned(Signal)`, `errored(exc)`."""
    return _read(signal_path(source))
