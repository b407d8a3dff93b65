"""The report model's part of the Reports dock: which model, each label's probability for the
report on show (a label at or above its threshold marked), and the label whose words the text
highlights. It shows what it is given (`show_scores`) and asks through `label_chosen`."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

NO_MODEL = (
    "No report model yet. Train one on the imported reports: Training dock, task "
    "\u201cReport text\u201d, Start (or `medgui train --task report --workspace WS`); each "
    "report's positive findings are its labels."
)
CALLED = "\u2713"  # the probability reaches the label's threshold


class ReportModelBox(QWidget):
    """Probabilities per label; a row picked (or the box toggled) asks for that label's words."""

    label_chosen = Signal(str)
    words_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = QLabel(NO_MODEL, self)
        self.info.setWordWrap(True)
        self.words = QCheckBox("Highlight the words that drove the chosen label", self)
        self.words.setChecked(True)
        self.words.toggled.connect(self.words_toggled)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Label", "Probability", "Called"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._picked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addWidget(self.words)
        layout.addWidget(self.table, 1)
        self.show_scores(None)

    def show_scores(self, scores) -> None:
        """Show a `ReportScores` (None: no model, say how to train one)."""
        has = scores is not None
        self.table.setVisible(has)
        self.words.setVisible(has)
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(scores.labels) if has else 0)
            if not has:
                self.info.setText(NO_MODEL)
                return
            self.info.setText(
                f"Model {scores.version_id}: probability per label (\u2713 at or above the "
                "label's threshold); pick a label to see its words"
            )
            for row, (name, p, t) in enumerate(
                zip(scores.labels, scores.probabilities, scores.thresholds, strict=True)
            ):
                cells = [name, f"{p:.2f}", CALLED if p >= t else ""]
                for column, value in enumerate(cells):
                    item = QTableWidgetItem(value)
                    item.setToolTip(f"{name}: {p:.3f} (threshold {t:.2f})")
                    if column:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(row, column, item)
            self.table.selectRow(scores.labels.index(scores.label))

    def chosen_label(self) -> str:
        """The label picked ("" when none)."""
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else ""

    def _picked(self) -> None:
        label = self.chosen_label()
        if label:
            self.label_chosen.emit(label)
