"""The archive in the window: the Archive dock, "File → Archive (PACS)…", and the workers.

Retrieved studies land in the local store (`<data folder>/archive/<StudyUID>/<SeriesUID>/`);
the first series that is complete is scanned (so indexed) and opened at once, and the whole
study is listed in the series browser when the retrieve ends. A retrieve that ends short,
cancelled or failed, says what is missing in the dock and the status bar; what arrived stays.
The optional listener (off by default) lands what is sent to our AE title in the same store
and lists each study as it arrives. Send is not de-identified by default: results go back to
the hospital's archive, where a SEG or SR must keep the patient and study it belongs to; a
research archive gets the checkbox.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog

from medgui.core.io.index import data_dir
from medgui.core.net.nodes import ArchiveSettings, load_settings, save_settings
from medgui.ui.common.app_context import AppContext
from medgui.ui.net.archive_panel import ArchivePanel
from medgui.workers.archive_listener import ArchiveListener
from medgui.workers.archive_worker import (
    ArchiveWorker,
    RetrieveRequest,
    SendRequest,
    retrieve,
    search,
    send,
    verify,
)

_RESCAN_MS = 300


def _choose_files(parent) -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Send to the archive", "", "All files (*)")
    return files


class ArchiveWorkbench(QObject):
    """Builds the Archive dock from `app` and runs its calls, one at a time, in workers."""

    def __init__(self, app: AppContext, store: Path | None = None) -> None:
        super().__init__(app.shell)
        self.app = app
        self.store = store if store is not None else data_dir() / "archive"
        try:
            self.settings = load_settings()
        except ValueError as error:  # a damaged file must not stop the window from opening
            app.say(f"Archive nodes not loaded: {error}", 15_000)
            self.settings = ArchiveSettings()
        self.panel = ArchivePanel(self.settings)
        (self.dock,) = app.add_docks([("Archive", self.panel)], app.right_dock)
        self.action = self.dock.toggleViewAction()
        self.action.setText("&Archive (PACS)…")
        file_menu = app.menu_holding("quit")
        file_menu.insertAction(app.menu_actions["quit"], self.action)
        app.menu_actions["archive"] = self.action
        self.choose_files: Callable[[object], list[str]] = _choose_files  # tests replace it
        self._worker: ArchiveWorker | None = None
        self._opened_first = False
        self._study_uid = ""  # of the series on show, for "Send study on show"
        self.listener = ArchiveListener(self)
        self.listener.received.connect(self._received)
        self.listener.rejected.connect(lambda why: self.panel.say(f"Receiving: rejected {why}"))
        self._resume_listening = False
        self._arrived_study = ""
        self._rescan = QTimer(self)  # one scan per burst of received instances
        self._rescan.setSingleShot(True)
        self._rescan.setInterval(_RESCAN_MS)
        self._rescan.timeout.connect(lambda: self._scan_when_idle(Path(self._arrived_study)))
        panel = self.panel
        panel.nodes.saved.connect(self._save)
        panel.nodes.verify_requested.connect(self.verify)
        panel.nodes.listen.toggled.connect(self.set_listening)
        panel.search_requested.connect(self.search)
        panel.retrieve_requested.connect(self.retrieve)
        panel.cancel_requested.connect(self.cancel)
        panel.send_study_requested.connect(self.send_study)
        panel.send_files_requested.connect(self.send_files)
        panel.send_export_requested.connect(lambda: self._send(self.panel.last_export))
        app.jobs.volume_loaded.connect(self._on_loaded)

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _save(self) -> None:
        try:
            path = save_settings(self.settings)
        except (OSError, ValueError) as error:
            self.panel.say(f"Cannot save the nodes: {error}")
            return
        self.panel.say(f"Saved the nodes in {path}")

    def _node(self):
        """The form's node and our AE title, or None (the reason in the log)."""
        try:
            return self.panel.nodes.node(), self.panel.nodes.our_ae_title()
        except ValueError as error:
            self.panel.say(str(error))
            return None

    def _run(self, text: str, func, *args, done: Callable) -> ArchiveWorker | None:
        if self.busy:
            self.panel.say("Wait for the running archive call to end, or cancel it")
            return None
        worker = self._worker = ArchiveWorker(func, *args)
        worker.progressed.connect(self.panel.report)
        worker.returned.connect(partial(self._returned, worker, done))
        worker.errored.connect(partial(self._errored, worker, text))
        worker.finished.connect(partial(self._finished, worker))
        self.panel.set_busy(True, text)
        self.panel.say(text)
        worker.start()
        return worker

    def _returned(self, worker, done: Callable, result) -> None:
        if worker is self._worker:
            done(result)

    def _errored(self, worker, text: str, error: Exception) -> None:
        if worker is self._worker:
            message = str(error) or type(error).__name__
            self.panel.say(f"{text} failed: {message}")
            self.app.say(message, 10_000)

    def _finished(self, worker) -> None:
        if worker is self._worker:
            self._worker = None
            self.panel.set_busy(False)
            if self._resume_listening:
                self._resume_listening = False
                self.set_listening(True)

    def set_listening(self, on: bool) -> None:
        """Run (or stop) our storage SCP on the form's port, as our AE title."""
        if not on:
            self.listener.stop()
            self.panel.say("Stopped receiving")
            return
        try:
            form = self.panel.nodes
            self.listener.start(self.store, form.our_ae_title(), form.port.value())
        except ValueError as error:  # an AE title that is not valid, a port in use
            self.panel.say(f"Cannot receive: {error}")
            self.panel.nodes.listen.setChecked(False)
            return
        self.panel.say(f"Receiving on port {self.listener.port}; studies go to {self.store}")

    def _received(self, study_folder: str) -> None:
        self._arrived_study = study_folder
        self._rescan.start()

    def cancel(self) -> None:
        """Ask the running call to stop at its next instance (what arrived is kept)."""
        if self._worker is not None:
            self._worker.cancel()
            self.panel.say("Cancelling…")

    def verify(self) -> None:
        chosen = self._node()
        if chosen is not None:
            label = chosen[0].label()

            def answered(seconds: float) -> None:
                self.panel.say(f"{label}: answered in {seconds * 1000:.0f} ms")

            self._run(f"Verifying {label}", verify, *chosen, done=answered)

    def search(self) -> None:
        chosen = self._node()
        try:
            query = self.panel.query()
        except ValueError as error:
            self.panel.say(str(error))
            return
        if chosen is not None:
            self._run(f"Searching {chosen[0].label()}", search, *chosen, query, done=self._found)

    def _found(self, found) -> None:
        self.panel.show_studies(found.studies)
        self.panel.say(
            f"{len(found.studies)} stud{'y' if len(found.studies) == 1 else 'ies'} found"
        )

    def retrieve(self) -> None:
        """Retrieve the selected study (or series) into the local store."""
        chosen, selected = self._node(), self.panel.selection()
        if self.busy:
            self.panel.say("Wait for the running archive call to end, or cancel it")
            return
        if selected is None:
            self.panel.say("Select a study or series to retrieve")
            return
        if chosen is None:
            return
        nodes = self.panel.nodes
        request = RetrieveRequest(
            chosen[0],
            chosen[1],
            selected[0],
            selected[1],
            self.store,
            nodes.retrieve_method(),
            nodes.port.value(),
        )
        self._opened_first = False
        if request.method == "move" and self.listener.port and not request.node.is_web:
            # The C-MOVE brings its own storage SCP on this port, which the retrieve follows.
            self.listener.stop()
            self._resume_listening = True
        worker = self._run(
            f"Retrieving from {chosen[0].label()}",
            retrieve,
            request,
            done=partial(self._retrieved, request),
        )
        if worker is not None:
            worker.arrived.connect(self._series_arrived)

    def _series_arrived(self, folder: str) -> None:
        if not self._opened_first:
            self._opened_first = True  # the first series opens while the rest arrive
            self.app.jobs.scan(Path(folder))

    def _retrieved(self, request: RetrieveRequest, result) -> None:
        self.panel.say(*result.lines())
        if not result.complete:
            self.app.say(f"Retrieve incomplete: {result.lines()[-1]}", 15_000)
        else:
            self.app.say(result.lines()[0], 8000)
        study = request.store / request.study_uid
        if result.files and study.is_dir():
            self._scan_when_idle(study)

    def _scan_when_idle(self, folder: Path) -> None:
        """Scan `folder` once the window's running job (the first series' load) has ended:
        starting a scan would replace it."""
        jobs = self.app.jobs
        if not jobs.busy:
            jobs.scan(folder)
            return

        def once(busy: bool) -> None:
            if not busy:
                jobs.busy_changed.disconnect(once)
                jobs.scan(folder)

        jobs.busy_changed.connect(once)

    def _on_loaded(self, volume, *_rest) -> None:
        self._study_uid = str(volume.metadata.get("StudyInstanceUID", "") or "")

    def study_files(self) -> list[str]:
        """The files of every series of the study on show, as the browser lists them."""
        scan = self.app.scan
        if scan is None or not self._study_uid:
            return []
        return [f for s in scan.series if s.study_uid == self._study_uid for f in s.files]

    def send_study(self) -> None:
        files = self.study_files()
        if not files:
            self.panel.say("No study on show to send")
            return
        self._send(files)

    def send_files(self) -> None:
        files = self.choose_files(self.app.shell)
        if files:
            self._send(files)

    def set_last_export(self, paths: list) -> None:
        """Remember what File → Export… wrote (its SEG and SR), for "Send last export"."""
        self.panel.last_export = [str(p) for p in paths]
        self.panel.send_export_button.setEnabled(bool(paths) and not self.busy)
        if paths:
            self.panel.say(f"Ready to send the last export: {', '.join(map(str, paths))}")

    def _send(self, files: list[str]) -> None:
        chosen = self._node()
        if chosen is None:
            return
        deidentify = self.panel.deidentify.isChecked()
        root = Path(self.app.workspace.root) if self.app.labels is not None else None
        request = SendRequest(chosen[0], chosen[1], list(files), deidentify, root)
        what = "a de-identified copy of " if deidentify else ""
        self._run(
            f"Sending {what}{len(files)} file(s) to {chosen[0].label()}",
            send,
            request,
            done=self._sent,
        )

    def _sent(self, result) -> None:
        self.panel.say(*result.lines())
        self.app.say(
            result.lines()[0] + (f", {len(result.failed)} failed" if result.failed else "")
        )

    def close(self) -> None:
        self.cancel()
        self.listener.stop()
