"""The archive's network calls off the GUI thread: verify, search, retrieve, send.

`ArchiveWorker` runs ``func(*args, progress=..., cancelled=..., arrived=...)`` in Qt's pool.
Unlike `ProgressWorker` its progress callback never raises: pynetdicom calls it from its own
association and storage-SCP threads, where an exception would only turn into a refused
instance. Cancel is a flag that the archive clients check at each instance (`cancelled()`),
so a retrieve stops at the next instance and keeps what arrived.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from superqt.utils import WorkerBase

from medgui.core.deid.clean import DeidOptions
from medgui.core.net.client import client_for
from medgui.core.net.landing import Landing, RetrieveResult, SendResult
from medgui.core.net.nodes import Node
from medgui.core.net.query import Query, SeriesMatch, StudyMatch
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.export import export_deidentified
from medgui.core.workspace.store import Workspace

PROGRESS_INTERVAL_S = 0.05


class _ArchiveSignals(QObject):
    # superqt's WorkerBase needs these signals (it keeps its own set in a private module).
    started = Signal()
    finished = Signal()
    _finished = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    warned = Signal(tuple)
    progressed = Signal(int, int)
    arrived = Signal(str)  # a series folder whose instances have all landed


class ArchiveWorker(WorkerBase):
    """`progressed(done, total)` (throttled, the last always), `arrived(folder)`,
    `returned(result)`, `errored(exception)`; `cancel()` asks the call to stop.

    Not superqt's `quit()`: an aborted superqt worker drops its return value, and a cancelled
    retrieve's result (what arrived, what is missing) is what the user must see.
    """

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        super().__init__(SignalsClass=_ArchiveSignals)
        self._func, self._args = func, args
        self._last = -math.inf
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or done >= total > 0:
            self._last = now
            self.progressed.emit(int(done), int(total))

    def _cancelled(self) -> bool:
        return self._cancel

    def work(self) -> Any:
        return self._func(
            *self._args,
            progress=self._progress,
            cancelled=self._cancelled,
            arrived=lambda folder: self.arrived.emit(str(folder)),
        )


@dataclass(frozen=True)
class Found:
    """A search's answer: each study with its series."""

    studies: list[tuple[StudyMatch, list[SeriesMatch]]]


def verify(node: Node, calling_ae: str, **_callbacks) -> float:
    """C-ECHO (or a one-study QIDO-RS search); the round trip in seconds."""
    return client_for(node, calling_ae).echo()


def search(node: Node, calling_ae: str, query: Query, *, progress, cancelled, **_) -> Found:
    """The studies matching `query`, each with its series (one query per study)."""
    client = client_for(node, calling_ae)
    studies = client.find_studies(query)
    found = []
    for done, study in enumerate(studies, 1):
        if cancelled():
            break
        found.append((study, client.find_series(study.uid)))
        progress(done, len(studies))
    return Found(found)


@dataclass(frozen=True)
class RetrieveRequest:
    node: Node
    calling_ae: str
    study_uid: str
    series_uid: str | None
    store: Path  # the local store (the landing's root)
    method: str = "get"
    listener_port: int = 0


def retrieve(request: RetrieveRequest, *, progress, cancelled, arrived) -> RetrieveResult:
    """Retrieve into the local store; `arrived(folder)` as each series is complete."""
    return client_for(request.node, request.calling_ae).retrieve(
        request.study_uid,
        Landing(request.store),
        series_uid=request.series_uid,
        method=request.method,  # DIMSE only: a DICOMweb node retrieves by WADO-RS
        listener_port=request.listener_port,
        progress=progress,
        cancelled=cancelled,
        series_done=arrived,
    )


@dataclass(frozen=True)
class SendRequest:
    node: Node
    calling_ae: str
    files: list[str]
    deidentify: bool = False
    workspace_root: Path | None = None  # whose audit log records the de-identification


def send(request: SendRequest, *, progress, cancelled, **_) -> SendResult:
    """C-STORE or STOW-RS each file (or its verified de-identified copy); per-file outcomes."""
    client = client_for(request.node, request.calling_ae)
    if not request.deidentify:
        return client.send(request.files, progress=progress, cancelled=cancelled)
    with tempfile.TemporaryDirectory(prefix="medgui-send-") as scratch:
        audit = AuditLog(request.workspace_root or Workspace().root)
        files = [Path(f) for f in request.files]
        summary = export_deidentified(files, scratch, DeidOptions(), audit)
        if summary.errors or not summary.verification.clean:
            raise ValueError("the de-identified copy failed its checks; nothing was sent:\n"
                             + "\n".join(summary.lines()))  # fmt: skip
        return client.send(list(summary.written), progress=progress, cancelled=cancelled)
