"""The Training dock: what to train, Start / Cancel / Resume, and the run as it goes — loss and
Dice curves per epoch, epoch k/N, the time left, the device and why, and the trainer's messages.

The panel only asks (`start_requested(config, resume)`, `cancel_requested()`) and shows what
the `TrainingWorkbench` hands it: the trainer's typed events, through `dispatch` to its
`on_<event>` methods. It knows nothing of torch.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medgui.ui.models.semi_panel import SemiSupervisedBox
from medgui.workers.catalogue import VALIDATION, task_entry, task_names

_LOG_LINES = 200


def _eta_text(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class TrainingPanel(QWidget):
    """The training form, buttons and live curves."""

    start_requested = Signal(dict, bool)  # TrainConfig as JSON, resume
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = QComboBox()
        for name in task_names():
            if task_entry(name).in_training_dock:
                self.task.addItem(task_entry(name).label, name)
        self.labels = QListWidget()
        self.labels.setMaximumHeight(90)
        self.labels.setToolTip("The labels (or classes) of the series on show: what is learnt")
        self.model = QComboBox()
        self.epochs = QSpinBox(minimum=1, maximum=10_000, value=50)
        self.minutes = QDoubleSpinBox(minimum=0.0, maximum=10_000.0, decimals=1, value=0.0)
        self.minutes.setSpecialValueText("no limit")
        self.minutes.setSuffix(" min")
        self.batch_size = QSpinBox(minimum=1, maximum=1024, value=8)
        self.learning_rate = QDoubleSpinBox(
            minimum=1e-6, maximum=1.0, decimals=6, singleStep=1e-4, value=1e-3
        )
        self.augment = QCheckBox("Augmentation")
        self.augment.setChecked(True)
        # Off by default: left and right are anatomy (situs, laterality markers).
        self.flip = QCheckBox("Mirror left-right")
        self.flip.setToolTip("Flip images when augmenting: only for targets without laterality")
        self.validation = QComboBox()
        for key, text in VALIDATION:
            self.validation.addItem(text, key)
        self.validation.setToolTip(
            "What keeps validation data apart. With one patient only, choose by series or none"
        )
        self.options = QLineEdit()
        self.options.setPlaceholderText('task options as JSON, e.g. {"patch_size": 128}')
        form = QFormLayout()
        form.addRow("Task", self.task)
        form.addRow("Labels", self.labels)
        form.addRow("Model", self.model)
        form.addRow("Epochs", self.epochs)
        form.addRow("Time budget", self.minutes)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("", self.augment)
        form.addRow("", self.flip)
        form.addRow("Validation", self.validation)
        form.addRow("Options", self.options)
        self.semi = SemiSupervisedBox()  # classification only: the method, unlabelled images

        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.resume_button = QPushButton("Resume")
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.resume_button):
            buttons.addWidget(button)
        self.start_button.clicked.connect(lambda: self._ask(False))
        self.resume_button.clicked.connect(lambda: self._ask(True))
        self.cancel_button.clicked.connect(self.cancel_requested)

        self.epoch_label = QLabel("Epoch –")
        self.eta_label = QLabel("ETA –")
        # Why a run cannot validate (or does not): in the dock, not only in the status bar.
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #d08000; font-weight: bold")
        self.warning.hide()
        self.device_label = QLabel("Device: –")
        self.device_label.setWordWrap(True)
        status = QHBoxLayout()
        status.addWidget(self.epoch_label)
        status.addWidget(self.eta_label)
        self.loss_plot = pg.PlotWidget(title="Loss")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.addLegend(offset=(5, 5))
        self.loss_curve = self.loss_plot.plot([], [], pen="y", symbol="o", name="train")
        self.val_loss_curve = self.loss_plot.plot([], [], pen="c", symbol="t", name="val")
        self.metric_plot = pg.PlotWidget(title="Validation Dice")
        self.metric_plot.setLabel("bottom", "epoch")
        self.metric_plot.setYRange(0, 1)
        self.metric_curve = self.metric_plot.plot([], [], pen="g", symbol="o")
        for plot in (self.loss_plot, self.metric_plot):
            plot.setMinimumHeight(120)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(_LOG_LINES)
        self.log.setMaximumHeight(90)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.semi)
        layout.addLayout(buttons)
        layout.addWidget(self.warning)
        layout.addLayout(status)
        layout.addWidget(self.device_label)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.metric_plot)
        layout.addWidget(self.log)
        self.task.currentIndexChanged.connect(self._fill_models)
        self._fill_models()
        self.history: list[dict[str, float]] = []
        self._run_epochs = self.epochs.value()
        self.set_running(False, can_resume=False)

    # The form.

    def _fill_models(self, *_args) -> None:
        self.model.clear()
        entry = task_entry(self.task.currentData())
        for network in entry.networks:
            self.model.addItem(network.label, network.name)
        self.metric_plot.setTitle(f"Validation {entry.curve_label}")
        self.semi.setVisible(entry.name == "classify")

    def set_labels(self, names: list[str]) -> None:
        """The labels (or classes) of the series on show."""
        self.labels.clear()
        self.labels.addItems(names)

    def config(self) -> dict[str, Any]:
        """The `TrainConfig` the form describes, as JSON. ValueError for unreadable options."""
        text = self.options.text().strip()
        try:
            options = json.loads(text) if text else {}
        except json.JSONDecodeError as error:
            raise ValueError(f"options are not JSON: {error}") from error
        if not isinstance(options, dict):
            raise ValueError("options must be a JSON object")
        if self.flip.isChecked():
            options.setdefault("flip", task_entry(self.task.currentData()).flip_on)
        if self.task.currentData() == "classify":
            options.update(self.semi.options())
        minutes = self.minutes.value()
        return {
            "task": self.task.currentData(),
            "model": self.model.currentData(),
            "epochs": self.epochs.value(),
            "minutes": minutes if minutes > 0 else None,
            "batch_size": self.batch_size.value(),
            "learning_rate": self.learning_rate.value(),
            "augment": self.augment.isChecked(),
            "validation": self.validation.currentData(),
            "options": options,
        }

    def _ask(self, resume: bool) -> None:
        try:
            config = self.config()
        except ValueError as error:
            self.add_message(str(error))
            return
        self.start_requested.emit(config, resume)

    # The run.

    def set_running(self, running: bool, *, can_resume: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running and can_resume)
        self.cancel_button.setEnabled(running)
        for widget in (self.task, self.model, self.epochs, self.minutes, self.batch_size):
            widget.setEnabled(not running)
        for widget in (self.learning_rate, self.augment, self.flip, self.validation, self.options):
            widget.setEnabled(not running)
        self.semi.set_inputs_enabled(not running)

    def unlabelled(self, series_key: str | None) -> dict[str, Any] | None:
        """The unlabelled images the run reads (classification; see `SemiSupervisedBox`)."""
        if self.task.currentData() != "classify":
            return None
        return self.semi.unlabelled(series_key)

    def reset(self, keep_history: bool = False) -> None:
        """A new run starts (a resumed one keeps its curves)."""
        if not keep_history:
            self.history = []
            self._redraw()
        self.semi.reset(keep_history)
        self.show_warning("")
        self._run_epochs = self.epochs.value()  # until the trainer says (resumed runs too)
        self.epoch_label.setText("Epoch –")
        self.eta_label.setText("ETA –")

    def show_warning(self, text: str) -> None:
        """Show `text` in the dock's warning line ("" hides it)."""
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def add_message(self, text: str) -> None:
        self.log.appendPlainText(text)

    # The run's events (`ml.training.events`, handed over by `dispatch`).

    def on_device_chosen(self, event) -> None:
        self.device_label.setText(f"Device: {event.reason}")

    def on_message(self, event) -> None:
        self.add_message(str(event))
        if event.warning:
            self.show_warning(event.text)

    def on_epoch_started(self, event) -> None:
        self._run_epochs = event.epochs or self._run_epochs
        self.epoch_label.setText(f"Epoch {event.epoch}/{self._run_epochs}")

    def on_batch_done(self, event) -> None:
        where = f"Epoch {event.epoch}/{self._run_epochs} · batch {event.batch}/{event.n_batches}"
        self.epoch_label.setText(where)
        self.loss_plot.setTitle(f"Loss (batch {event.loss:.4f})")

    def on_epoch_done(self, event) -> None:
        self.history = [h for h in self.history if h["epoch"] < event.epoch]
        self.history.append({"epoch": event.epoch, **event.metrics})
        self.epoch_label.setText(f"Epoch {event.epoch}/{self._run_epochs}")
        self.eta_label.setText(f"ETA {_eta_text(event.eta_s)}")
        self._redraw()
        self.semi.on_epoch_done(event)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items() if math.isfinite(v))
        self.add_message(f"epoch {event.epoch}: {shown}" + (" (best)" if event.best else ""))

    def on_samples_drawn(self, event) -> None:
        self.semi.on_samples_drawn(event)

    def _redraw(self) -> None:
        def series(key: str) -> tuple[list[float], list[float]]:
            points = [
                (h["epoch"], h[key])
                for h in self.history
                if key in h and h[key] is not None and math.isfinite(h[key])
            ]
            return [p[0] for p in points], [p[1] for p in points]

        self.loss_curve.setData(*series("train_loss"))
        self.val_loss_curve.setData(*series("val_loss"))
        self.metric_curve.setData(*series(task_entry(self.task.currentData()).curve_metric))

    def curve_points(self) -> dict[str, int]:
        """How many points each curve holds (for tests and the status line)."""
        return {
            "train_loss": len(self.loss_curve.xData if self.loss_curve.xData is not None else []),
            "metric": len(self.metric_curve.xData if self.metric_curve.xData is not None else []),
        }
