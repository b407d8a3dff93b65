"""The measurements drawn on a slice view: editable pyqtgraph ROIs with value labels.

Each `MeasurementItem` shows one stored measurement with handles; dragging them (or the shape)
becomes an edit through the shared `MeasurementContext` (`dataclasses.replace`, same uid). A
`Draft` is a measurement still being drawn: outline and value only, no handles, so it never
catches the clicks that place its own points. All geometry is in slice pixel coordinates
(x = column, y = row), so the items live in the view's slice group and follow its transform.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pyqtgraph as pg
from pyqtgraph.graphicsItems.ROI import _PolyLineSegment
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from medgui.core.annotations.measurements import Angle, EllipseROI, Measurement, RectangleROI, Ruler

if TYPE_CHECKING:
    from medgui.ui.measure.context import MeasurementContext

# Above the image, the label overlay (drawn in the same group, whichever was added last) and
# the crosshair (z 5) and label boxes (z 6): a measurement is always read on top.
MEASUREMENT_Z = 10

Point = tuple[float, float]
PEN = "#ffd23f"
SELECTED_PEN = "#3ec8ff"
HOVER_PEN = "#ff9f1c"


def _xy(point: Point) -> tuple[float, float]:
    """(row, col) → (x, y) in the slice group."""
    return point[1], point[0]


def _rc(point: QPointF) -> Point:
    """(x, y) in the slice group → (row, col)."""
    return point.y(), point.x()


class _ArmSegment(_PolyLineSegment):
    """An angle's arm. pyqtgraph's segment claims left drags even from the hover event that
    says the mouse has left it, so the next drag anywhere on the view went to the arm and was
    dropped: the first drag after finishing an angle was lost."""

    def hoverEvent(self, ev) -> None:
        if ev.isExit():
            pg.LineSegmentROI.hoverEvent(self, ev)
        else:
            super().hoverEvent(ev)


class _AngleROI(pg.PolyLineROI):
    """Two arms through three handles: clicking an arm must not add a fourth handle."""

    def addSegment(self, h1, h2, index=None) -> None:
        """pyqtgraph's `PolyLineROI.addSegment`, making `_ArmSegment`s."""
        seg = _ArmSegment(
            handles=(h1, h2),
            pen=self.pen,
            hoverPen=self.hoverPen,
            parent=self,
            movable=False,
            antialias=self._antialias,
        )
        self.segments.insert(len(self.segments) if index is None else index, seg)
        seg.sigClicked.connect(self.segmentClicked)
        seg.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        seg.setZValue(self.zValue() + 1)
        for handle in seg.handles:
            item = handle["item"]
            item.setDeletable(True)
            # Handles take left clicks too, so that none is added on top of another.
            item.setAcceptedMouseButtons(item.acceptedMouseButtons() | Qt.MouseButton.LeftButton)

    def segmentClicked(self, segment, ev=None, pos=None) -> None:
        """Do nothing: an angle has exactly three points."""

    def checkRemoveHandle(self, handle) -> bool:
        return False


class _BoxROI(pg.ROI):
    """An axis-aligned box with a scale handle on every side and corner (no rotation)."""

    def __init__(self, pos, size, **kwargs) -> None:
        super().__init__(pos, size, rotatable=False, **kwargs)
        for x, y in ((0, 0), (0.5, 0), (1, 0), (1, 0.5), (1, 1), (0.5, 1), (0, 1), (0, 0.5)):
            self.addScaleHandle([x, y], [1 - x, 1 - y])


class _EllipseROI(_BoxROI):
    """The ellipse inscribed in the box."""

    def paint(self, painter, option, widget) -> None:
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(self.currentPen)
        painter.drawEllipse(self.boundingRect())

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path


def _make_roi(m: Measurement, parent: QGraphicsItem) -> pg.ROI:
    roi = _new_roi(m, parent)
    roi.setZValue(MEASUREMENT_Z)
    return roi


