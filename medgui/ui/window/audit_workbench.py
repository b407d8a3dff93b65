"""The audit log in the window: what the user does is appended to the workspace's audit log
(`medgui.core.workspace.audit`), and "Help → Audit log…" shows it.

Recorded here, from the window's own signals: a series opened (once it has fully loaded),
labels saved explicitly (autosaves would flood the log) and labels exported. Model training,
model runs and bundle import/export are recorded where they happen (the workers and the model
registry), off the GUI thread. The appends (each one fsyncs) go to one background thread, in
order, so the event loop never waits on the disk.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from medgui.core.annotations.store import series_key
from medgui.core.workspace.audit import AuditLog
from medgui.ui.common.app_context import AppContext
from medgui.ui.window.audit_viewer import AuditViewer


class AuditWorkbench(QObject):
    """Records the application's (`app`, with its `labels`) events into the audit log of the
    workspace in use and adds "Help → Audit log…"; `failed(text)` when an append fails."""

    failed = Signal(str)

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")
        self._pending: list[Future] = []
        self.viewer: AuditViewer | None = None
        labels = app.labels
        app.jobs.volume_loaded.connect(self._on_loaded)
        labels.autosave.saved.connect(self._on_saved)
        labels.files.exported.connect(self._on_exported)
        self.failed.connect(lambda text: app.say(text, 10_000))
        action = app.menu_holding("about").addAction("Audit &log…")
        action.triggered.connect(self.show_log)
        app.menu_actions["audit_log"] = action

    @property
    def workspace_root(self) -> Path:
        return Path(self.app.workspace.root)

    def record(self, action: str, **details: Any) -> None:
        """Append `action` to the log of the workspace in use, on the writer thread; a failed
        write is reported in the status bar."""
        log = AuditLog(self.workspace_root)
        future = self._writer.submit(log.record, action, **details)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        future.add_done_callback(self._check)

    def _check(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            # On the writer thread: the signal reaches the GUI thread queued.
            self.failed.emit(f"Audit log: {error}")

    def flush(self) -> None:
        """Wait for the appends asked so far (a few milliseconds: one fsync each)."""
        for future in self._pending:
            future.exception()
        self._pending.clear()

    def _on_loaded(self, volume, name: str, path: str, _seconds: float) -> None:
        z, y, x = volume.shape_zyx
        self.record(
            "series_opened",
            series=series_key(volume),
            name=name,
            path=path,
            modality=volume.modality,
            size=f"{x}×{y}×{z}",
        )

    def _on_saved(self, key: str, explicit: bool, folder: str) -> None:
        if explicit:
            self.record("labels_saved", series=key, folder=folder)

    def _on_exported(self, key: str, path: str) -> None:
        self.record("labels_exported", series=key, path=path)

    def show_log(self) -> AuditViewer:
        """Open (or raise) the audit log viewer on the workspace in use."""
        self.flush()
        if self.viewer is None:
            self.viewer = AuditViewer(self.app.shell)
        self.viewer.load(self.workspace_root)
        self.viewer.show()
        self.viewer.raise_()
        return self.viewer
