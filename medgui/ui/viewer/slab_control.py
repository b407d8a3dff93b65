"""The slab control beside the cine control: the projection (off, MIP, MinIP, mean) and the
slab's thickness in mm, bound to the views' shared `ViewerState` (D and + / - in a view do the
same)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from medgui.core.image.slab import PROJECTION_NAMES, PROJECTIONS, SLAB_STEPS_MM
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.viewer.view_layout import ViewLayout

_CHOICES = (None, *PROJECTIONS)


class SlabControl(QWidget):
    """A projection choice and a thickness box for the layout's current state."""

    def __init__(self, view_layout: ViewLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state: ViewerState | None = None
        self.projection = QComboBox(self)
        self.projection.addItems(["Off", *(PROJECTION_NAMES[p] for p in PROJECTIONS)])
        self.projection.setToolTip("Thick-slab projection (D cycles)")
        self.thickness = QDoubleSpinBox(self)
        self.thickness.setRange(0.5, SLAB_STEPS_MM[-1] * 5)
        self.thickness.setDecimals(1)
        self.thickness.setSuffix(" mm")
        self.thickness.setToolTip("Slab thickness (+ thicker, - thinner)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Slab", self))
        row.addWidget(self.projection)
        row.addWidget(self.thickness)
        self.projection.currentIndexChanged.connect(self._set_projection)
        self.thickness.valueChanged.connect(self._set_thickness)
        view_layout.state_changed.connect(self._follow)
        self._follow(view_layout.state)

    def _set_projection(self, index: int) -> None:
        if self._state is not None:
            self._state.set_projection(_CHOICES[index])

    def _set_thickness(self, mm: float) -> None:
        if self._state is not None:
            self._state.set_slab_mm(mm)

    def _follow(self, state: ViewerState | None) -> None:
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._state = state
        if state is not None:
            state.events.connect(self._on_state_event)
            self._show(state)
        self.setEnabled(state is not None)

    def _on_state_event(self, name: str, value: Any) -> None:
        if name in ("projection", "slab_mm"):
            self._show(self._state)

    def _show(self, state: ViewerState) -> None:
        with QSignalBlocker(self.projection), QSignalBlocker(self.thickness):
            self.projection.setCurrentIndex(_CHOICES.index(state.projection))
            self.thickness.setValue(state.slab_mm)
