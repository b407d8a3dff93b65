"""File → Report…: the report's Findings and Impression editors, its options (page size,
format, pseudonymise), the key images marked on the series, and a live preview.

The dialog is only the form: `ReportWorkbench` builds and writes the report in workers and
hands the result back through `show_report`. The preview is the report's HTML in a
`QTextBrowser`, its images registered as the document's resources, shown as on paper (dark text
on white) in the dark theme too.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from medgui.core.annotations.key_images import KeyImage
from medgui.reports.html import render_html
from medgui.ui.common.theme import show_as_paper

FORMATS = {"PDF": ".pdf", "HTML": ".html"}
# Typing pauses this long before the preview is rebuilt (it renders the key images).
PREVIEW_DELAY_MS = 600


def key_image_text(key: KeyImage) -> str:
    """How a key image is listed: plane, slice (1-based) and window."""
    text = (
        f"{key.plane.value.capitalize()} {key.slice_index + 1}  W {key.width:g} / L {key.center:g}"
    )
    return f"{text}  \u2014 {key.note}" if key.note else text


class ReportDialog(QDialog):
    """The report form. Signals: `preview_requested` (the inputs changed), `save_requested(path,
    page size)`, `draft_changed(findings, impression)`, `remove_key_images(uids)`,
    `key_image_activated(uid)` (double-click: show it)."""

    preview_requested = Signal()
    save_requested = Signal(str, str)
    draft_changed = Signal(str, str)
    remove_key_images = Signal(object)  # set of uids
    key_image_activated = Signal(str)  # uid: show that slice with its window

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report")
        self.resize(1100, 760)
        self.findings = QPlainTextEdit(placeholderText="Findings")
        self.impression = QPlainTextEdit(placeholderText="Impression")
        self.impression.setMaximumHeight(120)
        self.key_images = QListWidget()
        self.key_images.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.key_images.setMaximumHeight(90)
        self.remove_button = QPushButton("Remove key image")
        self.page_size = QComboBox()
        self.page_size.addItems(["A4", "Letter"])
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.pseudonymise = QCheckBox("Pseudonymise (replace name, ID and birth date)")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh preview")
        self.save_button = QPushButton("Save…")
        close = QPushButton("Close")
        self.preview = QTextBrowser()
        self.report = None  # the `Report` on show in the preview
        self.preview.setOpenLinks(False)
        show_as_paper(self.preview)  # the report's dark text would vanish on the dark theme
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.preview_requested)
        self._layout(close)
        for editor in (self.findings, self.impression):
            editor.textChanged.connect(self._on_text)
        self.pseudonymise.toggled.connect(self.preview_requested)
        self.refresh_button.clicked.connect(self.preview_requested)
        self.remove_button.clicked.connect(self._remove_selected)
        self.key_images.itemActivated.connect(
            lambda item: self.key_image_activated.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.save_button.clicked.connect(self._ask_and_save)
        close.clicked.connect(self.close)

    def _layout(self, close: QPushButton) -> None:
        form = QFormLayout()
        form.addRow("Page size", self.page_size)
        form.addRow("Format", self.format)
        form.addRow(self.pseudonymise)
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(QLabel("Findings"))
        column.addWidget(self.findings, 3)
        column.addWidget(QLabel("Impression"))
        column.addWidget(self.impression, 1)
        column.addWidget(
            QLabel("Key images (Ctrl+K marks the slice on show; double-click shows one)")
        )
        column.addWidget(self.key_images)
        column.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addLayout(form)
        column.addWidget(self.status)
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.save_button, close):
            buttons.addWidget(button)
        column.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setSizes([420, 680])
        QVBoxLayout(self).addWidget(splitter)

    # What the workbench pushes in.

    def set_inputs(self, findings: str, impression: str, keys: list[KeyImage]) -> None:
        """Show the series' draft text and key images (without echoing them back)."""
        for editor, text in ((self.findings, findings), (self.impression, impression)):
            if editor.toPlainText() != text:
                editor.blockSignals(True)
                editor.setPlainText(text)
                editor.blockSignals(False)
        self.set_key_images(keys)

    def set_key_images(self, keys: list[KeyImage]) -> None:
        self.key_images.clear()
        for key in keys:
            item = QListWidgetItem(key_image_text(key))
            item.setData(Qt.ItemDataRole.UserRole, key.uid)
            self.key_images.addItem(item)

    def show_report(self, report) -> None:
        """Preview `report` (a `Report`): its HTML, images as the document's resources."""
        document = QTextDocument(self.preview)
        names: dict[int, str] = {}

        def source(figure) -> str:
            name = names.setdefault(id(figure), f"figure{len(names)}.png")
            image = QImage.fromData(QByteArray(figure.png), "PNG")
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
            return name

        width = max(200, self.preview.viewport().width() - 100)  # less the body margins
        document.setHtml(render_html(report, image_source=source, max_image_width_px=width))
        self.preview.setDocument(document)
        self.report = report

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    # What the user does.

    def _on_text(self) -> None:
        self.draft_changed.emit(self.findings.toPlainText(), self.impression.toPlainText())
        self._timer.start()

    def _remove_selected(self) -> None:
        uids = {item.data(Qt.ItemDataRole.UserRole) for item in self.key_images.selectedItems()}
        if uids:
            self.remove_key_images.emit(uids)

    def suffix(self) -> str:
        return FORMATS[self.format.currentText()]

    def ask_path(self) -> str | None:
        """Where to save (with the chosen format's suffix), or None (tests replace this)."""
        kind = self.format.currentText()
        path, _ = QFileDialog.getSaveFileName(self, "Save report", "", f"{kind} (*{self.suffix()})")
        if path and not path.lower().endswith(self.suffix()):
            path += self.suffix()
        return path or None

    def _ask_and_save(self) -> None:
        path = self.ask_path()
        if path:
            self.save_requested.emit(path, self.page_size.currentText())
