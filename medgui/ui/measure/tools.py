"""Measurement tools on the slice views: ruler, angle, ellipse ROI and rectangle ROI.

`MeasurementContext` is what every view and the side panel share (one per window): the store,
the series on show, the current tool and the selected measurement. `MeasurementLayer` (one per
view) shows the measurements of the view's slice (`measurement_items`) and draws new ones with
the current tool, from slice (row, col) positions the view hands it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QGraphicsItem

from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    Measurement,
    RectangleROI,
    Ruler,
)
from medgui.core.image.reformat import Plane
from medgui.ui.measure.context import MeasurementContext, Point, Tool
from medgui.ui.measure.items import Draft, MeasurementItem, fit_labels, from_box

# A drag shorter than this (in slice pixels) is a slip of the hand, not a measurement.
_MIN_SIZE_PX = 0.5


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
