"""The measurement state every view and the side panel share (one per window): the store, the
series on show, the current tool and the selected measurement. Apart from the tools that draw
(`tools.MeasurementLayer`) and the items on the image (`items`), which both use it."""

from __future__ import annotations

import math
from enum import Enum

import numpy as np
from PySide6.QtCore import QObject, Signal

from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    Measurement,
    RectangleROI,
    Ruler,
    length_units,
    roi_statistics,
)
from medgui.core.annotations.store import MeasurementStore, series_key
from medgui.core.image.reformat import Plane, extract_slice, normal_axis, slice_geometry
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume

Point = tuple[float, float]


class Tool(Enum):
    """What a left drag on the image does."""

    NAVIGATE = "navigate"  # window/level drag, click moves the crosshair
    RULER = "ruler"
    ANGLE = "angle"
    ELLIPSE = "ellipse"
    RECTANGLE = "rectangle"


TOOL_SHORTCUTS = {
    Tool.NAVIGATE: "W",
    Tool.RULER: "M",
    Tool.ANGLE: "N",
    Tool.ELLIPSE: "E",
    Tool.RECTANGLE: "B",
}
TOOL_NAMES = {
    Tool.NAVIGATE: "Window/level",
    Tool.RULER: "Ruler",
    Tool.ANGLE: "Angle",
    Tool.ELLIPSE: "Ellipse ROI",
    Tool.RECTANGLE: "Rectangle ROI",
}


def roi_stats_text(
    m: EllipseROI | RectangleROI,
    values: np.ndarray,
    modality: str,
    full: bool,
    area_unit: str = "mm²",
):
    """Mean ± SD and area of an ROI (min and max too when `full`), in HU for CT."""
    stats = roi_statistics(m, values)
    unit = " HU" if modality.upper() == "CT" else ""
    if stats.n_pixels == 0:
        return f"empty, {stats.area_mm2:.1f} {area_unit}"
    text = f"{stats.mean:.1f} ± {stats.sd:.1f}{unit}"
    if full:
        text += f", min {stats.min:.0f}, max {stats.max:.0f}"
    return text + (", " if full else "\n") + f"{stats.area_mm2:.1f} {area_unit}"


class MeasurementContext(QObject):
    """The measurements of the series on show, the current tool and the selection.

    Views call `bind(volume, state)` when they get a volume (repeated calls are free); the
    store holds every series, so measurements stay with their series across loads.
    """

    tool_changed = Signal(object)  # Tool
    selection_changed = Signal(object)  # uid or None
    measurements_changed = Signal(str, object)  # action, Measurement (series on show only)
    bound = Signal()  # another series (or none) is on show
    values_changed = Signal(object)  # list of the ROIs whose pixels changed (a load landing)

    def __init__(self, store: MeasurementStore | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store if store is not None else MeasurementStore()
        self.store.connect(self._on_store)
        self.volume: Volume | None = None
        self.state: ViewerState | None = None
        self.series_key: str | None = None
        self._tool = Tool.NAVIGATE
        self._selected: str | None = None

    def bind(self, volume: Volume | None, state: ViewerState | None, key: str | None = None):
        """Show the measurements of `volume` (stored under `key`, by default its
        `series_key`), with `state` for jumping to them."""
        key = key or (series_key(volume) if volume is not None else None)
        if volume is self.volume and state is self.state and key == self.series_key:
            return
        self.volume, self.state, self.series_key = volume, state, key
        self.select(None)
        self.bound.emit()

    def close(self) -> None:
        """Stop following the store: a context that goes before its store (a comparison
        pane's, on the window's store) must not be called by it any more."""
        self.store.disconnect(self._on_store)

    def unbind(self, state: ViewerState) -> None:
        """Forget the volume if it is the one `state` shows (a view was cleared)."""
        if state is self.state:
            self.bind(None, None)

    def slices_landed(self, volume: Volume, slices) -> None:
        """Array slices `slices` (k) of `volume` got their values (a load in progress: they
        land as stored values, then in modality units): the bound series' ROIs on them are
        announced in `values_changed`, so that every number shown is worked out again."""
        if volume is not self.volume or volume is None:
            return
        landed = set(slices)
        touched = [
            m
            for m in self.measurements()
            if isinstance(m, EllipseROI | RectangleROI)
            and (normal_axis(volume, m.plane) != 2 or m.slice_index in landed)
        ]
        if touched:
            self.values_changed.emit(touched)

    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        """Make `tool` the one a left drag uses."""
        tool = Tool(tool)
        if tool is not self._tool:
            self._tool = tool
            self.tool_changed.emit(tool)

    @property
    def selected_uid(self) -> str | None:
        return self._selected

    def select(self, uid: str | None) -> None:
        """Select measurement `uid` (None: nothing)."""
        if uid != self._selected:
            self._selected = uid
            self.selection_changed.emit(uid)

    def measurements(self, plane: Plane | None = None, slice_index: int | None = None):
        """The series' measurements, optionally only those on one plane / slice."""
        if self.series_key is None:
            return []
        return self.store.list(self.series_key, plane, slice_index)

    def get(self, uid: str) -> Measurement | None:
        return self.store.get(self.series_key, uid) if self.series_key else None

    def add(self, measurement: Measurement) -> None:
        """Keep a new measurement with the series on show and select it."""
        if self.series_key is not None:
            self.store.add(self.series_key, measurement)
            self.select(measurement.uid)

    def update(self, measurement: Measurement) -> None:
        """Keep an edited measurement (same uid)."""
        if self.series_key is not None:
            self.store.update(self.series_key, measurement)

    def remove(self, uid: str) -> None:
        """Delete measurement `uid` of the series on show, if it is there."""
        if self.get(uid) is not None:
            self.store.remove(self.series_key, uid)

    def delete_selected(self) -> None:
        """Delete the selected measurement (no-op without one)."""
        if self._selected is not None:
            self.remove(self._selected)

    def jump_to(self, uid: str) -> None:
        """Show the slice measurement `uid` lies on, in its plane, and select it."""
        m = self.get(uid)
        if m is not None and self.state is not None:
            self.state.set_active_plane(m.plane)
            self.state.set_slice(m.plane, m.slice_index)
        self.select(uid)

    def spacing(self, plane: Plane) -> Point:
        """(row_mm, col_mm) of `plane`'s slices."""
        row_mm, col_mm, _ = slice_geometry(self.volume, plane)
        return row_mm, col_mm

    def slice_values(self, plane: Plane, index: int) -> np.ndarray | None:
        """The 2-D grey values of a slice (colour averaged over channels), or None."""
        if self.volume is None:
            return None
        values = extract_slice(self.volume, plane, index)
        return values.mean(axis=-1) if values.ndim == 3 else values

    def describe(self, m: Measurement, full: bool = False) -> str:
        """The number a measurement gives, for its label (`full`: the panel's longer form)."""
        if isinstance(m, Angle):
            return "—" if math.isnan(m.degrees) else f"{m.degrees:.1f}°"
        length, area = length_units(self.volume.metadata if self.volume is not None else {})
        if isinstance(m, Ruler):
            return f"{m.length_mm:.1f} {length}"
        values = self.slice_values(m.plane, m.slice_index)
        if values is None:
            return ""
        return roi_stats_text(m, values, self.volume.modality, full, area)

    def _on_store(self, action: str, key: str, measurement: Measurement) -> None:
        if key != self.series_key:
            return
        if action == "removed" and measurement.uid == self._selected:
            self.select(None)
        self.measurements_changed.emit(action, measurement)
