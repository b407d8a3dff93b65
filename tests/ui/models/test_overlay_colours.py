"""The screen and the report draw a heat map and labels in the same colours: both take them
from core.image.colour; the screen's premultiplied pixels, composited by Qt over the windowed
slice, give the report's RGB."""

import io

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage, QPainter

from medgui.core.annotations.key_images import KeyImage
from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import default_window, window_to_uint8
from medgui.core.labels.labelmap import LabelMap
from medgui.reports.key_image_render import TARGET_WIDTH_PX, render_heat_map, render_key_image
from medgui.ui.labeling.overlay import label_lut
from medgui.ui.models.classify_panel import heat_pixels

# One axial slice exactly TARGET_WIDTH_PX wide with square pixels: the report does not rescale.
ROWS, COLS = 6, TARGET_WIDTH_PX


def _volume() -> Volume:
    ramp = np.linspace(-200, 300, ROWS * COLS).reshape(1, ROWS, COLS).astype(np.int16)
    return Volume(ramp, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))


def _grey(volume: Volume, center: float, width: float) -> np.ndarray:
    return window_to_uint8(np.asarray(extract_slice(volume, Plane.AXIAL, 0)), center, width)


def _screen(grey: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """What the view shows: the overlay's premultiplied ARGB32 pixels over the grey slice."""
    rows, cols = grey.shape
    rgb = np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    base = QImage(rgb.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).convertToFormat(
        QImage.Format.Format_ARGB32_Premultiplied
    )
    argb = np.ascontiguousarray(pixels.astype(np.uint32))
    overlay = QImage(argb.data, cols, rows, 4 * cols, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(base)
    painter.drawImage(0, 0, overlay)
    painter.end()
    out = base.convertToFormat(QImage.Format.Format_RGB888)
    view = np.frombuffer(out.constBits(), np.uint8).reshape(rows, out.bytesPerLine())
    return view[:, : 3 * cols].reshape(rows, cols, 3).astype(int)


def _report(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_heat_map_has_the_same_rgb_on_screen_and_in_the_report(qapp):
    volume = _volume()
    heat = np.linspace(0.0, 1.0, ROWS * COLS).reshape(ROWS, COLS)
    window = default_window(volume)
    screen = _screen(_grey(volume, window.center, window.width), heat_pixels(heat))
    report = _report(render_heat_map(volume, Plane.AXIAL, 0, heat).png)
    assert report.shape == screen.shape
    # Only integer rounding apart (premultiplied 8-bit on screen, float in the report).
    assert np.abs(report - screen).max() <= 2


def test_labels_have_the_same_rgb_on_screen_and_in_the_report(qapp):
    volume = _volume()
    labelmap = LabelMap.empty_like(volume)
    liver = labelmap.table.add("Liver")
    liver.opacity = 0.37
    labelmap.table.add("Lesion")
    labelmap.layers[0][0, :, : COLS // 2] = 1
    labelmap.layers[0][0, 2:4, COLS // 2 :] = 2
    key = KeyImage(plane=Plane.AXIAL, slice_index=0, center=40.0, width=400.0)
    lut = label_lut(labelmap.table, 3)
    pixels = lut[extract_slice(volume, Plane.AXIAL, 0, labelmap.layers[0])]
    screen = _screen(_grey(volume, key.center, key.width), pixels)
    report = _report(render_key_image(volume, key, labelmap).png)
    assert np.abs(report - screen).max() <= 2
