"""From a slice's stored values to the pixels on screen: the display lookup, the image item, the
view that draws it, and the transform from slice pixels to display millimetres.

A grey slice of 8- or 16-bit integers is windowed with one lookup from the stored bit pattern
straight to an opaque 32-bit pixel (`core.windowing.window_table`, which equals
`window_to_uint8` value for value). The table depends only on the dtype, the window and invert,
so it is built when one of those changes (shared by every view), not per slice. Other dtypes go
through `window_to_uint8` and a 256-entry grey table.

Grey pixels are drawn as QImage.Format_RGB32, the format Qt's raster engine scales fastest;
with R = G = B its bytes are the same as RGBA8888's (on little-endian machines), so the array
still reads as RGBA. Colour stays RGBA8888.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from medgui.core.image.windowing import WindowLevel, window_table, window_to_uint8

# Grey level g as one opaque RGB32 pixel 0xFFgggggg; the inverted table runs backwards, so
# inverting costs nothing.
_GREY_RGB32 = np.uint32(0xFF000000) | np.arange(256, dtype=np.uint32) * np.uint32(0x010101)
_GREY_RGB32_INVERTED = _GREY_RGB32[::-1].copy()
# A few windows' tables per dtype: the three planes share one, and a W/L drag makes a new one
# per mouse move (65536 entries, ~0.3 ms), so only the latest few are worth keeping.
_TABLES_KEPT = 8


@lru_cache(maxsize=_TABLES_KEPT)
def _pixel_table(dtype: np.dtype, center: float, width: float, invert: bool) -> np.ndarray | None:
    grey = window_table(dtype, center, width)
    if grey is None:
        return None
    table = np.take(_GREY_RGB32_INVERTED if invert else _GREY_RGB32, grey)
    table.flags.writeable = False  # shared between views
    return table


def prepare_display(dtype: np.dtype, window: WindowLevel, invert: bool) -> None:
    """Build (and keep) the pixel table `to_display` will use for greyscale `dtype` values in
    `window`: 5 ms a 16-bit table, which a view opening while a series loads takes on an
    earlier turn than its first render."""
    _pixel_table(np.dtype(dtype), window.center, window.width, bool(invert))


def to_display(values: np.ndarray, window: WindowLevel, invert: bool, color: bool) -> np.ndarray:
    """The pixels to show for slice `values`.

    Grey: a (rows, cols) uint32 array of opaque RGB32 pixels, grey levels from the DICOM window
    (as `window_to_uint8`), inverted if asked. Colour: a (rows, cols, 4) RGBA uint8 array, 8-bit
    colour as stored (DICOM applies no window to colour), other colour windowed per channel.
    """
    if color:
        rgb = (
            values[..., :3]
            if values.dtype == np.uint8
            else window_to_uint8(values[..., :3], window.center, window.width)
        )
        image = np.empty((*rgb.shape[:2], 4), np.uint8)
        image[..., :3] = 255 - rgb if invert else rgb
        image[..., 3] = 255
        return image
    table = _pixel_table(values.dtype, window.center, window.width, bool(invert))
    if table is not None:
        # Every unsigned bit pattern indexes the table (one entry per value the dtype can
        # hold), so mode="wrap" never wraps; it only skips the bounds check "raise" makes
        # (~10 % of the lookup).
        return np.take(table, values.view(f"u{values.itemsize}"), mode="wrap")
    grey = window_to_uint8(values, window.center, window.width)
    return np.take(_GREY_RGB32_INVERTED if invert else _GREY_RGB32, grey)


def display_transform(
    shape: tuple[int, int], spacing_mm: tuple[float, float], flip_h: bool, flip_v: bool, rotate: int
) -> QTransform:
    """Slice pixel (x = col, y = row) → display millimetres (y down, origin at the slice
    centre): scaled by the pixel spacing, then flipped, then rotated `rotate`° clockwise."""
    rows, cols = shape
    row_mm, col_mm = spacing_mm
    scale = np.diag([col_mm, row_mm])
    shift = -scale @ np.array([(cols - 1) / 2, (rows - 1) / 2])
    flip = np.diag([-1.0 if flip_h else 1.0, -1.0 if flip_v else 1.0])
    # With y pointing down, [[0, -1], [1, 0]] turns the top edge to the right: clockwise.
    turn = np.linalg.matrix_power(np.array([[0.0, -1.0], [1.0, 0.0]]), (rotate % 360) // 90)
    m, t = turn @ flip @ scale, turn @ flip @ shift
    return QTransform(m[0, 0], m[1, 0], m[0, 1], m[1, 1], t[0], t[1])


def display_size_mm(
    shape: tuple[int, int], spacing_mm: tuple[float, float], rotate: int
) -> tuple[float, float]:
    """(width, height) of the displayed slice in millimetres."""
    width, height = shape[1] * spacing_mm[1], shape[0] * spacing_mm[0]
    return (height, width) if rotate % 180 else (width, height)


class SliceImageItem(QGraphicsItem):
    """A slice's pixels in slice coordinates: pixel (row, col) is the unit square centred on
    (x = col, y = row).

    `image` is the array on show as (rows, cols, 4) bytes (R, G, B, A for colour; for grey
    R = G = B and A = 255 on little-endian machines) and `qimage` the QImage that wraps it
    without a copy. Painting is one drawImage; no levels, lookup or conversion pass.
    """

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self.qimage: QImage | None = None
        self.smooth = False  # bilinear when scaled (a setting), else each pixel a square
        self._rect = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_image(self, pixels: np.ndarray) -> None:
        """Show `pixels`: `to_display`'s output (uint32 RGB32, or RGBA uint8)."""
        pixels = np.ascontiguousarray(pixels)
        rows, cols = pixels.shape[:2]
        if pixels.dtype == np.uint32:
            fmt, image = QImage.Format.Format_RGB32, pixels.view(np.uint8).reshape(rows, cols, 4)
        else:
            fmt, image = QImage.Format.Format_RGBA8888, pixels
        # The QImage borrows the array's memory; `self.image` keeps the array alive with it.
        self.image = image
        self.qimage = QImage(image.data, cols, rows, image.strides[0], fmt)
        rect = QRectF(-0.5, -0.5, cols, rows)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def clear(self) -> None:
        """Show nothing."""
        self.image = self.qimage = None
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.qimage is not None:
            if self.smooth:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self._rect, self.qimage)


