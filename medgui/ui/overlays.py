"""What is drawn over a slice: corner text, orientation letters and the crosshair lines.

The overlay is a transparent, mouse-transparent widget on top of the view, so changing a line
(the value under the cursor on every mouse move) repaints a corner of text and never re-renders
the image. Text is drawn white with a dark outline so it reads on any grey, from air to bone.

The functions below turn the viewer's numbers into the lines common viewers show; they take
plain values so they are easy to check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QWidget

from medgui.core.reformat import Plane, plane_for_axis, slice_pixel_to_voxel
from medgui.core.volume import Volume
from medgui.core.windowing import WindowLevel

# 3D Slicer's plane colours: users of other workstations recognise them.
PLANE_COLORS = {
    Plane.AXIAL: QColor("#f34a33"),
    Plane.CORONAL: QColor("#6eb04b"),
    Plane.SAGITTAL: QColor("#edd54c"),
}
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
EDGES = ("left", "right", "top", "bottom")
_MARGIN = 6
_TEXT = QColor(235, 235, 235)
_LETTER = QColor(255, 214, 90)
_OUTLINE = QColor(0, 0, 0, 220)


def _text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _date(value: object) -> str:
    """DICOM DA (YYYYMMDD) as YYYY-MM-DD; other text as it is."""
    text = _text(value)
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def patient_lines(metadata: dict) -> list[str]:
    """Top-left: patient name, ID and study date."""
    name = _text(metadata.get("PatientName")).replace("^", " ").strip()
    lines = [name]
    if _text(metadata.get("PatientID")):
        lines.append(f"ID {_text(metadata.get('PatientID'))}")
    if _date(metadata.get("StudyDate")):
        lines.append(_date(metadata.get("StudyDate")))
    return [line for line in lines if line]


def series_lines(metadata: dict) -> list[str]:
    """Top-right: series description, then modality and series number."""
    modality = _text(metadata.get("Modality"))
    number = _text(metadata.get("SeriesNumber"))
    second = " ".join(part for part in (modality, f"Se {number}" if number else "") if part)
    return [line for line in (_text(metadata.get("SeriesDescription")), second) if line]


def slice_lines(
    index: int,
    n_slices: int,
    position: tuple[str, float] | None,
    window: WindowLevel | None,
    magnification: float,
    *,
    frame: bool = False,
) -> list[str]:
    """Bottom-left: "Im k/n" (1-based; "Fr" for time frames), slice position, W/L and zoom
    (screen pixels per image pixel, in percent)."""
    lines = [f"{'Fr' if frame else 'Im'} {index + 1}/{n_slices}"]
    if position is not None:
        axis, mm = position
        lines.append(f"{axis} = {mm:.2f} mm")
    if window is not None:
        lines.append(f"W {window.width:.0f}  L {window.center:.0f}")
    lines.append(f"Zoom {magnification * 100:.0f}%")
    return lines


def format_value(value: object, modality: str) -> str:
    """A voxel value for display: HU for CT, an RGB tuple for colour, else the number."""
    array = np.asarray(value)
    if array.ndim == 1:
        return "RGB (" + ", ".join(f"{v:g}" for v in array.tolist()) + ")"
    number = float(array)
    if math.isnan(number):
        return "NaN"
    text = f"{number:.0f}" if number == round(number) else f"{number:.4g}"
    return f"{text} HU" if modality.upper() == "CT" else text


def cursor_lines(
    value: object,
    ijk: Sequence[int],
    lps_mm: Sequence[float],
    modality: str,
) -> list[str]:
    """Bottom-right: the value under the cursor, its voxel (i, j, k) and LPS position in mm."""
    return [
        format_value(value, modality),
        "Voxel ({}, {}, {})".format(*(int(v) for v in ijk)),
        "LPS ({:.1f}, {:.1f}, {:.1f}) mm".format(*(float(v) for v in lps_mm)),
    ]


class OverlayLayer(QWidget):
    """The transparent text layer over a view: four corner blocks, four edge letters and an
    optional coloured frame (the active view in a multi-view layout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0))
        self.setFont(font)
        letter_font = QFont(font)
        letter_font.setPointSizeF(font.pointSizeF() * 1.35)
        letter_font.setBold(True)
        self._letter_font = letter_font
        self._corners: dict[str, list[str]] = {corner: [] for corner in CORNERS}
        self._edges: dict[str, str] = {edge: "" for edge in EDGES}
        self._border: QColor | None = None

    def corner_text(self, corner: str) -> list[str]:
        """The lines on show in `corner` (one of `CORNERS`)."""
        return list(self._corners[corner])

    @property
    def orientation(self) -> dict[str, str]:
        """The letters on show at each edge (keys left, right, top, bottom)."""
        return dict(self._edges)

    def set_corner(self, corner: str, lines: Sequence[str]) -> None:
        """Show `lines` in `corner`; repaints only that corner's text."""
        lines = list(lines)
        if lines == self._corners[corner]:
            return
        old = self._corner_rect(corner, self._corners[corner])
        self._corners[corner] = lines
        self.update(old.united(self._corner_rect(corner, lines)))

    def set_orientation(self, labels: dict[str, str]) -> None:
        """Show orientation letters; keys as `orientation_labels` returns them."""
        edges = {edge: labels.get(edge, "") for edge in EDGES}
        if edges != self._edges:
            self._edges = edges
            self.update()

    def set_border(self, color: QColor | None) -> None:
        """Frame the view in `color`, or no frame."""
        if color != self._border:
            self._border = color
            self.update()

    def clear(self) -> None:
        """Remove all text and the frame."""
        for corner in CORNERS:
            self.set_corner(corner, [])
        self.set_orientation({})
        self.set_border(None)

    def _corner_rect(self, corner: str, lines: Sequence[str]) -> QRect:
        """The widget area `lines` take in `corner`, with room for the outline."""
        if not lines:
            return QRect()
        metrics = QFontMetricsF(self.font())
        width = max(metrics.horizontalAdvance(line) for line in lines) + 4
        height = metrics.lineSpacing() * len(lines) + 4
        left = corner.endswith("left")
        top = corner.startswith("top")
        x = _MARGIN - 2 if left else self.width() - _MARGIN - width - 2
        y = _MARGIN - 2 if top else self.height() - _MARGIN - height - 2
        return QRectF(x, y, width + 4, height + 4).toAlignedRect()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        for corner in CORNERS:
            self._paint_corner(painter, corner)
        self._paint_letters(painter)
        if self._border is not None:
            painter.setPen(QPen(self._border, 2))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    def _paint_corner(self, painter: QPainter, corner: str) -> None:
        lines = self._corners[corner]
        if not lines:
            return
        metrics = QFontMetricsF(self.font())
        left, top = corner.endswith("left"), corner.startswith("top")
        spacing = metrics.lineSpacing()
        first = (
            _MARGIN + metrics.ascent()
            if top
            else self.height() - _MARGIN - metrics.descent() - spacing * (len(lines) - 1)
        )
        painter.setFont(self.font())
        for n, line in enumerate(lines):
            x = _MARGIN if left else self.width() - _MARGIN - metrics.horizontalAdvance(line)
            _outlined(painter, QPointF(x, first + n * spacing), line, _TEXT)

    def _paint_letters(self, painter: QPainter) -> None:
        metrics = QFontMetricsF(self._letter_font)
        w, h = self.width(), self.height()
        painter.setFont(self._letter_font)
        middle_y = h / 2 + (metrics.ascent() - metrics.descent()) / 2
        for edge, letters in self._edges.items():
            if not letters:
                continue
            advance = metrics.horizontalAdvance(letters)
            x, y = {
                "left": (_MARGIN, middle_y),
                "right": (w - _MARGIN - advance, middle_y),
                "top": ((w - advance) / 2, _MARGIN + metrics.ascent()),
                "bottom": ((w - advance) / 2, h - _MARGIN - metrics.descent()),
            }[edge]
            _outlined(painter, QPointF(x, y), letters, _LETTER)


