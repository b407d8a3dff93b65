"""Plots in scrolled docks (the training curves) and the mouse wheel.

A pyqtgraph plot zooms on every wheel turn, so a plot inside a dock's scroll area caught the
wheel that was meant to scroll the dock, and zoomed its curves by accident instead. The rule
here: over a plot, the wheel scrolls the dock; it zooms the plot only once the plot has the
keyboard focus (click it first) or while Ctrl is held.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget


def _scroll_area_of(widget: QWidget) -> QScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


class _WheelToDock(QObject):
    """Event filter on a plot's viewport that hands its wheel to the enclosing scroll area."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        super().__init__(plot)
        self._plot = plot

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.Wheel:
            return False
        plot = self._plot
        if plot.hasFocus() or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False  # the plot zooms
        area = _scroll_area_of(plot)
        if area is None:
            return False
        QApplication.sendEvent(area.verticalScrollBar(), event)
        return True


def wheel_scrolls_docks(root: QWidget) -> None:
    """Give every pyqtgraph plot under `root` the rule above (click focus: a click takes the
    wheel to the plot)."""
    for plot in root.findChildren(pg.PlotWidget):
        plot.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        plot.viewport().installEventFilter(_WheelToDock(plot))
