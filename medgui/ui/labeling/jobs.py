"""Whole-volume label work off the GUI thread (`LabelJobs`): clean-up ops, interpolation,
accepting a model's proposal.

One job at a time, in a worker, with what it does and Cancel in the status bar. The worker
computes on a copy of the labels and hands back its result (an edit as a diff, a proposal); the
GUI thread only writes the changed voxels and records the undo step. A result computed from
labels that changed meanwhile (a stroke, an undo, a lock) is dropped, and the user is told.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, Signal

from medgui.ui.common.task_progress import TaskProgress
from medgui.ui.labeling.session import LabelContext, LabelSession


class LabelJobs(QObject):
    """Runs label workers for the session on show; `message(text)` is for the status bar,
    `finished()` after each job (applied, dropped, failed or cancelled)."""

    message = Signal(str)
    finished = Signal()

    def __init__(self, context: LabelContext, warn: Callable[[str, str], None], parent=None):
        super().__init__(parent)
        self._context = context
        self._warn = warn
        self.progress = TaskProgress()
        self.progress.cancel_button.clicked.connect(self.cancel)
        self.job = None
        self._text = ""

    @property
    def busy(self) -> bool:
        return self.job is not None

    def run(self, text: str, worker, on_result: Callable[[LabelSession, object], None]) -> bool:
        """Start `worker` (unstarted) for the session on show; ``on_result(session, result)``
        runs on the GUI thread if the labels are unchanged when it returns. False (and the
        worker is not started) while another job runs or without a session."""
        session = self._context.session
        if session is None:
            return False
        if self.job is not None:
            self.message.emit(f"{self._text} is still running: wait, or cancel it")
            return False
        self.job, self._text = worker, text
        revision = session.revision
        worker.returned.connect(partial(self._returned, worker, session, revision, on_result))
        worker.errored.connect(partial(self._errored, worker))
        worker.finished.connect(partial(self._over, worker))
        self.progress.report(f"{text}…", 0, 0)
        worker.start()
        return True

    def cancel(self) -> None:
        """Drop the running job: its result is never written (the worker ends on its own)."""
        if self.job is not None:
            job, self.job = self.job, None
            job.quit()
            self.progress.end()
            self.message.emit(f"{self._text} cancelled")
            self.finished.emit()

    def _returned(self, worker, session: LabelSession, revision: int, on_result, result) -> None:
        if worker is not self.job:
            return  # cancelled
        if self._context.session is not session or session.revision != revision:
            self.message.emit(f"{self._text}: the labels changed meanwhile; run it again")
            return
        on_result(session, result)

    def _errored(self, worker, error: Exception) -> None:
        if worker is self.job:
            self._warn(self._text, str(error))

    def _over(self, worker) -> None:
        if worker is self.job:
            self.job = None
            self.progress.end()
            self.finished.emit()
