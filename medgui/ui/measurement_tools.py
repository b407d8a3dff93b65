"""Measurement tools on the slice views: ruler, angle, ellipse ROI and rectangle ROI.

`MeasurementContext` is what every view and the side panel share (one per window): the store,
the series on show, the current tool and the selected measurement. `MeasurementLayer` (one per
view) shows the measurements of the view's slice (`measurement_items`) and draws new ones with
the current tool, from slice (row, col) positions the view hands it.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QGraphicsItem

from medgui.core.measurement_store import MeasurementStore, series_key
from medgui.core.measurements import (
    Angle,
    EllipseROI,
    Measurement,
    RectangleROI,
    Ruler,
    length_units,
    roi_statistics,
)
from medgui.core.reformat import Plane, extract_slice, normal_axis, slice_geometry
from medgui.core.viewer_state import ViewerState
from medgui.core.volume import Volume
from medgui.ui.measurement_items import Draft, MeasurementItem, fit_labels, from_box

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
# A drag shorter than this (in slice pixels) is a slip of the hand, not a measurement.
_MIN_SIZE_PX = 0.5


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


class MeasurementLayer(QObject):
    """The measurements of one view's slice; draws new ones with the context's tool.

    The view calls `show_slice` when it renders, and `press`/`drag_to`/`release`/`click`/`hover`
    with slice (row, col) positions while a drawing tool is active.
    """

    def __init__(
        self,
        context: MeasurementContext,
        plane: Plane,
        parent_item: QGraphicsItem,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self._plane = plane
        self._parent_item = parent_item
        self._index: int | None = None
        self._items: dict[str, MeasurementItem] = {}
        self._draft: Draft | None = None
        self._angle_points: list[Point] = []
        context.measurements_changed.connect(self._on_changed)
        context.selection_changed.connect(self._on_selected)
        context.bound.connect(self._on_bound)
        context.values_changed.connect(self._on_values)
        context.tool_changed.connect(self.cancel)
        # Labels stay inside the view: placed again when it zooms, pans or resizes.
        parent_item.getViewBox().sigTransformChanged.connect(self.arrange_labels)

    @property
    def items(self) -> dict[str, MeasurementItem]:
        """The items on show, by measurement uid."""
        return dict(self._items)

    @property
    def drawing(self) -> bool:
        """Whether left drags and clicks draw (a tool other than navigate is active)."""
        return self.context.tool is not Tool.NAVIGATE and self.context.volume is not None

    def show_slice(self, index: int | None, force: bool = False) -> None:
        """Show the measurements of slice `index` (None: none)."""
        if index == self._index and not force:
            return
        self.cancel()
        self._index = index
        for item in self._items.values():
            item.remove()
        self._items.clear()
        if index is not None:
            for m in self.context.measurements(self._plane, index):
                self._add_item(m)
        self.arrange_labels()

    def _add_item(self, m: Measurement) -> None:
        item = MeasurementItem(m, self._parent_item, self.context)
        item.set_selected(m.uid == self.context.selected_uid)
        item.roi.sigRegionChanged.connect(self.arrange_labels)  # after the item's own label
        self._items[m.uid] = item

    def arrange_labels(self, *_args) -> None:
        """Keep the value labels (and the draft's) inside the view, none covering another."""
        labels = [item.label for item in self._items.values()]
        if self._draft is not None:
            labels.append(self._draft.label)
        if labels:
            box = self._parent_item.getViewBox()
            fit_labels(labels, box.mapRectToScene(box.boundingRect()))

    def _on_changed(self, action: str, m: Measurement) -> None:
        item = self._items.get(m.uid)
        if item is not None and action == "updated" and item.measurement == m:
            item.show_label(m)  # the edit came from this item: only the number changed
        else:
            if item is not None:
                self._items.pop(m.uid).remove()
            if action != "removed" and m.plane is self._plane and m.slice_index == self._index:
                self._add_item(m)
        self.arrange_labels()

    def _on_selected(self, uid: str | None) -> None:
        for item_uid, item in self._items.items():
            item.set_selected(item_uid == uid)

    def _on_bound(self) -> None:
        self.show_slice(None)

    def _on_values(self, touched: list[Measurement]) -> None:
        for m in touched:
            item = self._items.get(m.uid)
            if item is not None:
                item.show_label(item.measurement)

    # Drawing.

    def cancel(self, *_args) -> None:
        """Drop a measurement being drawn."""
        self._angle_points = []
        if self._draft is not None:
            self._draft.remove()
            self._draft = None

    def _new(self, kind: type[Measurement], **points: Point) -> Measurement:
        spacing = self.context.spacing(self._plane)
        return kind(plane=self._plane, slice_index=self._index, spacing_mm=spacing, **points)

    def _shape(self, start: Point, end: Point) -> Measurement | None:
        tool = self.context.tool
        if tool is Tool.RULER:
            return self._new(Ruler, p0=start, p1=end)
        if tool in (Tool.ELLIPSE, Tool.RECTANGLE):
            empty = self._new(EllipseROI, center=start, radii=(0, 0))
            if tool is Tool.RECTANGLE:
                empty = self._new(RectangleROI, corner0=start, corner1=start)
            return from_box(empty, start, end)
        return None

    def _show_draft(self, m: Measurement | None) -> None:
        if m is None:
            return
        if self._draft is None:
            self._draft = Draft(self._parent_item, self.context)
        self._draft.show(m)
        self.arrange_labels()

    def press(self, point: Point) -> None:
        """A left drag starts at `point`."""
        if self.context.tool is Tool.ANGLE:
            self.click(point)
        else:
            self.cancel()
            self._start = point

    def drag_to(self, point: Point) -> None:
        """The drag has reached `point`: redraw the draft."""
        if self.context.tool is Tool.ANGLE:
            self.hover(point)
        else:
            self._show_draft(self._shape(self._start, point))

    def release(self, point: Point) -> None:
        """The drag ended at `point`: keep the measurement unless it is too small."""
        if self.context.tool is Tool.ANGLE:
            self.click(point)
            return
        m = self._shape(self._start, point)
        self.cancel()
        dr, dc = point[0] - self._start[0], point[1] - self._start[1]
        big = math.hypot(dr, dc) if self.context.tool is Tool.RULER else min(abs(dr), abs(dc))
        if m is not None and big >= _MIN_SIZE_PX:
            self.context.add(m)

    def click(self, point: Point) -> None:
        """A click with the angle tool: first arm end, vertex, second arm end."""
        if self.context.tool is not Tool.ANGLE:
            return
        self._angle_points.append(point)
        if len(self._angle_points) == 3:
            p0, vertex, p1 = self._angle_points
            self.cancel()
            self.context.add(self._new(Angle, p0=p0, vertex=vertex, p1=p1))
        else:
            self.hover(point)

    def hover(self, point: Point) -> None:
        """The mouse moved (no button): stretch the angle being drawn to `point`."""
        points = self._angle_points
        if self.context.tool is not Tool.ANGLE or not points:
            return
        vertex = points[1] if len(points) > 1 else point
        self._show_draft(self._new(Angle, p0=points[0], vertex=vertex, p1=point))