# A one-pixel dark halo: text drawn at these offsets in the outline colour, then on top.
# Plain drawText uses Qt's glyph cache, so this costs far less than stroking a text path.
_HALO = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


def _outlined(painter: QPainter, at: QPointF, text: str, color: QColor) -> None:
    """Draw `text` in `color` over a dark halo: legible on black and on white."""
    painter.setPen(_OUTLINE)
    for dx, dy in _HALO:
        painter.drawText(at + QPointF(dx, dy), text)
    painter.setPen(color)
    painter.drawText(at, text)


class CrosshairLines:
    """Two lines through the crosshair voxel, in slice coordinates (children of `parent`), each
    in the colour of the plane it shows."""

    def __init__(self, parent: QGraphicsItem) -> None:
        self.row_line, self.col_line = QGraphicsLineItem(parent), QGraphicsLineItem(parent)
        for line in (self.row_line, self.col_line):
            line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            line.setZValue(5)

    def set_plane(self, volume: Volume, plane: Plane) -> None:
        """Colour each line as the plane it shows in a `plane` view of `volume`: the
        horizontal line (constant row) and the vertical one (constant column)."""
        first = slice_pixel_to_voxel(volume, plane, 0, 0, 0)
        down = slice_pixel_to_voxel(volume, plane, 0, 1, 0)
        right = slice_pixel_to_voxel(volume, plane, 0, 0, 1)
        row_axis = next(a for a in range(3) if down[a] != first[a])
        col_axis = next(a for a in range(3) if right[a] != first[a])
        row_color = PLANE_COLORS[plane_for_axis(volume, row_axis)]
        col_color = PLANE_COLORS[plane_for_axis(volume, col_axis)]
        for line, color in ((self.row_line, row_color), (self.col_line, col_color)):
            pen = QPen(color, 1, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)  # one screen pixel wide at any zoom
            line.setPen(pen)

    def place(self, row: float, col: float, shape: tuple[int, int]) -> None:
        """Put the lines through (row, col) of a slice of `shape` (rows, cols)."""
        rows, cols = shape
        self.row_line.setLine(-0.5, row, cols - 0.5, row)
        self.col_line.setLine(col, -0.5, col, rows - 0.5)

    @property
    def visible(self) -> bool:
        return self.row_line.isVisible()

    def set_visible(self, visible: bool) -> None:
        self.row_line.setVisible(visible)
        self.col_line.setVisible(visible)
