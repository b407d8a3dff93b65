"""Keeping the user's labels: autosave into the workspace, explicit save, and recovery.

`LabelAutosave` watches the session on show. Its `AutosavePolicy` decides when (a few seconds
after edits stop, at least every minute while they go on); the save itself runs in a worker on
a copy of the label map, so painting never waits for the disk. Closing the window autosaves
what is unsaved (on the GUI thread: the process is about to end). `open_work` is what opening a
series does: the newest autosave if it is newer than the last explicit save and the user wants
it back (or this run wrote it), else the explicit save.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.workspace.store import AutosavePolicy, SeriesWork, Workspace
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.session import LabelSession
from medgui.workers.label_workers import save_series_worker

MeasurementsOf = Callable[[str], list[dict]]


def copy_labelmap(labelmap: LabelMap) -> LabelMap:
    """A deep copy (layers and table) that a worker may write while the user paints on."""
    table = LabelTable.from_json(labelmap.table.to_json())
    layers = [layer.copy() for layer in labelmap.layers]
    spacing, origin = labelmap.spacing_mm, labelmap.origin
    return LabelMap(layers, spacing, origin, labelmap.direction.copy(), table)


def snapshot(session: LabelSession, measurements: list[dict]) -> SeriesWork:
    """What the workspace saves of `session`, copied so that later edits do not touch it."""
    volume = session.volume
    meta = volume.metadata
    folders = sorted({str(Path(path).parent) for path, _ in volume.slice_sources})
    source = [str(meta["source_path"])] if meta.get("source_path") else []
    return SeriesWork(
        key=session.key,
        uid=str(meta.get("SeriesInstanceUID") or ""),
        description=str(meta.get("SeriesDescription") or ""),
        source_paths=folders or source,
        labelmap=copy_labelmap(session.labelmap),
        measurements=list(measurements),
        annotations=session.annotations.to_json(),
    )


def _when(ns: int | None) -> str:
    if not ns:
        return "never"
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def open_work(
    workspace: Workspace, key: str, dialogs: Dialogs, ours: set[str]
) -> tuple[SeriesWork | None, bool]:
    """The saved work of series `key` and whether it came from an autosave. An autosave newer
    than the explicit save is taken if this run wrote it (`ours`) or the user says so.
    ValueError (naming the file) when what should be read cannot be."""
    found = next((r for r in workspace.recoverable() if r.key == key and not r.problem), None)
    if found is not None:
        question = (
            f"Labels of {found.description or key} were autosaved at "
            f"{_when(found.autosaved_at_ns)}, after the last save ({_when(found.saved_at_ns)}).\n"
            "Restore the autosaved labels?"
        )
        if key in ours or dialogs.confirm("Restore labels", question, "Restore", "Don't restore"):
            return workspace.restore(key), True
    return workspace.load_series(key), False


def session_from_work(session: LabelSession, work: SeriesWork | None) -> None:
    """Put saved `work` into a fresh `session` (GeometryMismatchError if its map is off the
    image's grid; ValueError for bad annotations)."""
    if work is None:
        return
    annotations = SeriesAnnotations.from_json(work.annotations) if work.annotations else None
    session.replace(work.labelmap, annotations)


class LabelAutosave(QObject):
    """Autosave and explicit save of the watched session into `workspace`.

    `measurements_of(key)` gives the series' measurements (saved with the labels).
    """

    saved = Signal(str, bool, str)  # series key, explicit, the series' folder
    failed = Signal(str)  # why a save failed

    def __init__(
        self,
        workspace: Workspace,
        measurements_of: MeasurementsOf,
        *,
        quiet_s: float = 3.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.quiet_s = quiet_s
        self.autosaved_keys: set[str] = set()  # series this run autosaved
        self._measurements_of = measurements_of
        self._session: LabelSession | None = None
        self.policy = AutosavePolicy(quiet_s=quiet_s)
        self._workers: list = []
        self._closed = False
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._on_timer)

    @property
    def saving(self) -> bool:
        """Whether a save is running."""
        return bool(self._workers)

    def watch(self, session: LabelSession | None) -> None:
        """Save `session` from now on; unsaved edits of the previous one are autosaved now."""
        old = self._session
        if session is old:
            return
        if old is not None:
            old.edited.disconnect(self.mark_dirty)
            if self.policy.dirty:
                self._start(old, explicit=False, policy=None)
        self._session = session
        self.policy = AutosavePolicy(quiet_s=self.quiet_s)
        self._timer.stop()
        if session is not None:
            session.edited.connect(self.mark_dirty)

    def set_workspace(self, workspace: Workspace) -> None:
        """Save into `workspace` from now on. Unsaved edits of the watched series are saved
        (explicitly) into the old one first, and its work goes into the new one too."""
        session = self._session
        if session is not None and self.policy.dirty:
            self._start(session, explicit=True, policy=None)
        self.workspace = workspace
        self.autosaved_keys.clear()
        if session is not None and (not session.is_empty() or self._measurements_of(session.key)):
            self.mark_dirty()

    def mark_dirty(self) -> None:
        """Something the workspace keeps changed (the session's `edited`, a measurement)."""
        if self._session is not None:
            self.policy.mark_dirty(time.monotonic())
            self._schedule()

    def _schedule(self) -> None:
        due = self.policy.due_at()
        if due is None or self.saving:
            return  # a save that ends reschedules
        self._timer.start(max(0, round((due - time.monotonic()) * 1000)))

    def _on_timer(self) -> None:
        if self._session is not None and self.policy.due(time.monotonic()) and not self.saving:
            self._start(self._session, explicit=False, policy=self.policy)
        else:
            self._schedule()

    def save(self) -> None:
        """Save the watched session explicitly (File → Save labels)."""
        if self._session is not None:
            self._start(self._session, explicit=True, policy=self.policy)

    def _start(self, session: LabelSession, *, explicit: bool, policy) -> None:
        work = snapshot(session, self._measurements_of(session.key))
        token = policy.begin_save(time.monotonic()) if policy is not None else None
        workspace = self.workspace
        worker = save_series_worker(workspace, work, autosave=not explicit)
        self._workers.append(worker)
        folder = str(workspace.series_dir(work.key))
        worker.returned.connect(
            lambda _ns: self._done(worker, work.key, explicit, policy, token, folder)
        )
        worker.errored.connect(lambda error: self._error(worker, work.key, policy, error))
        worker.start()

    def _done(self, worker, key: str, explicit: bool, policy, token, folder: str) -> None:
        if self._closed:
            return  # the window went away while the save ran
        self._workers.remove(worker)
        if explicit:
            self.autosaved_keys.discard(key)
        else:
            self.autosaved_keys.add(key)
        if policy is not None:
            policy.saved(token)
        self.saved.emit(key, explicit, folder)
        self._schedule()

    def _error(self, worker, key: str, policy, error: Exception) -> None:
        if self._closed:
            return
        self._workers.remove(worker)
        if policy is not None:
            policy.failed(time.monotonic())
        self.failed.emit(f"Saving the labels of {key} failed: {error}")
        self._schedule()

    def close(self) -> None:
        """Save the work of this run now, on this thread (the window is closing): explicitly,
        so that a normal quit keeps it as saved and only a crash leads to the "Restore labels"
        question next time. Series autosaved earlier in the run get their autosave promoted."""
        self._timer.stop()
        self._closed = True
        keys = set(self.autosaved_keys)
        session = self._session
        if session is not None and (self.policy.dirty or session.key in keys):
            keys.discard(session.key)
            self._save_on_close(session.key, snapshot(session, self._measurements_of(session.key)))
        for key in sorted(keys):
            try:
                work = self.workspace.restore(key)
            except ValueError as error:
                self.failed.emit(f"Saving the labels of {key} failed: {error}")
                continue
            self._save_on_close(key, work)

    def _save_on_close(self, key: str, work) -> None:
        try:
            self.workspace.save_series(work)
        except (OSError, ValueError) as error:
            self.failed.emit(f"Saving the labels of {key} failed: {error}")
            return
        self.autosaved_keys.discard(key)
