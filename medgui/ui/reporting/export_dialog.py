"""File → Export…: label maps as DICOM SEG, measurements as DICOM SR, and a de-identified copy
of the study (with the two options of the profile), into one folder.

`ExportWorkbench` adds the menu entry and gathers what is on show (the series, a copy of its
label map, its measurements, the study's files); `ExportDialog` is the form. The export runs in
`medgui.workers.export_worker` with progress and Cancel, and the dialog shows its summary: the
files written, images that may show burned-in text, and the verification's result (or why the
export failed).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medgui.core.deid.clean import DeidOptions
from medgui.core.workspace.export import has_labels
from medgui.ui.common.app_context import AppContext
from medgui.ui.labeling.persistence import copy_labelmap
from medgui.workers.export_worker import ExportRequest, ExportResult, export_worker


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit)
    layout.addWidget(button)
    return row


class ExportDialog(QDialog):
    """The export form: what, where, the de-identification options, progress and summary."""

    export_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self.setWindowTitle("Export")
        self.seg_box = QCheckBox("Label maps as DICOM SEG")
        self.sr_box = QCheckBox("Measurements and label statistics as DICOM SR")
        self.deid_box = QCheckBox("De-identified copy of the study (PS3.15 basic profile)")
        self.dates_box = QCheckBox("Keep dates, shifted by a per-patient offset")
        self.traits_box = QCheckBox("Keep patient characteristics (sex, age, size, weight)")
        self.folder_edit = QLineEdit()
        self.mapping_edit = QLineEdit()
        self.mapping_edit.setPlaceholderText("optional: pseudonyms kept across exports")
        browse_folder, browse_mapping = QPushButton("Browse…"), QPushButton("Browse…")
        browse_folder.clicked.connect(self._choose_folder)
        browse_mapping.clicked.connect(self._choose_mapping)
        self.bar = QProgressBar()
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        self.export_button = QPushButton("Export")
        self.cancel_button = QPushButton("Cancel export")
        self.close_button = QPushButton("Close")
        self.export_button.clicked.connect(self.export_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.close_button.clicked.connect(self.reject)
        self.deid_box.toggled.connect(self._sync)
        form = QFormLayout()
        for box in (self.seg_box, self.sr_box, self.deid_box):
            form.addRow(box)
        form.addRow("    ", self.dates_box)
        form.addRow("    ", self.traits_box)
        form.addRow("Mapping file", _path_row(self.mapping_edit, browse_mapping))
        form.addRow("Output folder", _path_row(self.folder_edit, browse_folder))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.summary, 1)
        layout.addLayout(buttons)
        self.resize(620, 480)
        self.set_running(False)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def _choose_mapping(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Mapping file", self.mapping_edit.text(), "CSV (*.csv)"
        )
        if path:
            self.mapping_edit.setText(path)

    def _sync(self) -> None:
        on = self.deid_box.isChecked() and self.deid_box.isEnabled()
        for widget in (self.dates_box, self.traits_box, self.mapping_edit):
            widget.setEnabled(on and not self._running)

    def set_running(self, running: bool) -> None:
        """Lock the form while an export runs; only Cancel is live then."""
        self._running = running
        for widget in (self.seg_box, self.sr_box, self.deid_box, self.folder_edit):
            widget.setEnabled(not running and widget.property("available") is not False)
        self.export_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self._sync()

    def set_available(self, seg: bool, sr: bool, deid: bool) -> None:
        """Offer only what the series on show can give (e.g. no SEG without labels)."""
        for box, ok in ((self.seg_box, seg), (self.sr_box, sr), (self.deid_box, deid)):
            box.setProperty("available", ok)
            box.setEnabled(ok and not self._running)
            box.setChecked(box.isChecked() and ok)
        self._sync()

    def report(self, done: int, total: int) -> None:
        """Show progress (a busy bar while `total` is 0)."""
        self.bar.setRange(0, total)
        self.bar.setValue(done)

    def show_lines(self, lines: list[str]) -> None:
        """Replace the summary text."""
        self.summary.setPlainText("\n".join(lines))


class ExportWorkbench(QObject):
    """File → Export… of the application (`app`, with its `labels` workbench); `exported(paths)`
    with the SEG and SR files of each export that succeeded (the Archive dock sends them)."""

    exported = Signal(list)

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self.dialog = ExportDialog(app.shell)
        self.worker = None
        self.result: ExportResult | None = None
        self._failed = False
        self.action = QAction("&Export…", app.shell)
        self.action.setShortcut("Ctrl+E")
        self.action.triggered.connect(self.show_dialog)
        app.menu_holding("quit").insertAction(app.menu_actions["quit"], self.action)
        app.menu_actions["export"] = self.action
        self.dialog.export_requested.connect(self.start)
        self.dialog.cancel_requested.connect(self.cancel)

    @property
    def running(self) -> bool:
        """Whether an export is under way."""
        return self.worker is not None

    def _on_show(self):
        """(volume, label map, measurements) of the series on show."""
        volume = self.app.view_layout.volume
        session = self.app.session
        labelmap = session.labelmap if session is not None and session.volume is volume else None
        key = session.key if session is not None else None
        measurements = self.app.measurements.store.list(key) if key else []
        return volume, labelmap, measurements

    def show_dialog(self) -> None:
        """Open the dialog for the series on show."""
        volume, labelmap, measurements = self._on_show()
        dicom = volume is not None and bool(volume.slice_sources)
        labelled = dicom and has_labels(labelmap)
        self.dialog.set_available(labelled, dicom and (labelled or bool(measurements)), dicom)
        if not self.running:
            text = "" if dicom else "Open a DICOM series first: only DICOM can be exported here."
            self.dialog.show_lines([text] if text else [])
        self.dialog.show()
        self.dialog.raise_()

    def _study_files(self, volume) -> list[Path]:
        """Every DICOM file of the study on show (the series' own files without a scan)."""
        scan = self.app.scan
        uid = str(volume.metadata.get("SeriesInstanceUID") or "")
        study = next((s.study_uid for s in scan.series if s.uid == uid), None) if scan else None
        if study:
            return [
                Path(f) for s in scan.series if s.study_uid == study and s.format == "dicom"
                for f in s.files
            ]  # fmt: skip
        return sorted({Path(path) for path, _ in volume.slice_sources})

    def request(self) -> ExportRequest:
        """The request the form describes; ValueError when it cannot be run."""
        d = self.dialog
        volume, labelmap, measurements = self._on_show()
        if volume is None:
            raise ValueError("no series is open")
        folder = d.folder_edit.text().strip()
        if not folder:
            raise ValueError("choose the output folder")
        mapping = d.mapping_edit.text().strip()
        return ExportRequest(
            out_dir=Path(folder),
            volume=volume,
            labelmap=copy_labelmap(labelmap) if labelmap is not None else None,
            measurements=list(measurements),
            workspace_root=self.app.workspace.root,
            seg=d.seg_box.isChecked(),
            sr=d.sr_box.isChecked(),
            deid=d.deid_box.isChecked(),
            deid_options=DeidOptions(d.dates_box.isChecked(), d.traits_box.isChecked()),
            study_files=self._study_files(volume) if d.deid_box.isChecked() else [],
            mapping_path=Path(mapping) if mapping and d.deid_box.isChecked() else None,
        )

    def start(self) -> None:
        """Run the export the form describes."""
        if self.running:
            return
        try:
            request = self.request()
        except ValueError as error:
            self.dialog.show_lines([f"Cannot export: {error}"])
            return
        self.result, self._failed = None, False
        self.worker = worker = export_worker(request)
        worker.progressed.connect(self.dialog.report)
        worker.returned.connect(self._on_done)
        worker.errored.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self.dialog.set_running(True)
        self.dialog.show_lines(["Exporting…"])
        self.dialog.report(0, 0)
        worker.start()

    def cancel(self) -> None:
        """Stop the export at its next step; what it wrote of a de-identified copy goes."""
        if self.worker is not None:
            self.worker.quit()

    def _on_done(self, result: ExportResult | None) -> None:
        if result is not None:  # None: cancelled
            self.result = result
            self.dialog.show_lines(["Export done.", *result.lines()])
            self.exported.emit(list(result.written))

    def _on_failed(self, error: Exception) -> None:
        self._failed = True
        self.dialog.show_lines([f"Export FAILED: {error}"])

    def _on_finished(self) -> None:
        if self.result is None and not self._failed:
            self.dialog.show_lines(["Export cancelled."])
        self.worker = None
        self.dialog.set_running(False)
        self.dialog.report(1, 1)
