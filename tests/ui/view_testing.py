"""Helpers shared by the slice-view, measurement, rendering and cine tests (no tests here).

Mouse and wheel input is sent as real Qt events to the view's graphics viewport, so pyqtgraph's
scene turns them into its hover/click/drag/wheel events exactly as it does for a user.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from medgui.core import Volume
from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.viewer.slice_view import SliceView

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
ARTIFACTS = Path(__file__).parent / "artifacts"
LEFT, RIGHT, MIDDLE = (
    Qt.MouseButton.LeftButton,
    Qt.MouseButton.RightButton,
    Qt.MouseButton.MiddleButton,
)
NO_BUTTON = Qt.MouseButton.NoButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def artifacts_dir() -> Path:
    """tests/ui/artifacts/ (git-ignored): screenshots to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def make_view(qtbot, volume: Volume, plane=Plane.AXIAL, *, state=None, size=(480, 480), **kw):
    """A shown SliceView of `volume` (with a fresh ViewerState unless one is given)."""
    state = state if state is not None else ViewerState(volume)
    view = SliceView(state, plane, **kw)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_volume(volume)
    return view


def anisotropic_volume(value_of_block: int = 123) -> Volume:
    """A CT-like volume with 0.5 mm columns, 2 mm rows and 3 mm slices; a constant block of
    `value_of_block` HU in rows 10..49, columns 20..99 of every slice, a ramp elsewhere."""
    k, j, i = np.mgrid[0:8, 0:60, 0:120]
    array = (i + 7 * j + 1000 * k - 800).astype(np.int16)
    array[:, 10:50, 20:100] = value_of_block
    return Volume(array, spacing_mm=(0.5, 2.0, 3.0), origin=(-30.0, -60.0, 12.0),
                  metadata={"Modality": "CT", "SeriesInstanceUID": "1.2.3.4"})  # fmt: skip


def at(view, row: float, col: float) -> QPointF:
    """The viewport position where slice pixel (row, col) is drawn."""
    return view.slice_to_viewport(row, col)


def _send_mouse(view, kind, pos, button=NO_BUTTON, buttons=NO_BUTTON, modifiers=NO_MODIFIER):
    viewport = view.graphics.viewport()
    pos = QPointF(pos)
    global_pos = QPointF(viewport.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(kind, pos, global_pos, button, buttons, modifiers)
    # pyqtgraph drops moves closer than 1/mouseRateLimit s apart; synthetic ones all would be.
    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)
    try:
        QApplication.sendEvent(viewport, event)
    finally:
        pg.setConfigOption("mouseRateLimit", limit)


def move(view, pos) -> None:
    """Move the mouse (no button) to viewport position `pos`."""
    _send_mouse(view, QEvent.Type.MouseMove, pos)


def click(view, pos, button=LEFT, modifiers=NO_MODIFIER) -> None:
    """Press and release `button` at `pos` without moving: a click."""
    move(view, pos)
    _send_mouse(view, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)
    _send_mouse(view, QEvent.Type.MouseButtonRelease, pos, button, NO_BUTTON, modifiers)


def drag(view, start, end, button=LEFT, modifiers=NO_MODIFIER, steps: int = 8) -> None:
    """Press at `start`, move in `steps` to `end`, release: a drag."""
    start, end = QPointF(start), QPointF(end)
    move(view, start)
    _send_mouse(view, QEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for n in range(1, steps + 1):
        pos = start + (end - start) * (n / steps)
        _send_mouse(view, QEvent.Type.MouseMove, pos, NO_BUTTON, button, modifiers)
    _send_mouse(view, QEvent.Type.MouseButtonRelease, end, button, NO_BUTTON, modifiers)


def wheel(view, pos, notches: int = 1, modifiers=NO_MODIFIER) -> None:
    """Turn the wheel by `notches` (positive: away from the user) over `pos`."""
    viewport = view.graphics.viewport()
    pos = QPointF(pos)
    event = QWheelEvent(
        pos,
        QPointF(viewport.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        NO_BUTTON,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def grey_at(view, image, point: QPointF) -> tuple[int, int, int]:
    """(r, g, b) of the pixel of `image` (grabbed from `view`) that shows viewport `point`."""
    offset = view.graphics.viewport().mapTo(view, QPoint(0, 0))
    color = image.pixelColor(int(point.x()) + offset.x(), int(point.y()) + offset.y())
    return color.red(), color.green(), color.blue()
