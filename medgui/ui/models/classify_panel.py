"""Classification in the Models dock: "Classify this slice" runs the workspace's active
"classify" model on the axial slice on show, the class probabilities fill a small table and the
model's Grad-CAM heat map is drawn over the axial view as a semi-transparent colour map (a
checkbox hides it).

The model runs in a worker thread (`classify_slice_worker`); this module only shows plain data.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medgui.core.image.colour import heat_colours, premultiplied_argb
from medgui.core.image.reformat import plane_for_axis
from medgui.core.util.events import unsubscribe
from medgui.ui.labeling.items import LabelImageItem
from medgui.workers.infer_worker import classify_slice_worker

MODEL_NAME = "classify"


def heat_pixels(heat: np.ndarray) -> np.ndarray:
    """Premultiplied ARGB32 pixels of a (H, W) heat map in 0..1, in the report's colours."""
    return premultiplied_argb(*heat_colours(heat))


class ClassifyPanel(QWidget):
    """The "Classify this slice" button, the class → probability table and the heat map's
    checkbox."""

    classify_requested = Signal()
    heat_map_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.classify_button = QPushButton("Classify this slice")
        self.classify_button.clicked.connect(self.classify_requested)
        self.show_heat_map = QCheckBox("Heat map", checked=True)
        self.show_heat_map.toggled.connect(self.heat_map_toggled)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Class", "Probability"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(110)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Classification (classify)"))
        row = QHBoxLayout()
        row.addWidget(self.classify_button)
        row.addWidget(self.show_heat_map)
        layout.addLayout(row)
        layout.addWidget(self.table)
        layout.addWidget(self.status)

    def set_probabilities(self, probabilities: dict[str, float] | None) -> None:
        """Show {class: probability}, most probable first (None: empty)."""
        rows = sorted((probabilities or {}).items(), key=lambda item: -item[1])
        self.table.setRowCount(len(rows))
        for row, (name, p) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(str(name)))
            self.table.setItem(row, 1, QTableWidgetItem(f"{p:.4f}"))

    def probabilities(self) -> dict[str, float]:
        """What the table shows, as {class: probability}."""
        return {
            self.table.item(r, 0).text(): float(self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        }

    def set_busy(self, busy: bool) -> None:
        self.classify_button.setEnabled(not busy)
        if busy:
            self.status.setText("Classifying…")



class ClassifyController(QObject):
    """Runs the classifier for `workbench` (a `TrainingWorkbench`) and draws its heat map on
    the axial `SliceView` while that view shows the classified slice."""

    def __init__(self, workbench) -> None:
        super().__init__(workbench)
        self.workbench = workbench
        self.panel = ClassifyPanel()
        layout = workbench.model_panel.layout()
        layout.insertWidget(layout.count() - 1, self.panel)  # above the closing stretch
        self.worker = None
        self.result: tuple[dict, np.ndarray, int, tuple] | None = None  # (probs, heat, k, shape)
        self.view = None
        self.item: LabelImageItem | None = None
        self.panel.classify_requested.connect(self.classify)
        self.panel.heat_map_toggled.connect(lambda _shown: self.render())
        workbench.app.view_layout.state_changed.connect(self._attach)
        self._attach()

    def _volume(self):
        return self.workbench.app.view_layout.volume

    def _attach(self, *_args) -> None:
        volume = self._volume()
        views = self.workbench.app.view_layout.views
        view = views.get(plane_for_axis(volume, 2)) if volume is not None else None
        if view is not None and not hasattr(view, "slice_group"):
            view = None
        if view is self.view:
            self.render()
            return
        if self.view is not None and self.item is not None:
            unsubscribe(self.view.state, self._on_state)
            self.item.set_pixels(None)
        self.view, self.item = view, None
        if view is not None:
            self.item = LabelImageItem(view.slice_group)
            view.state.events.connect(self._on_state)
            view.destroyed.connect(partial(unsubscribe, view.state, self._on_state))
        self.render()

    def _on_state(self, name: str, value) -> None:
        if name == "slice_index" and self.view is not None and value[0] is self.view.plane:
            self.render()

    def classify(self) -> None:
        """Classify the axial slice on show with the active "classify" model."""
        volume = self._volume()
        if volume is None or self.worker is not None:
            return
        k = self.workbench.axial_index(volume)
        worker = classify_slice_worker(self.workbench.workspace_root, volume, k, MODEL_NAME)
        shape = tuple(volume.shape_zyx)
        worker.returned.connect(lambda result: self._on_result(result, k, shape))
        worker.errored.connect(self._on_error)
        worker.finished.connect(lambda: self._over(worker))
        self.worker = worker
        self.panel.set_busy(True)
        worker.start()

    def _on_result(self, result, k: int, shape: tuple) -> None:
        probabilities, heat = result
        self.result = (dict(probabilities), np.asarray(heat), k, shape)
        self.panel.set_probabilities(probabilities)
        best = max(probabilities, key=probabilities.get) if probabilities else "–"
        self.panel.status.setText(f"Slice {k + 1}: {best}")
        self.render()

    def _on_error(self, error: Exception) -> None:
        self.panel.status.setText(f"Failed: {error}")

    def _over(self, worker) -> None:
        if worker is self.worker:
            self.worker = None
            self.panel.set_busy(False)

    def clear(self) -> None:
        """Drop the result (another series opened)."""
        self.result = None
        self.panel.set_probabilities(None)
        self.render()

    def render(self) -> None:
        item, view, volume = self.item, self.view, self._volume()
        if item is None:
            return
        result = self.result
        if (
            result is None
            or not self.panel.show_heat_map.isChecked()
            or volume is None
            or view is None
            or tuple(volume.shape_zyx) != result[3]
            or view.state.slice_index(view.plane) != result[2]
        ):
            item.set_pixels(None)
            return
        item.set_pixels(heat_pixels(result[1]))