def _new_roi(m: Measurement, parent: QGraphicsItem) -> pg.ROI:
    style = {
        "pen": pg.mkPen(PEN, width=2),
        "hoverPen": pg.mkPen(HOVER_PEN, width=2),
        "removable": True,
    }
    if isinstance(m, Ruler):
        return pg.LineSegmentROI([_xy(m.p0), _xy(m.p1)], parent=parent, **style)
    if isinstance(m, Angle):
        points = [_xy(m.p0), _xy(m.vertex), _xy(m.p1)]
        return _AngleROI(points, closed=False, parent=parent, **style)
    if isinstance(m, EllipseROI | RectangleROI):
        (r0, c0), (r1, c1) = _box(m)
        kind = _EllipseROI if isinstance(m, EllipseROI) else _BoxROI
        return kind((c0, r0), (c1 - c0, r1 - r0), parent=parent, **style)
    raise TypeError(f"cannot draw a {type(m).__name__}")


def _box(m: EllipseROI | RectangleROI) -> tuple[Point, Point]:
    """Top-left and bottom-right (row, col) of an ROI's bounding box."""
    if isinstance(m, EllipseROI):
        (r, c), (rr, rc) = m.center, m.radii
        return (r - rr, c - rc), (r + rr, c + rc)
    (r0, c0), (r1, c1) = m.corner0, m.corner1
    return (min(r0, r1), min(c0, c1)), (max(r0, r1), max(c0, c1))


def from_box(m: Measurement, a: Point, b: Point) -> Measurement:
    """`m` (an ROI) re-fitted to the box with corners `a` and `b`."""
    if isinstance(m, EllipseROI):
        center = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        return dataclasses.replace(
            m, center=center, radii=(abs(b[0] - a[0]) / 2, abs(b[1] - a[1]) / 2)
        )
    return dataclasses.replace(m, corner0=a, corner1=b)


def _read_roi(roi: pg.ROI, m: Measurement) -> Measurement:
    """`m` with the geometry the user has dragged `roi` to."""
    if isinstance(m, Ruler | Angle):
        points = [_rc(roi.mapToParent(h.pos())) for h in roi.getHandles()]
        return dataclasses.replace(m, **dict(zip(m.POINT_FIELDS, points, strict=True)))
    pos, size = roi.pos(), roi.size()
    return from_box(m, (pos.y(), pos.x()), (pos.y() + size.y(), pos.x() + size.x()))


def _place_label(label: pg.TextItem, m: Measurement) -> None:
    """Put `m`'s label by it: above-right of a ruler's right end and of an ROI's top-right
    corner, right of an angle's vertex."""
    if isinstance(m, Ruler):
        point, anchor = _xy(max(m.p0, m.p1, key=lambda p: p[1])), (-0.05, 1.0)
    elif isinstance(m, Angle):
        point, anchor = _xy(m.vertex), (-0.1, 1.0)
    else:
        (r0, _c0), (_r1, c1) = _box(m)
        point, anchor = (c1, r0), (0.0, 1.0)
    label.setAnchor(anchor)
    label.home = QPointF(*point)  # where `fit_labels` starts from, however often it runs
    label.setPos(label.home)


# Screen pixels kept between a label and the view's edge or another label.
_LABEL_GAP = 2.0


def fit_labels(labels: list[pg.TextItem], bounds: QRectF) -> None:
    """Move value labels (on screen) so that each lies inside `bounds` (the view, in scene
    coordinates) and none covers another. Labels start from their place by their shape;
    from the top down, each is pushed below those it would cover, then back into the view."""
    rects = []
    for label in labels:
        label.setPos(label.home)
        label.updateTransform(force=True)  # its screen size, before the next paint
        rects.append((label.sceneBoundingRect(), label))
    placed: list[QRectF] = []
    for rect, label in sorted(rects, key=lambda pair: (pair[0].top(), pair[0].left())):
        moved = QRectF(rect)
        for other in sorted(placed, key=QRectF.top):
            if moved.adjusted(0, 0, 0, _LABEL_GAP).intersects(other):
                moved.moveTop(other.bottom() + _LABEL_GAP)
        inner = bounds.adjusted(_LABEL_GAP, _LABEL_GAP, -_LABEL_GAP, -_LABEL_GAP)
        moved.moveLeft(max(inner.left(), min(moved.left(), inner.right() - moved.width())))
        moved.moveTop(max(inner.top(), min(moved.top(), inner.bottom() - moved.height())))
        placed.append(moved)
        if moved.topLeft() != rect.topLeft():
            target = label.scenePos() + moved.topLeft() - rect.topLeft()
            label.setPos(label.parentItem().mapFromScene(target))


