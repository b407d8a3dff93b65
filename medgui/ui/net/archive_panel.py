"""The Archive dock: a node, a query form, the studies found (series under each), retrieve
with progress and Cancel, send, and a log of what each call did.

A thin widget: it turns its fields into a `Node` and a `Query` and says what the user asked
for; the `ArchiveWorkbench` runs the calls in workers and hands the answers back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medgui.core.net.nodes import ArchiveSettings
from medgui.core.net.query import Query, SeriesMatch, StudyMatch, date_range
from medgui.ui.net.node_form import NodeForm

COLUMNS = ("Patient", "ID", "Date", "Modality", "Accession", "Description", "Images")
_UID_ROLE = Qt.ItemDataRole.UserRole
_RESULT_ROWS_PX, _LOG_PX = 170, 110  # room for a few studies; the log scrolls


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 else value


class ArchivePanel(QWidget):
    """The dock's widget over `settings`; signals say what the user asked for."""

    search_requested = Signal()
    retrieve_requested = Signal()
    send_study_requested = Signal()
    send_files_requested = Signal()
    send_export_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, settings: ArchiveSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.nodes = NodeForm(settings, self)
        self.last_export: list[str] = []
        self.fields = {
            key: QLineEdit(self)
            for key in ("patient_name", "patient_id", "dates", "modality", "accession",
                        "description")
        }  # fmt: skip
        self.fields["patient_name"].setPlaceholderText("Doe*  (wildcards * ?)")
        self.fields["dates"].setPlaceholderText("YYYYMMDD-YYYYMMDD")
        self.search_button = QPushButton("Search", self)
        query = QGroupBox("Query", self)
        form = QFormLayout(query)
        labels = ("Patient name", "Patient ID", "Study date", "Modality", "Accession",
                  "Description")  # fmt: skip
        for label, edit in zip(labels, self.fields.values(), strict=True):
            form.addRow(label, edit)
            edit.returnPressed.connect(self.search_requested)
        form.addRow(self.search_button)
        self.results = QTreeWidget(self)
        self.results.setHeaderLabels(COLUMNS)
        self.results.setSelectionMode(QTreeWidget.SelectionMode.SingleSelection)
        self.results.setMinimumHeight(_RESULT_ROWS_PX)
        self.retrieve_button = QPushButton("Retrieve", self)
        self.retrieve_button.setToolTip("the selected study, or the selected series only")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.deidentify = QCheckBox("De-identified copy", self)
        self.deidentify.setToolTip(
            "Off by default: results sent back to the hospital archive must keep the patient "
            "and study they belong to. Tick it for a research archive."
        )
        self.send_study_button = QPushButton("Send study on show", self)
        self.send_files_button = QPushButton("Send files…", self)
        self.send_export_button = QPushButton("Send last export", self)
        self.send_export_button.setToolTip("the SEG and SR that File → Export… wrote last")
        self.send_export_button.setEnabled(False)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setMaximumHeight(_LOG_PX)
        # The node is set up once, the query is used every time: tabs leave the room to the
        # studies found.
        self.tabs = QTabWidget(self)
        self.tabs.addTab(query, "Query")
        scroll = QScrollArea(self)  # the node form's height does not set the tabs' height
        scroll.setWidget(self.nodes)
        scroll.setWidgetResizable(True)
        self.tabs.addTab(scroll, "Node")
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        if not settings.nodes:
            self.tabs.setCurrentIndex(1)  # nothing to query yet
        self.nodes.saved.connect(self._after_save)
        self.nodes.problem.connect(self.say)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.results, stretch=2)
        row = QHBoxLayout()
        for widget in (self.retrieve_button, self.cancel_button, self.progress):
            row.addWidget(widget)
        layout.addLayout(row)
        row = QHBoxLayout()
        for widget in (self.send_study_button, self.send_files_button, self.send_export_button):
            row.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.deidentify)
        layout.addWidget(self.log, stretch=1)
        self.search_button.clicked.connect(self.search_requested)
        self.retrieve_button.clicked.connect(self.retrieve_requested)
        self.results.itemDoubleClicked.connect(lambda *_: self.retrieve_requested.emit())
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.send_study_button.clicked.connect(self.send_study_requested)
        self.send_files_button.clicked.connect(self.send_files_requested)
        self.send_export_button.clicked.connect(self.send_export_requested)

    def _after_save(self) -> None:
        if self.nodes.settings.nodes:
            self.tabs.setCurrentIndex(0)  # a node to query: on to the query

    def query(self) -> Query:
        """The query the form describes; ValueError for a date that is not YYYYMMDD."""
        text = {key: edit.text().strip() for key, edit in self.fields.items()}
        start, end = date_range(text["dates"]) if text["dates"] else ("", "")
        return Query(
            text["patient_name"], text["patient_id"], start, end, text["modality"].upper(),
            text["accession"], text["description"],
        )  # fmt: skip

    def show_studies(self, studies: list[tuple[StudyMatch, list[SeriesMatch]]]) -> None:
        """The studies found, each with its series as children."""
        self.results.clear()
        for study, series in studies:
            item = QTreeWidgetItem(
                [study.patient_name, study.patient_id, _date(study.date), study.modalities,
                 study.accession, study.description, str(study.instances or "")]
            )  # fmt: skip
            item.setData(0, _UID_ROLE, (study.uid, None))
            for s in series:
                number = "" if s.number is None else f"#{s.number}"
                child = QTreeWidgetItem(
                    ["", "", "", s.modality, number, s.description, str(s.instances or "")]
                )
                child.setData(0, _UID_ROLE, (study.uid, s.uid))
                item.addChild(child)
            self.results.addTopLevelItem(item)
        for column in range(len(COLUMNS)):
            self.results.resizeColumnToContents(column)
        if studies:
            self.results.setCurrentItem(self.results.topLevelItem(0))

    def selection(self) -> tuple[str, str | None] | None:
        """(study UID, series UID or None for the whole study) of the selected row."""
        item = self.results.currentItem()
        return None if item is None else item.data(0, _UID_ROLE)

    def set_busy(self, busy: bool, text: str = "") -> None:
        for button in (self.search_button, self.retrieve_button, self.send_study_button,
                       self.send_files_button, self.nodes.verify_button):  # fmt: skip
            button.setEnabled(not busy)
        self.send_export_button.setEnabled(not busy and bool(self.last_export))
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.progress.setFormat(text)

    def report(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {total}")

    def say(self, *lines: str) -> None:
        """Append `lines` to the log (newest at the bottom, scrolled into view)."""
        for line in lines:
            self.log.appendPlainText(line)