class SliceGraphicsView(pg.GraphicsView):
    """A pyqtgraph GraphicsView that paints its background only where the slice does not
    cover it: the slice is opaque, and filling the whole viewport first cost as much as drawing
    the image itself."""

    def __init__(self, parent=None, background="k") -> None:
        super().__init__(parent, background=background)
        # The cached background would be blitted over the whole viewport on every paint.
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        # drawBackground and the slice cover every pixel, so Qt's own fill of the whole
        # viewport before each paint (autoFillBackground) is wasted: ~10 % of a slice change.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.image_item: SliceImageItem | None = None

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        # Device pixels: an axis-aligned integer fill is a plain memory fill, where the same
        # fill in transformed scene coordinates goes through the general rasteriser.
        exposed = self.mapFromScene(rect).boundingRect().adjusted(-1, -1, 1, 1)
        hole = self._covered()
        painter.save()
        painter.resetTransform()
        for band in _outside(exposed, hole):
            painter.fillRect(band, self.backgroundBrush())
        painter.restore()

    def _covered(self) -> QRect:
        """Viewport pixels the slice surely paints: its drawn area less a pixel all round (edge
        pixels are drawn or not by their centres). Empty unless the slice is on show and its
        transform keeps it axis-aligned (flips and quarter turns do)."""
        item = self.image_item
        if item is None or item.qimage is None or not item.isVisible():
            return QRect()
        transform = item.sceneTransform() * self.viewportTransform()
        unturned = transform.m12() == transform.m21() == 0
        quarter_turned = transform.m11() == transform.m22() == 0
        if not (transform.isAffine() and (unturned or quarter_turned)):
            return QRect()
        area = transform.mapRect(item.boundingRect())
        return QRectF(area).toAlignedRect().adjusted(2, 2, -2, -2) & self.viewport().rect()


def _outside(rect: QRect, hole: QRect) -> list[QRect]:
    """`rect` less `hole`, as up to four rectangles."""
    hole = hole & rect
    if hole.isEmpty():
        return [rect] if not rect.isEmpty() else []
    bands = [
        QRect(rect.left(), rect.top(), rect.width(), hole.top() - rect.top()),
        QRect(rect.left(), hole.bottom() + 1, rect.width(), rect.bottom() - hole.bottom()),
        QRect(rect.left(), hole.top(), hole.left() - rect.left(), hole.height()),
        QRect(hole.right() + 1, hole.top(), rect.right() - hole.right(), hole.height()),
    ]
    return [band for band in bands if not band.isEmpty()]