def _outline(m: Measurement) -> QPainterPath:
    """The shape of `m` in slice coordinates, as a plain path."""
    path = QPainterPath()
    if isinstance(m, Ruler | Angle):
        points = [QPointF(*_xy(getattr(m, name))) for name in m.POINT_FIELDS]
        path.moveTo(points[0])
        for point in points[1:]:
            path.lineTo(point)
        return path
    (r0, c0), (r1, c1) = _box(m)
    rect = QRectF(c0, r0, c1 - c0, r1 - r0)
    if isinstance(m, EllipseROI):
        path.addEllipse(rect)
    else:
        path.addRect(rect)
    return path


def _value_label(parent: QGraphicsItem) -> pg.TextItem:
    label = pg.TextItem(color="#ffe9a8", fill=pg.mkBrush(0, 0, 0, 160), anchor=(0, 1))
    label.setParentItem(parent)
    label.setZValue(MEASUREMENT_Z + 1)
    return label


def _remove(item: QGraphicsItem) -> None:
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)
    item.setParentItem(None)


class Draft:
    """A measurement being drawn: outline and value only. It has no handles, so it never
    catches the clicks that place its own points."""

    def __init__(self, parent: QGraphicsItem, context: MeasurementContext) -> None:
        self._context = context
        self.outline = QGraphicsPathItem(parent)
        self.outline.setZValue(MEASUREMENT_Z)
        pen = QPen(QColor(PEN), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.outline.setPen(pen)
        self.label = _value_label(parent)

    def show(self, m: Measurement) -> None:
        self.outline.setPath(_outline(m))
        self.label.setText(self._context.describe(m))
        _place_label(self.label, m)

    def remove(self) -> None:
        _remove(self.outline)
        _remove(self.label)


class MeasurementItem:
    """One measurement on the view: its editable ROI and its value label."""

    def __init__(self, m: Measurement, parent: QGraphicsItem, context: MeasurementContext):
        self.measurement = m
        self._context = context
        self.roi = _make_roi(m, parent)
        self.roi.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.label = _value_label(parent)
        self.show_label(m)
        self.roi.sigRegionChanged.connect(self._moving)
        self.roi.sigRegionChangeFinished.connect(self._moved)
        self.roi.sigRegionChangeStarted.connect(self._select)
        self.roi.sigClicked.connect(self._select)
        # The ROI's right-click menu offers "Remove ROI"; the store does the removing.
        self.roi.sigRemoveRequested.connect(self._remove_requested)

    def show_label(self, m: Measurement) -> None:
        """Show `m`'s value by its shape."""
        self.label.setText(self._context.describe(m))
        _place_label(self.label, m)

    def _moving(self, _roi) -> None:
        self.show_label(_read_roi(self.roi, self.measurement))

    def _moved(self, _roi) -> None:
        edited = _read_roi(self.roi, self.measurement)
        if edited != self.measurement:
            self.measurement = edited
            self._context.update(edited)

    def _remove_requested(self, _roi) -> None:
        self._context.remove(self.measurement.uid)

    def _select(self, *_args) -> None:
        self._context.select(self.measurement.uid)

    def set_selected(self, selected: bool) -> None:
        """Draw in the selection colour or the normal one."""
        self.roi.setPen(pg.mkPen(SELECTED_PEN if selected else PEN, width=2))

    def remove(self) -> None:
        """Take the ROI and label off the view."""
        _remove(self.roi)
        _remove(self.label)
