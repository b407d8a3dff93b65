"""The label tools: a button per tool (the Label menu's own actions, so checks agree),
and the settings of the tools: brush radius and sphere, threshold range, flood-fill tolerance
and 3-D, interpolation and overlay display.

Widgets write into `LabelTools` with one call each and are updated from its `changed` signal
with their own signals blocked.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medgui.ui.labeling.session import LabelContext
from medgui.ui.labeling.tools import RADIUS_RANGE_MM, LabelTool, LabelTools

_INTENSITY = 1e5


def _spin(low: float, high: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # one change per finished entry, not per digit
    return spin


def _tool_button(action) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return button


class LabelToolPanel(QWidget):
    """Tool buttons and settings; `actions` are `LabelActions.actions`."""

    def __init__(self, tools: LabelTools, context: LabelContext, actions: dict, parent=None):
        super().__init__(parent)
        self._tools, self._context = tools, context
        grid = QGridLayout()
        grid.setSpacing(2)
        for n, tool in enumerate(LabelTool):
            action = actions[f"tool_{tool.value}"]
            action.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
            grid.addWidget(_tool_button(action), n // 3, n % 3)
        self.radius = _spin(*RADIUS_RANGE_MM, 1, " mm")
        self.radius.valueChanged.connect(tools.set_radius)
        self.sphere = QCheckBox("Sphere (S)")
        self.sphere.toggled.connect(tools.set_sphere)
        self.low = _spin(-_INTENSITY, _INTENSITY, 1)
        self.high = _spin(-_INTENSITY, _INTENSITY, 1)
        for spin in (self.low, self.high):
            spin.valueChanged.connect(self._on_threshold)
        from_window = QPushButton("From window")
        from_window.setToolTip("Use the displayed window's range")
        from_window.clicked.connect(self.threshold_from_window)
        self.tolerance = _spin(0, _INTENSITY, 1)
        self.tolerance.valueChanged.connect(tools.set_tolerance)
        self.three_d = QCheckBox("3-D (Shift+G)")
        self.three_d.toggled.connect(tools.set_three_d)
        form = QFormLayout()
        brush = QHBoxLayout()
        brush.addWidget(self.radius)
        brush.addWidget(self.sphere)
        form.addRow("Brush radius (, .):", brush)
        band = QHBoxLayout()
        for widget in (self.low, self.high):
            band.addWidget(widget)
        form.addRow("Threshold:", band)
        form.addRow("", from_window)
        flood = QHBoxLayout()
        flood.addWidget(self.tolerance)
        flood.addWidget(self.three_d)
        form.addRow("Fill tolerance:", flood)
        commands = QGridLayout()
        commands.setSpacing(2)
        commands.addWidget(_tool_button(actions["interpolate"]), 0, 0, 1, 2)
        places = (("accept_interpolation", 1, 0), ("cancel_interpolation", 1, 1))
        places += (("overlay", 2, 0), ("outline", 2, 1))
        for name, row, column in places:
            commands.addWidget(_tool_button(actions[name]), row, column)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addLayout(commands)
        layout.addStretch(1)
        tools.changed.connect(self._sync)
        self._sync()

    def _on_threshold(self, _value: float) -> None:
        self._tools.set_threshold(self.low.value(), self.high.value())

    def threshold_from_window(self) -> None:
        """Set the threshold range to the window on show (centre ± width / 2)."""
        state = self._context.state
        if state is not None:
            window = state.window
            self._tools.set_threshold(
                window.center - window.width / 2, window.center + window.width / 2
            )

    def _sync(self, *_args) -> None:
        tools = self._tools
        values = (
            (self.radius, tools.radius_mm),
            (self.low, tools.threshold[0]),
            (self.high, tools.threshold[1]),
            (self.tolerance, tools.tolerance),
        )
        for spin, value in values:
            with QSignalBlocker(spin):
                spin.setValue(value)
        for box, checked in ((self.sphere, tools.sphere), (self.three_d, tools.three_d)):
            with QSignalBlocker(box):
                box.setChecked(checked)
