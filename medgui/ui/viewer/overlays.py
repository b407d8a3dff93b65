"""What is drawn over a slice: the corner text's lines and the crosshair lines (the text layer
itself is `medgui.ui.viewer.overlay_layer`).

The functions below turn the viewer's numbers into the lines common viewers show; they take
plain values so they are easy to check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem

from medgui.core.image.reformat import Plane, plane_for_axis, slice_pixel_to_voxel
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import WindowLevel

# 3D Slicer's plane colours: users of other workstations recognise them.
PLANE_COLORS = {
    Plane.AXIAL: QColor("#f34a33"),
    Plane.CORONAL: QColor("#6eb04b"),
    Plane.SAGITTAL: QColor("#edd54c"),
}


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
    magnification: float | None,
    *,
    frame: bool = False,
    preset: str | None = None,
    slab: str | None = None,
) -> list[str]:
    """Bottom-left: "Im k/n" (1-based; "Fr" for time frames), slice position, W/L (after the
    name of the `preset` it is, if any) and zoom (screen pixels per image pixel, in percent;
    no zoom line for None). `slab` names a thick-slab projection on show ("MIP 10 mm")."""
    lines = [f"{'Fr' if frame else 'Im'} {index + 1}/{n_slices}"]
    if slab:
        lines.append(slab)
    if position is not None:
        axis, mm = position
        lines.append(f"{axis} = {mm:.2f} mm")
    if window is not None:
        named = f"{preset}  " if preset else ""
        lines.append(f"{named}W {window.width:.0f}  L {window.center:.0f}")
    if magnification is not None:
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


def readout_lines(
    volume: Volume, plane: Plane, index: int, values: np.ndarray, point: tuple[float, float]
) -> list[str]:
    """`cursor_lines` at slice pixel `point` (row, col) of slice `index` of `plane`, whose
    values are `values`; none off the image."""
    row, col = round(point[0]), round(point[1])
    if not (0 <= row < values.shape[0] and 0 <= col < values.shape[1]):
        return []
    ijk = slice_pixel_to_voxel(volume, plane, index, row, col)
    lines = cursor_lines(values[row, col], ijk, volume.voxel_to_world(ijk), volume.modality)
    # Without patient geometry (a projection, an ultrasound) there is no LPS position to give.
    return lines if volume.metadata.get("oriented", True) else lines[:2]


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
