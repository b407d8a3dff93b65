"""`ViewLayer`: what the ECG view asks of each thing drawn and edited over its traces (rhythm
episodes, beat selection and moves, the saliency band), so that each lives in its own module
and the view only routes drawing, keys, drags, clicks and its context menu to them.

Points are in paper millimetres. The view redraws everything on each change (the page holds a
few hundred items), so `draw` adds its items afresh each time.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMenu

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
