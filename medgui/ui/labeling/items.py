"""Graphics items the label tools draw over a slice: the label pixels, the brush cursor, the
polygon being drawn, the box being dragged, and the boxes of the slice on show.

All are children of a view's slice group, so their coordinates are slice pixels (x = column,
y = row, centres at integers) and zoom, flips and rotation come for free. Pens are cosmetic (one
screen pixel at any zoom).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
)

from medgui.core.annotations.model import Box2D, Box3D
from medgui.core.image.reformat import Plane, normal_axis, voxel_to_slice_pixel
from medgui.core.image.volume import Volume

Point = tuple[float, float]
# Above the image, the labels and the crosshair (z 5).
_Z = 6


def _pen(color: QColor, style: Qt.PenStyle = Qt.PenStyle.SolidLine, width: float = 1.5) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


def _prepare(item: QGraphicsItem) -> QGraphicsItem:
    item.setZValue(_Z)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    item.setAcceptHoverEvents(False)
    item.hide()
    return item


class LabelImageItem(QGraphicsItem):
    """Premultiplied ARGB32 pixels over a slice: pixel (row, col) is the unit square centred on
    (x = col, y = row). Premultiplied because that is the format Qt blends fastest."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.pixels: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._rect = QRectF()
        self.hide()

    def set_pixels(self, pixels: np.ndarray | None) -> None:
        """Show (rows, cols) uint32 premultiplied ARGB `pixels`; None hides the item."""
        if pixels is None:
            self.pixels = self._qimage = None
            self.hide()
            return
        pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
        rows, cols = pixels.shape
        # The QImage borrows the array's memory; `self.pixels` keeps it alive.
        self.pixels = pixels
        fmt = QImage.Format.Format_ARGB32_Premultiplied
        self._qimage = QImage(pixels.data, cols, rows, pixels.strides[0], fmt)
        rect = QRectF(-0.5, -0.5, cols, rows)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.show()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._qimage is not None:
            painter.drawImage(self._rect, self._qimage)


class BrushCursor:
    """A circle of the brush's real size (radius in mm over the slice's pixel spacing)."""

    def __init__(self, parent: QGraphicsItem) -> None:
        self.item = _prepare(QGraphicsEllipseItem(parent))
        self.item.setPen(_pen(QColor(255, 255, 255, 220), Qt.PenStyle.DashLine))

    def show_at(self, center: Point, radius_mm: float, spacing_rc: tuple[float, float]) -> None:
        """Centre the circle on slice pixel `center` (row, col)."""
        rows, cols = radius_mm / spacing_rc[0], radius_mm / spacing_rc[1]
        row, col = center
        self.item.setRect(QRectF(col - cols, row - rows, 2 * cols, 2 * rows))
        self.item.show()

    def hide(self) -> None:
        self.item.hide()

    @property
    def visible(self) -> bool:
        return self.item.isVisible()


class PolygonDraft:
    """The polygon or lasso being drawn, with a rubber band to the cursor."""

    def __init__(self, parent: QGraphicsItem) -> None:
        self.item = _prepare(QGraphicsPathItem(parent))
        self.item.setPen(_pen(QColor(255, 255, 0, 230)))

    def show(self, points: Sequence[Point], hover: Point | None = None) -> None:
        if not points:
            self.hide()
            return
        path = QPainterPath(QPointF(points[0][1], points[0][0]))
        for row, col in [*points[1:], *([hover] if hover is not None else [])]:
            path.lineTo(col, row)
        self.item.setPath(path)
        self.item.show()

    def hide(self) -> None:
        self.item.hide()


def _pixel_rect(r0: float, c0: float, r1: float, c1: float) -> QRectF:
    """The rectangle covering the pixels whose centres span (r0, c0)..(r1, c1)."""
    top, bottom = min(r0, r1) - 0.5, max(r0, r1) + 0.5
    left, right = min(c0, c1) - 0.5, max(c0, c1) + 0.5
    return QRectF(left, top, right - left, bottom - top)


class BoxDraft:
    """The 2-D box being dragged."""

    def __init__(self, parent: QGraphicsItem) -> None:
        self.item = _prepare(QGraphicsRectItem(parent))
        self.item.setPen(_pen(QColor(255, 255, 0, 230), Qt.PenStyle.DashLine))

    def show(self, start: Point, end: Point) -> None:
        self.item.setRect(_pixel_rect(start[0], start[1], end[0], end[1]))
        self.item.show()

    def hide(self) -> None:
        self.item.hide()


def box_3d_section(
    box: Box3D, volume: Volume, plane: Plane, index: int
) -> tuple[float, float, float, float] | None:
    """(row_min, col_min, row_max, col_max) of `box` on slice `index` of `plane`, or None if the
    box does not reach that slice."""
    normal = normal_axis(volume, plane)
    if not box.ijk_min[normal] - 0.5 <= index <= box.ijk_max[normal] + 0.5:
        return None
    _, r0, c0 = voxel_to_slice_pixel(volume, plane, box.ijk_min)
    _, r1, c1 = voxel_to_slice_pixel(volume, plane, box.ijk_max)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)


class BoxItems:
    """The boxes on the slice on show: 2-D boxes drawn on it (solid) and 3-D boxes crossing it
    (dashed), each with its label's name, in the colour `color_of(label name)`."""

    def __init__(self, parent: QGraphicsItem) -> None:
        self._parent = parent
        self._items: list[QGraphicsItem] = []

    def show(
        self,
        boxes_2d: Sequence[Box2D],
        sections: Sequence[tuple[Box3D, tuple[float, float, float, float]]],
        color_of,
    ) -> None:
        self.clear()
        shapes = [(b.label, (b.row_min, b.col_min, b.row_max, b.col_max), False) for b in boxes_2d]
        shapes += [(box.label, corners, True) for box, corners in sections]
        for label, corners, dashed in shapes:
            color = color_of(label)
            rect = _prepare(QGraphicsRectItem(_pixel_rect(*corners), self._parent))
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            rect.setPen(_pen(color, style))
            rect.show()
            text = _prepare(QGraphicsSimpleTextItem(label, rect))
            text.setBrush(color)
            # Text stays the same size on screen whatever the zoom.
            text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            text.setPos(rect.rect().topLeft())
            text.show()
            self._items.append(rect)

    def clear(self) -> None:
        for item in self._items:
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)
            item.setParentItem(None)
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
