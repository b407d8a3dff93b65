"""`ViewLayer`: what the ECG view asks of each thing drawn and edited over its traces (rhythm
episodes, beat selection and moves, the saliency band), so that each lives in its own module
and the view (through `LayerHost`) only routes drawing, keys, drags, clicks and its context
menu to them.

Points are in paper millimetres. The view redraws everything on each change (the page holds a
few hundred items), so `draw` adds its items afresh each time.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMenu

from medgui.core.signals.ecg_layout import Cell

Point = tuple[float, float]


class ViewLayer:
    """Does nothing by default: a layer overrides what it handles. The handlers that return a
    bool return True when they took the event (no other layer, nor the view, sees it)."""

    def __init__(self, view: Any) -> None:  # the EcgView (not imported: it imports layers)
        self.view = view

    def draw(self) -> None:
        """Add this layer's items to ``view.box`` (called after the traces are drawn)."""

    def key(self, event: QKeyEvent) -> bool:
        return False

    def drag_start(self, at: Point, modifiers: Qt.KeyboardModifier) -> bool:
        """Whether a left drag starting `at` is this layer's (it then gets its moves and end)."""
        return False

    def drag_move(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        """The drag this layer took is `at` now."""

    def drag_end(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        """The drag this layer took ended `at`."""

    def click(self, at: Point, modifiers: Qt.KeyboardModifier) -> bool:
        return False

    def menu_entries(self, menu: QMenu, at: Point) -> None:
        """Add this layer's entries for the point `at` to the view's context menu."""


class LayerHost:
    """The view's side, mixed into `EcgView`: holds its layers and routes input to them."""

    def _init_layers(self) -> None:
        self.layers: list[ViewLayer] = []
        self.selected_beat: int | None = None  # the sample of the beat clicked on
        self.context_menu: QMenu | None = None
        self._dragging: ViewLayer | None = None

    def add_layer(self, layer: ViewLayer) -> None:
        self.layers.append(layer)
        self.redraw()

    def annotated_cells(self) -> list[Cell]:
        """The cells beats and episodes are drawn on: the rows that span the page (the rhythm
        strip) when there are any, as on a printout, where short cells would have them collide
        with the lead labels."""
        full = [c for c in self.cells if c.t1_s - c.t0_s >= self.paper.page_s - 1e-9]
        return full or self.cells

    def sample_at(self, x_mm: float, y_mm: float) -> int | None:
        """The record sample at paper point (`x_mm`, `y_mm`), or None when it is on no trace."""
        if self.signal is None:
            return None
        hit = self.paper.time_at(self.cells, x_mm, y_mm)
        if hit is None:
            return None
        return min(max(round(hit[1] * self.signal.fs_hz), 0), self.signal.n_samples - 1)

    def say(self, text: str) -> None:
        """Show `text` after the paper's settings in the status line."""
        self.status.setText(f"{self._status_text()}   {text}")

    def layer_drag(self, ev, start: tuple[float, float], end: tuple[float, float]) -> bool:
        """Hand a left drag to the layer that takes it at its start; False: the caliper's."""
        if ev.isStart():
            mods = ev.modifiers()
            self._dragging = next((la for la in self.layers if la.drag_start(start, mods)), None)
        layer = self._dragging
        if layer is None:
            return False
        if ev.isFinish():
            self._dragging = None
            layer.drag_end(end, ev.modifiers())
        else:
            layer.drag_move(end, ev.modifiers())
        return True

    def page_clicked(self, ev, at: tuple[float, float]) -> None:
        """A left click goes to the layers; a right click opens their context menu."""
        if ev.button() == Qt.MouseButton.RightButton:
            self.mouse_mm = at
            menu = self.context_menu = QMenu(self)
            for layer in self.layers:
                layer.menu_entries(menu, at)
            if not menu.isEmpty():
                menu.popup(ev.screenPos().toPoint())
        elif ev.button() == Qt.MouseButton.LeftButton:
            self.setFocus()
            any(layer.click(at, ev.modifiers()) for layer in self.layers)
