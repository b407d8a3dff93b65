"""Label tools: which one is on and its settings (`LabelTools`), and the brush stroke being
drawn (`Stroke`). What a drag or click does with them on a view: `medgui.ui.labeling.input`.

A stroke paints each mouse move as it comes (every view shows it at once) and, when the button
is released, is re-applied as one edit of the whole polyline, which is what Ctrl+Z undoes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QObject, Signal

from medgui.core.labels.undo import EditHistory
from medgui.ui.labeling.session import LabelSession

Point = tuple[float, float]
RADIUS_RANGE_MM = (0.1, 200.0)
RADIUS_STEP = 1.25  # per , or . key
WHEEL_STEP = 120


class LabelTool(Enum):
    """What a left drag or click on the image does while labelling."""

    BRUSH = "brush"
    ERASER = "eraser"
    THRESHOLD = "threshold"
    FLOOD = "flood"
    POLYGON = "polygon"
    BOX = "box"


LABEL_TOOL_NAMES = {
    LabelTool.BRUSH: "Brush",
    LabelTool.ERASER: "Eraser",
    LabelTool.THRESHOLD: "Threshold paint",
    LabelTool.FLOOD: "Flood fill",
    LabelTool.POLYGON: "Polygon / lasso",
    LabelTool.BOX: "Bounding box",
}
LABEL_TOOL_KEYS = {
    LabelTool.BRUSH: "P",
    LabelTool.ERASER: "Shift+P",
    LabelTool.THRESHOLD: "T",
    LabelTool.FLOOD: "G",
    LabelTool.POLYGON: "O",
    LabelTool.BOX: "K",
}
BRUSH_TOOLS = (LabelTool.BRUSH, LabelTool.ERASER, LabelTool.THRESHOLD)


class LabelTools(QObject):
    """The label tool on (None: none) and every tool's settings; `changed(name)` after each."""

    changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tool: LabelTool | None = None
        self.radius_mm = 3.0
        self.sphere = False
        self.threshold = (-100.0, 200.0)
        self.tolerance = 50.0
        self.three_d = False
        # The eraser takes only the active label's voxels unless this is on.
        self.erase_all = False

    def _set(self, name: str, value) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.changed.emit(name)

    def set_tool(self, tool: LabelTool | None) -> None:
        self._set("tool", None if tool is None else LabelTool(tool))

    def set_radius(self, radius_mm: float) -> None:
        low, high = RADIUS_RANGE_MM
        self._set("radius_mm", round(min(max(float(radius_mm), low), high), 2))

    def scale_radius(self, factor: float) -> None:
        self.set_radius(self.radius_mm * factor)

    def set_sphere(self, sphere: bool) -> None:
        self._set("sphere", bool(sphere))

    def set_threshold(self, low: float, high: float) -> None:
        """Paint only where the image lies within [low, high] (swapped if given reversed)."""
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"threshold range must be finite, got [{low}, {high}]")
        self._set("threshold", (float(min(low, high)), float(max(low, high))))

    def set_tolerance(self, tolerance: float) -> None:
        self._set("tolerance", max(0.0, float(tolerance)))

    def set_three_d(self, three_d: bool) -> None:
        self._set("three_d", bool(three_d))

    def set_erase_all(self, erase_all: bool) -> None:
        """Let the eraser take every label's voxels (off: only the active label's)."""
        self._set("erase_all", bool(erase_all))


def snap(point: Point) -> Point:
    """The centre of the pixel under `point`."""
    return float(round(point[0])), float(round(point[1]))


class Stroke:
    """A brush, eraser or threshold stroke being drawn on one slice.

    `paint(history, points)` is the core op; each `add` paints the newest segment through a
    scratch history (so the views update as the mouse moves), and `finish` reverts those and
    applies the whole polyline once through the session's history: the same voxels, one edit.
    """

    def __init__(self, session: LabelSession, paint: Callable[[EditHistory, list[Point]], object]):
        self._session, self._paint = session, paint
        self._scratch = EditHistory()
        self._scratch.connect(session.notify_voxels)
        self.points: list[Point] = []

    def add(self, point: Point) -> None:
        if self.points and self.points[-1] == point:
            return
        self._session.stroking = True
        self.points.append(point)
        self._paint(self._scratch, self.points[-2:])

    def cancel(self) -> None:
        """Take the stroke's segments out of the map again."""
        while self._scratch.undo(self._session.labelmap) is not None:
            pass
        self._session.stroking = False

    def finish(self) -> None:
        """Replace the segments by one edit of the whole stroke."""
        self.cancel()
        if self.points:
            self._paint(self._session.history, self.points)
