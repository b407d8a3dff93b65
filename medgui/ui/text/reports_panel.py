"""The Reports dock's widget: the report text of the study on show with its findings
highlighted by status, the findings table, "Accept as tag", import, and the search.

The panel only shows what it is given (`show_study`, `show_hits`, `show_message`) and asks
through its signals; the workbench does the work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from medgui.ui.text.highlight import (
    STATUS_COLOURS,
    highlighted_html,
    legend_html,
    weight_legend_html,
    weighted_html,
)
from medgui.ui.text.model_box import ReportModelBox

UNCERTAIN_CHOICES = (
    ("leave out", "ignore"),
    ("count as positive", "positive"),
    ("count as negative", "negative"),
)


class ReportsPanel(QWidget):
    """Reports of one study, their findings and the workspace search."""

    import_requested = Signal()
    accept_requested = Signal(str, str)  # finding, uncertain policy
    tag_all_requested = Signal(str, str)  # finding, uncertain policy
    search_requested = Signal(str)
    hit_chosen = Signal(int)  # row of the search results
    report_shown = Signal(str)  # the text of the report now on show ("" when none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reports: list = []  # (ReportText, findings) of the study on show
        self.scores = None  # the report model's `ReportScores` for the report on show
        self.report_choice = QComboBox(self)
        self.report_choice.currentIndexChanged.connect(self._show_report)
        self.import_button = QPushButton("Import reports…", self)
        self.import_button.clicked.connect(self.import_requested)
        self.text = QTextBrowser(self)
        self.text.setOpenLinks(False)
        self.legend = QLabel(legend_html(), self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.model = ReportModelBox(self)
        self.model.words_toggled.connect(lambda _on: self._render())
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Finding", "Status", "Sentence"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.uncertain = QComboBox(self)
        for label, policy in UNCERTAIN_CHOICES:
            self.uncertain.addItem(label, policy)
        self.accept_button = QPushButton("Accept as tag", self)
        self.accept_button.setToolTip(
            "Tag the series on show with the selected finding (or its absence), marked as "
            "coming from the report; a tag you set by hand wins"
        )
        self.accept_button.clicked.connect(self._accept)
        self.tag_all_button = QPushButton("Tag all series", self)
        self.tag_all_button.setToolTip(
            "Tag every saved series of the workspace whose study has reports with the "
            "selected finding as its reports state it; tags you set by hand stay"
        )
        self.tag_all_button.clicked.connect(self._tag_all)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search: 'pleural effusion, positive' or any words")
        self.search.returnPressed.connect(lambda: self.search_requested.emit(self.search.text()))
        self.hits = QListWidget(self)
        self.hits.itemActivated.connect(lambda item: self.hit_chosen.emit(self.hits.row(item)))
        self.hits.itemClicked.connect(lambda item: self.hit_chosen.emit(self.hits.row(item)))
        self.message = QLabel(self)
        self.message.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Report:", self))
        top.addWidget(self.report_choice, 1)
        top.addWidget(self.import_button)
        upper = QWidget(self)
        column = QVBoxLayout(upper)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.text, 1)
        column.addWidget(self.legend)
        column.addWidget(self.model)
        lower = QWidget(self)
        column = QVBoxLayout(lower)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.accept_button)
        row.addWidget(self.tag_all_button)
        row.addWidget(QLabel("Uncertain:", self))
        row.addWidget(self.uncertain, 1)
        column.addLayout(row)
        column.addWidget(self.search)
        column.addWidget(self.hits, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self.show_study([], [])

    def show_study(self, reports: list, findings: list) -> None:
        """Show a study's `reports` ((ReportText, its findings) pairs, the findings' mentions
        highlighted) and their `findings` taken together."""
        self._reports = list(reports)
        with QSignalBlocker(self.report_choice):
            self.report_choice.clear()
            for report, _found in self._reports:
                name = Path(report.source).name if report.source else report.report_id
                self.report_choice.addItem(f"{name} ({report.kind})")
                self.report_choice.setItemData(
                    self.report_choice.count() - 1, report.report_id, Qt.ItemDataRole.ToolTipRole
                )
        self.report_choice.setEnabled(bool(self._reports))
        self._show_report(0)
        self.table.setRowCount(len(findings))
        for row, found in enumerate(findings):
            cells = [found.finding, found.status, found.sentence]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(found.sentence)
                if column == 1:
                    fill, ink = STATUS_COLOURS[found.status]
                    item.setBackground(QColor(fill))
                    item.setForeground(QColor(ink))
                self.table.setItem(row, column, item)
        if findings:
            self.table.selectRow(0)
        self.accept_button.setEnabled(bool(findings))
        self.tag_all_button.setEnabled(bool(findings))

    def current_text(self) -> str:
        """The text of the report on show ("" when none)."""
        index = self.report_choice.currentIndex()
        return self._reports[index][0].text if 0 <= index < len(self._reports) else ""

    def _show_report(self, index: int) -> None:
        self.scores = None  # they were the other report's
        self._render()
        self.report_shown.emit(self.current_text())

    def show_scores(self, scores) -> None:
        """Show the report model's `ReportScores` for the report on show (None: no model)."""
        self.scores = scores
        self.model.show_scores(scores)
        self._render()

    def _render(self) -> None:
        """The report on show: the chosen label's words when the model explained it, else the
        findings by status."""
        index = self.report_choice.currentIndex()
        if not 0 <= index < len(self._reports):
            self.text.setHtml("<i>No report for the study on show. Import one (File → Import "
                              "reports…).</i>")  # fmt: skip
            return
        report, found = self._reports[index]
        if self.scores is not None and self.model.words.isChecked():
            self.text.setHtml(weighted_html(report.text, self.scores.spans, self.scores.label))
            self.legend.setText(weight_legend_html(self.scores.label))
            return
        mentions = [m for finding in found for m in finding.mentions]
        self.text.setHtml(highlighted_html(report.text, mentions))
        self.legend.setText(legend_html())

    def choose_report(self, report_id: str) -> None:
        """Show the report `report_id` of the study (nothing when it is not among them)."""
        for index, (report, _found) in enumerate(self._reports):
            if report.report_id == report_id:
                self.report_choice.setCurrentIndex(index)

    def selected_finding(self) -> str:
        """The finding of the selected table row ("" when none)."""
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else ""

    def _accept(self) -> None:
        finding = self.selected_finding()
        if finding:
            self.accept_requested.emit(finding, self.uncertain.currentData())

    def _tag_all(self) -> None:
        finding = self.selected_finding()
        if finding:
            self.tag_all_requested.emit(finding, self.uncertain.currentData())

    def show_hits(self, lines: list[str]) -> None:
        """List the search results (one line each)."""
        self.hits.clear()
        for line in lines:
            item = QListWidgetItem(line)
            item.setToolTip(line)
            self.hits.addItem(item)
        if not lines:
            self.hits.addItem(QListWidgetItem("No report matches"))

    def show_message(self, text: str) -> None:
        """A line under the panel (what an import or a tag did)."""
        self.message.setText(text)
