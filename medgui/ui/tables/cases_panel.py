"""The Cases dock's widget: the case table (sortable, filterable), the target and features to
learn, training with its curves, and the results: cross-validated scores of the MLP and its
baselines, ROC curve, confusion matrix, importance, and each case's prediction with what drove
it. The panel only shows and asks: `CasesWorkbench` does the work."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from medgui.core.tables.columns import ID_COLUMNS, PER, TARGET
from medgui.core.tables.csvfile import is_missing
from medgui.ui.tables.case_model import CaseProxy, CaseTableModel

SHOWN_IMPORTANCE = 15
HIDDEN = ("study_uid", "series_uid", "series_key")
_COLORS = ("#4c9be8", "#e8a34c", "#5cc97b", "#d95f5f", "#a070d0")


def roc_points(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) over every threshold, ties taken together."""
    order = np.argsort(-scores, kind="stable")
    scores, positive = scores[order], positive[order].astype(float)
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # each threshold's end
    tp, fp = np.cumsum(positive)[last], np.cumsum(1 - positive)[last]
    return np.r_[0, fp / max(fp[-1], 1)], np.r_[0, tp / max(tp[-1], 1)]


class CasesPanel(QWidget):
    """See the module docstring."""

    build_requested = Signal(str)  # one row per
    train_requested = Signal(str, list, dict)  # target, features, TrainConfig JSON fields
    cancel_requested = Signal()
    open_requested = Signal(str)  # series key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CaseTableModel(self)
        self.proxy = CaseProxy(self)
        self.proxy.setSourceModel(self.model)
        self.per = QComboBox()
        for name in PER:
            self.per.addItem(f"one row per {name}", name)
        self.per.setCurrentIndex(PER.index("series"))
        self.build = QPushButton("Build table")
        self.cancel = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.status = QLabel("Build the table of the workspace's saved series.")
        self.status.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="filter rows (any cell)")
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setToolTip("Double-click a case to open its series")
        self.view.horizontalHeader().setMaximumSectionSize(220)  # UIDs would fill the view
        self.target = QComboBox()
        self.features = QListWidget()
        self.features.setMaximumHeight(110)
        self.epochs = QSpinBox(minimum=1, maximum=5000, value=40)
        self.folds = QSpinBox(minimum=2, maximum=20, value=5)
        self.train = QPushButton("Train")
        self.tabs = QTabWidget()
        self.curve_plot = self._plot("Validation AUC per fold", "epoch", "AUC")
        self.roc_plot = self._plot("ROC (out-of-fold)", "1 - specificity", "sensitivity")
        self.importance_plot = self._plot(
            "Permutation importance (cross-entropy growth, nats)", "", ""
        )
        self.confusion = QTableWidget()
        self.scores = QLabel("")
        self.scores.setWordWrap(True)
        self.scores.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget, title in ((self.curve_plot, "Curves"), (self.roc_plot, "ROC"),
                              (self.confusion, "Confusion"), (self.importance_plot, "Importance"),
                              (self.scores, "Scores")):  # fmt: skip
            self.tabs.addTab(widget, title)
        self._layout()
        self._curves: list = []
        self.build.clicked.connect(lambda: self.build_requested.emit(self.per.currentData()))
        self.cancel.clicked.connect(self.cancel_requested)
        self.train.clicked.connect(self._train)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.doubleClicked.connect(self._open)
        self.target.currentTextChanged.connect(self._fill_features)
        self.set_running(False)

    @staticmethod
    def _plot(title: str, bottom: str, left: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title)
        plot.setLabel("bottom", bottom)
        plot.setLabel("left", left)
        plot.setMinimumHeight(200)
        return plot

    def _layout(self) -> None:
        top = QHBoxLayout()
        for widget in (self.per, self.build, self.cancel):
            top.addWidget(widget)
        learn = QHBoxLayout()
        for label, widget in (("Target", self.target), ("Epochs", self.epochs),
                              ("Folds", self.folds)):  # fmt: skip
            learn.addWidget(QLabel(label))
            learn.addWidget(widget)
        learn.addWidget(self.train)
        upper = QWidget()
        column = QVBoxLayout(upper)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.filter)
        column.addWidget(self.view, 1)
        column.addLayout(learn)
        column.addWidget(QLabel("Features"))
        column.addWidget(self.features)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)  # the table gets most of the height
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # What the workbench tells it.

    def set_running(self, running: bool) -> None:
        """A job (building or training) is running: Cancel on, the rest off."""
        for widget in (self.build, self.train, self.per, self.target, self.features):
            widget.setEnabled(not running)
        self.train.setEnabled(not running and self.model.rowCount() > 0)
        self.cancel.setEnabled(running)
        self.progress.setVisible(running)

    def report(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def say(self, text: str) -> None:
        self.status.setText(text)

    def show_table(self, columns: list[str], rows: list[dict], problems: list[str]) -> None:
        self.model.set_table(columns, rows)
        self._hide_uids()
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems([c for c in columns if c not in ID_COLUMNS])
        self.target.blockSignals(False)
        if TARGET in columns:
            self.target.setCurrentText(TARGET)
        self._fill_features(self.target.currentText())
        text = f"{len(rows)} cases, {len(columns)} columns"
        self.say(text + (f"; {len(problems)} problems: " + "; ".join(problems[:3])
                         if problems else ""))  # fmt: skip
        self.set_running(False)

    def _hide_uids(self) -> None:
        """Hide the UID columns (kept in the model: double-click opens the series by them)."""
        for n, column in enumerate(self.model.columns):
            self.view.setColumnHidden(n, column in HIDDEN)
        self.view.resizeColumnsToContents()

    def _fill_features(self, target: str) -> None:
        self.features.clear()
        for column in self.model.columns:
            if column in ID_COLUMNS or column == target:
                continue
            item = QListWidgetItem(column)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            # A column with no value (weight where no header records it) teaches nothing.
            empty = all(is_missing(row.get(column)) for row in self.model.rows)
            item.setCheckState(Qt.CheckState.Unchecked if empty else Qt.CheckState.Checked)
            self.features.addItem(item)

    def chosen_features(self) -> list[str]:
        items = (self.features.item(i) for i in range(self.features.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]

    def _train(self) -> None:
        for curve in self._curves:
            self.curve_plot.removeItem(curve)
        self._curves = []
        options = {"folds": self.folds.value()}
        config = {"epochs": self.epochs.value(), "batch_size": 32, "device": "cpu",
                  "early_stopping_patience": 10, "options": options}  # fmt: skip
        self.train_requested.emit(self.target.currentText(), self.chosen_features(), config)

    def _open(self, index) -> None:
        row = self.model.rows[self.proxy.mapToSource(index).row()]
        if row.get("series_key"):
            self.open_requested.emit(str(row["series_key"]))

    # Training events (through `dispatch`).

    def on_message(self, event) -> None:
        self.say(str(event))

    def on_epoch_started(self, event) -> None:
        if event.epoch == 1:  # a new fold (or the final fit)
            color = _COLORS[len(self._curves) % len(_COLORS)]
            self._curves.append(self.curve_plot.plot([], [], pen=color, symbol="o", symbolSize=4))

    def on_epoch_done(self, event) -> None:
        if not self._curves or "auc" not in event.metrics:
            return
        curve = self._curves[-1]
        x, y = curve.getData()
        x = [] if x is None else list(x)
        y = [] if y is None else list(y)
        curve.setData(x + [event.epoch], y + [event.metrics["auc"]])

    # The result.

    def show_result(self, result) -> None:
        """Scores, ROC, confusion, importance and per-case predictions of a `TableTrained`."""
        lines = [f"<b>{result.version_id}</b> (cross-validated, same folds)"]
        for model, scores in result.comparison.items():
            shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
            lines.append(f"{model.replace('_', ' ')}: {shown}")
        self.scores.setText("<br>".join(lines))
        self.roc_plot.clear()
        self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        classes = result.classes
        shown_classes = classes[1:] if len(classes) == 2 else classes
        self.roc_plot.addLegend()
        for n, name in enumerate(shown_classes):
            c = classes.index(name)
            fpr, tpr = roc_points(result.y == c, result.probabilities[:, c])
            self.roc_plot.plot(fpr, tpr, pen=pg.mkPen(_COLORS[n % len(_COLORS)], width=2),
                               name=name)  # fmt: skip
        self._show_confusion(classes, result.confusion)
        self._show_importance(result.importance)
        predicted = result.probabilities.argmax(axis=1)
        header = self.view.horizontalHeader()
        sorted_by = self.model.columns[header.sortIndicatorSection()] if self.model.columns else ""
        self.model.add_columns({
            "predicted": {i: classes[p] for i, p in zip(result.ids, predicted, strict=True)},
            "probability": {i: float(result.probabilities[n, p])
                            for n, (i, p) in enumerate(zip(result.ids, predicted, strict=True))},
            "drivers": dict(zip(result.ids, result.drivers, strict=True)),
        })  # fmt: skip
        self._hide_uids()
        if sorted_by in self.model.columns:  # the new columns moved the sorted one along
            self.view.sortByColumn(self.model.columns.index(sorted_by), header.sortIndicatorOrder())
        self.tabs.setCurrentWidget(self.roc_plot)
        mlp = result.comparison.get("mlp", {})
        self.say(
            f"trained {result.version_id}: cross-validated AUC {mlp.get('auc', float('nan')):.3f}, "
            f"accuracy {mlp.get('accuracy', float('nan')):.3f}; predictions are out-of-fold"
        )
        self.set_running(False)

    def _show_confusion(self, classes: list[str], confusion: list[list[int]]) -> None:
        self.confusion.setRowCount(len(classes))
        self.confusion.setColumnCount(len(classes))
        self.confusion.setVerticalHeaderLabels([f"true {c}" for c in classes])
        self.confusion.setHorizontalHeaderLabels([f"predicted {c}" for c in classes])
        for i, row in enumerate(confusion):
            for j, count in enumerate(row):
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.confusion.setItem(i, j, item)

    def _show_importance(self, importance: list[dict]) -> None:
        self.importance_plot.clear()
        top = importance[:SHOWN_IMPORTANCE][::-1]  # largest at the top
        values = [item["importance"] for item in top]
        bars = pg.BarGraphItem(x0=0, y=np.arange(len(top)), height=0.7, width=values,
                               brush="#4c9be8")  # fmt: skip
        self.importance_plot.addItem(bars)
        axis = self.importance_plot.getAxis("left")
        axis.setTicks([[(n, item["feature"]) for n, item in enumerate(top)]])
