"""Reports in the main window: File → "Mark key image" (Ctrl+K) marks the slice on show with
its plane, slice and window; File → "Report…" (Ctrl+P) opens the `ReportDialog`.

Key images and the Findings/Impression drafts live in the series' annotations, so they are
saved, autosaved and restored with the labels. Building the report (model cards, key images
rendered) and writing it run in workers; a preview that is overtaken by newer input is
dropped (a generation counter), and the writer records the report in the audit log.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.image.reformat import plane_for_axis
from medgui.reports.model_section import ModelRun
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.error_dialog import log_caught
from medgui.ui.labeling.persistence import snapshot
from medgui.ui.reporting.key_image_marks import KeyImageMarks
from medgui.ui.reporting.report_dialog import ReportDialog, key_image_text
from medgui.workers.report_worker import ReportRequest, build_report_worker, write_report_worker

CLASSIFIER_NAME = "classify"  # the model name the Models dock's classifier runs


class ReportWorkbench(QObject):
    """The report part of the application (`app`, with its `labels` and `training`)."""

    saved = Signal(str)  # the path of a report written

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self.context = app.label_context
        self.dialog: ReportDialog | None = None
        self.job = None  # the build worker of the preview on its way
        self.jobs: list = []  # every worker running, kept until it finishes
        self._generation = 0
        self._session = None
        self._build_menu()
        self.context.session_changed.connect(self._on_session)
        self.marks = KeyImageMarks(self.context, app.view_layout, self)
        app.measurements.measurements_changed.connect(lambda *_: self._refresh_if_shown())

    def _build_menu(self) -> None:
        window = self.app.shell
        quit_action = self.app.menu_actions["quit"]
        file_menu = self.app.menu_holding("quit")
        entries = (
            ("mark_key_image", "Mark &key image", "Ctrl+K", self.mark_key_image),
            ("report", "&Report…", "Ctrl+P", self.open_dialog),
        )
        for name, text, key, slot in entries:
            action = QAction(text, window)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            file_menu.insertAction(quit_action, action)
            self.app.menu_actions[name] = action
        file_menu.insertSeparator(quit_action)

    def _say(self, text: str) -> None:
        self.app.say(text)

    # Key images.

    def mark_key_image(self) -> KeyImage | None:
        """Mark the slice on show (the active plane's) with its window as a key image."""
        session, state = self.context.session, self.context.state
        if session is None or state is None:
            self._say("Open a series to mark a key image")
            return None
        plane, window = state.active_plane, state.window
        key = KeyImage(
            plane=plane,
            slice_index=state.slice_index(plane),
            center=window.center,
            width=window.width,
        )
        session.add_key_image(key)
        self._say(f"Key image marked: {key_image_text(key)}")
        return key

    def show_key_image(self, uid: str) -> None:
        """Show key image `uid`: its plane active, at its slice, with its window."""
        session, state = self.context.session, self.context.state
        if session is None or state is None:
            return
        key = next((k for k in session.annotations.key_images if k.uid == uid), None)
        if key is not None:
            state.set_active_plane(key.plane)
            state.set_slice(key.plane, key.slice_index)
            state.set_window(key.center, key.width)

    def _on_session(self, session) -> None:
        if self._session is not None:
            self._session.annotations_changed.disconnect(self._on_annotations)
        self._session = session
        if session is not None:
            session.annotations_changed.connect(self._on_annotations)
        if self.dialog is not None and self.dialog.isVisible():
            self._fill_dialog()

    def _on_annotations(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_key_images(self._session.annotations.key_images)
            self.preview()

    def _refresh_if_shown(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.preview()

    # The dialog.

    def open_dialog(self) -> ReportDialog | None:
        """Show the report dialog for the series on show (None when there is none)."""
        if self.context.session is None:
            self.app.warn("Report", "Open a series to write its report.")
            return None
        if self.dialog is None:
            dialog = self.dialog = ReportDialog(self.app.shell)
            dialog.draft_changed.connect(self._keep_draft)
            dialog.remove_key_images.connect(lambda uids: self._session.remove_key_images(uids))
            dialog.preview_requested.connect(self.preview)
            dialog.key_image_activated.connect(self.show_key_image)
            dialog.save_requested.connect(self.save)
        self._fill_dialog()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _fill_dialog(self) -> None:
        session = self.context.session
        if session is None:
            self.dialog.set_inputs("", "", [])
            self.dialog.set_status("No series is open.")
            return
        draft = session.annotations.report_draft
        self.dialog.set_inputs(draft.findings, draft.impression, session.annotations.key_images)
        self.preview()

    def _keep_draft(self, findings: str, impression: str) -> None:
        if self._session is not None:
            self._session.set_report_draft(ReportDraft(findings, impression))

    def _request(self) -> ReportRequest | None:
        session, dialog = self.context.session, self.dialog
        if session is None or dialog is None:
            return None
        measurements = [m.to_dict() for m in self.app.measurements.store.list(session.key)]
        return ReportRequest(
            volume=session.volume,
            work=snapshot(session, measurements),
            workspace_root=self.app.workspace.root,
            findings=dialog.findings.toPlainText(),
            impression=dialog.impression.toPlainText(),
            pseudonymise=dialog.pseudonymise.isChecked(),
            runs=self._runs(session.volume),
        )

    def _runs(self, volume) -> list[ModelRun]:
        """The classifier's result on this series, if the Models dock has one."""
        training = self.app.training  # None when the application has no training workbench
        result = training.classifier.result if training is not None else None
        if result is None or tuple(result[3]) != tuple(volume.shape_zyx):
            return []
        probabilities, heat, k, _shape = result
        plane = plane_for_axis(volume, 2)
        return [ModelRun(CLASSIFIER_NAME, dict(probabilities), plane, int(k), heat)]

    def _start(self, request: ReportRequest, on_report):
        worker = build_report_worker(request)
        worker.progressed.connect(
            lambda done, total: self.dialog.set_status(f"Rendering key image {done} of {total}…")
        )
        worker.returned.connect(lambda report: report is not None and on_report(report))
        worker.errored.connect(lambda error: self._failed("Building the report", error))
        self._run(worker)
        return worker

    def _run(self, worker) -> None:
        self.jobs.append(worker)
        worker.finished.connect(lambda: self.jobs.remove(worker))
        worker.start()

    def _failed(self, what: str, error: Exception) -> None:
        text = f"{what} failed: {error}"
        log_caught(text, error)
        if self.dialog is not None:
            self.dialog.set_status(text)
        self.app.warn("Report", text)

    def preview(self) -> None:
        """Rebuild the preview from the dialog's inputs (a newer request drops an older one)."""
        request = self._request()
        if request is None:
            return
        self._generation += 1
        generation = self._generation
        if self.job is not None:
            self.job.quit()  # its result would be stale anyway
        self.dialog.set_status("Building the preview…")

        def show(report) -> None:
            if generation == self._generation and self.dialog is not None:
                self.dialog.show_report(report)
                self.dialog.set_status("Preview up to date.")

        self.job = self._start(request, show)
        self.job.finished.connect(lambda job=self.job: self._job_over(job))

    def _job_over(self, job) -> None:
        if job is self.job:
            self.job = None

    def save(self, path: str, size: str) -> None:
        """Build the report from the dialog's inputs and write it to `path` (PDF or HTML)."""
        request = self._request()
        if request is None:
            return
        key = request.work.key
        self.dialog.set_status(f"Writing {path}…")

        def write(report) -> None:
            root = request.workspace_root
            worker = write_report_worker(report, path, size, root, key)
            worker.returned.connect(self._written)
            worker.errored.connect(lambda error: self._failed(f"Writing {path}", error))
            self._run(worker)

        self._start(request, write)

    def _written(self, path) -> None:
        text = f"Report written to {path}"
        if self.dialog is not None:
            self.dialog.set_status(text)
        self._say(text)
        self.saved.emit(str(path))

    def close(self) -> None:
        """Stop the workers (the window is closing)."""
        for worker in list(self.jobs):
            worker.quit()
