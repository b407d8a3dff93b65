"""Driving an `EcgView` in the real window with the mouse and keys: points on the rhythm strip
in paper millimetres, hovering, clicks and drags sent as real mouse events to the page."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

NO_MODS = Qt.KeyboardModifier.NoModifier


def strip(view):
    """The rhythm strip: the row that spans the page."""
    return next(c for c in view.cells if c.t1_s - c.t0_s >= view.paper.page_s - 1e-9)


def at_sample(view, sample: int, dy_mm: float = 0.0) -> tuple[float, float]:
    """The paper point of `sample` on the rhythm strip, `dy_mm` below its baseline."""
    cell = strip(view)
    x, y = view.paper.to_mm(cell, sample / view.signal.fs_hz, 0.0)
    return float(x), float(y) + dy_mm


def hover(qtbot, view, sample: int) -> None:
    """Move the mouse over the rhythm strip's baseline at `sample`."""
    # Sent to the page itself: a moved system cursor reaches whichever window is on top, and
    # after some other tests that is not this one.
    none = Qt.MouseButton.NoButton
    _send(view, QEvent.Type.MouseMove, QPointF(view.scene_point(*at_sample(view, sample))),
          none, none, NO_MODS)  # fmt: skip
    qtbot.waitUntil(lambda: view.mouse_sample() is not None, timeout=5_000)
    assert abs(view.mouse_sample() - sample) <= view.signal.fs_hz * 0.012  # a pixel or so


def _send(view, kind, pos: QPointF, button, buttons, modifiers) -> None:
    port = view.page.viewport()
    event = QMouseEvent(kind, pos, port.mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(port, event)


def drag(view, start_mm, end_mm, modifiers=NO_MODS) -> None:
    """A left drag on the page from paper point `start_mm` to `end_mm`."""
    # pyqtgraph drops moves closer than 10 ms to the last: these come at once, none dropped.
    pg.setConfigOptions(mouseRateLimit=-1)
    a, b = QPointF(view.scene_point(*start_mm)), QPointF(view.scene_point(*end_mm))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(view, QEvent.Type.MouseMove, a, none, none, modifiers)  # a mouse comes to a place first
    _send(view, QEvent.Type.MouseButtonPress, a, left, left, modifiers)
    for k in range(1, 11):
        _send(view, QEvent.Type.MouseMove, a + (b - a) * (k / 10), Qt.MouseButton.NoButton,
              left, modifiers)  # fmt: skip
    _send(view, QEvent.Type.MouseButtonRelease, b, left, Qt.MouseButton.NoButton, modifiers)


def click(view, at_mm, button=Qt.MouseButton.LeftButton, modifiers=NO_MODS) -> None:
    """A click on the page at paper point `at_mm`."""
    pos = QPointF(view.scene_point(*at_mm))
    _send(view, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)
    _send(view, QEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton, modifiers)


def choose(qtbot, menu, text: str) -> None:
    """Trigger the entry of `menu` (once it shows) whose text starts with `text`."""
    assert menu is not None, "no menu asked for"
    qtbot.waitUntil(menu.isVisible, timeout=5_000)
    action = next((a for a in menu.actions() if a.text().startswith(text)), None)
    assert action is not None, [a.text() for a in menu.actions()]
    action.trigger()
    menu.close()
