"""The Models dock: the workspace's model versions of every task (version, task, date, best
metric) with "Set active" (for that version's model) and the selected card's summary; "Run
model on this series" and the proposal's review (threshold, contours, Accept all / Accept
label / Reject); "Next most uncertain".

Like the training panel it only asks, through signals, and shows what the workbench gives it.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _best_text(best: dict) -> str:
    value = best.get("value")
    if not isinstance(value, int | float):
        return "–"
    return f"{best.get('metric', '')} {value:.3f}".strip()


class ModelPanel(QWidget):
    """Registry versions, inference and the proposal's review."""

    set_active_requested = Signal(str, int)  # model name, version number
    run_requested = Signal()
    cancel_requested = Signal()
    accept_all_requested = Signal()
    accept_label_requested = Signal(int)  # label value
    reject_requested = Signal()
    uncertain_requested = Signal()
    threshold_changed = Signal(float)
    contours_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.versions = []
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Version", "Task", "Date", "Best"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(140)
        self.table.itemSelectionChanged.connect(self._show_card)
        self.set_active_button = QPushButton("Set active")
        self.set_active_button.clicked.connect(self._ask_active)
        self.card = QPlainTextEdit(readOnly=True)
        self.card.setMaximumHeight(100)

        self.run_button = QPushButton("Run model on this series")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.threshold = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=99, value=50)
        self.threshold_label = QLabel("Threshold 0.50")
        self.threshold.valueChanged.connect(self._on_threshold)
        self.contours = QCheckBox("Contours")
        self.contours.toggled.connect(self.contours_changed)
        self.accept_all_button = QPushButton("Accept all")
        self.label_choice = QComboBox()
        self.accept_label_button = QPushButton("Accept label")
        self.reject_button = QPushButton("Reject")
        self.accept_all_button.clicked.connect(self.accept_all_requested)
        self.accept_label_button.clicked.connect(self._ask_label)
        self.reject_button.clicked.connect(self.reject_requested)
        self.uncertain_button = QPushButton("Next most uncertain slice")
        self.uncertain_button.clicked.connect(self.uncertain_requested)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Versions (every task; one active per model)"))
        layout.addWidget(self.table)
        layout.addWidget(self.set_active_button)
        layout.addWidget(self.card)
        run = QHBoxLayout()
        run.addWidget(self.run_button)
        run.addWidget(self.cancel_button)
        layout.addLayout(run)
        layout.addWidget(self.progress)
        threshold = QHBoxLayout()
        threshold.addWidget(self.threshold_label)
        threshold.addWidget(self.threshold)
        threshold.addWidget(self.contours)
        layout.addLayout(threshold)
        review = QHBoxLayout()
        review.addWidget(self.accept_all_button)
        review.addWidget(self.label_choice)
        review.addWidget(self.accept_label_button)
        review.addWidget(self.reject_button)
        layout.addLayout(review)
        layout.addWidget(self.uncertain_button)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.set_busy(False)
        self.set_proposal(None)

    def image_controls(self) -> list[QWidget]:
        """The controls that act on an image series' proposal (put aside over an ECG)."""
        return [
            self.run_button, self.threshold, self.threshold_label, self.contours,
            self.accept_all_button, self.label_choice, self.accept_label_button,
            self.reject_button, self.uncertain_button,
        ]  # fmt: skip

    def set_versions(self, versions: list) -> None:
        """Show `versions` (`VersionInfo`s of any models, oldest first per model); each model's
        active one is marked. The selection stays on the version it was on (else the first
        active one)."""
        kept = self.selected()
        self.versions = list(versions)
        self.table.setRowCount(len(self.versions))
        chosen = None
        for row, info in enumerate(self.versions):
            mark = " (active)" if info.active else ""
            cells = (
                f"{info.id}{mark}",
                str(info.summary.get("task", "")),
                info.created_at[:19].replace("T", " "),
                _best_text(info.best),
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
            if kept is not None and info.id == kept.id:
                chosen = row
            elif info.active and chosen is None and kept is None:
                chosen = row
        if chosen is not None:
            self.table.selectRow(chosen)
        self._show_card()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.versions[rows[0].row()] if rows else None

    def _show_card(self) -> None:
        info = self.selected()
        self.set_active_button.setEnabled(info is not None and not info.active)
        if info is None:
            self.card.setPlainText("")
            return
        text = {"version": info.id, "created": info.created_at, "best": info.best, **info.summary}
        self.card.setPlainText(json.dumps(text, indent=1, default=str))

    def _ask_active(self) -> None:
        info = self.selected()
        if info is not None:
            self.set_active_requested.emit(info.name, info.number)

    def _on_threshold(self, value: int) -> None:
        self.threshold_label.setText(f"Threshold {value / 100:.2f}")
        self.threshold_changed.emit(value / 100)

    def _ask_label(self) -> None:
        value = self.label_choice.currentData()
        if value is not None:
            self.accept_label_requested.emit(int(value))

    def set_busy(self, busy: bool, text: str = "") -> None:
        """A model run (or ranking) is going on: progress and Cancel shown."""
        self.cancel_button.setEnabled(busy)
        self.run_button.setEnabled(not busy)
        self.uncertain_button.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        if text:
            self.status.setText(text)

    def report(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def set_proposal(self, labels: list[tuple[int, str]] | None) -> None:
        """A whole proposal is on show with these (value, name) labels (None: none)."""
        self.label_choice.clear()
        for value, name in labels or []:
            self.label_choice.addItem(f"{value} {name}", value)
        for widget in (self.accept_all_button, self.accept_label_button, self.reject_button):
            widget.setEnabled(labels is not None)
        self.label_choice.setEnabled(bool(labels))
