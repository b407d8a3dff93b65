"""The display lookup (stored values straight to RGB32 pixels) shows exactly the grey levels of
`window_to_uint8`, and the slice view's background fill leaves nothing unpainted."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget
from view_testing import at, make_view

from medgui.core import Volume
from medgui.core.image.windowing import WindowLevel, window_to_uint8
from medgui.ui.viewer.slice_image import _pixel_table, prepare_display, to_display

WINDOWS = [(40, 400), (-600, 1500), (127.3, 18.9), (0, 1), (3e4, 2e4), (-20000, 5)]


def grey_of(pixels: np.ndarray) -> np.ndarray:
    """The grey level of RGB32 pixels, after checking that they are opaque grey."""
    assert pixels.dtype == np.uint32
    blue, green, red, alpha = (pixels >> shift & 0xFF for shift in (0, 8, 16, 24))
    assert (alpha == 255).all() and (red == green).all() and (green == blue).all()
    return blue.astype(np.uint8)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.uint8, np.int8])
@pytest.mark.parametrize("invert", [False, True])
def test_lookup_shows_window_to_uint8_exactly(dtype, invert):
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=(97, 131), endpoint=True).astype(dtype)
    values.flat[:2] = info.min, info.max
    for center, width in WINDOWS:
        expected = window_to_uint8(values, center, width)
        if invert:
            expected = 255 - expected
        shown = to_display(values, WindowLevel(center, width), invert, color=False)
        assert shown.shape == values.shape
        np.testing.assert_array_equal(grey_of(shown), expected, err_msg=f"{center}/{width}")
        # A slice of the volume as the views cut it (a strided view) gives the same.
        np.testing.assert_array_equal(
            grey_of(to_display(values[::-1, ::2], WindowLevel(center, width), invert, False)),
            expected[::-1, ::2],
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.dtype(">i2")])
def test_other_dtypes_go_through_window_to_uint8(dtype):
    values = np.random.default_rng(2).normal(40, 300, size=(40, 50)).astype(dtype)
    for center, width in WINDOWS:
        shown = grey_of(to_display(values, WindowLevel(center, width), False, False))
        np.testing.assert_array_equal(shown, window_to_uint8(values, center, width))


def test_table_is_built_once_per_window_and_shared():
    table = _pixel_table(np.dtype(np.int16), 40.0, 400.0, False)
    assert table.shape == (65536,) and not table.flags.writeable
    assert _pixel_table(np.dtype(np.int16), 40.0, 400.0, False) is table
    assert _pixel_table(np.dtype(np.int16), 40.0, 400.0, True) is not table


def test_prepare_display_builds_the_table_the_render_then_uses():
    _pixel_table.cache_clear()
    window = WindowLevel(35.0, 350.0)
    prepare_display(np.int16, window, invert=True)
    assert _pixel_table.cache_info().misses == 1
    to_display(np.zeros((4, 4), np.int16), window, True, False)
    assert _pixel_table.cache_info().hits == 1 and _pixel_table.cache_info().misses == 1


def test_a_progressive_view_gets_its_table_before_its_first_render(qtbot):
    from medgui.ui.viewer.view_layout import ViewLayout

    layout = ViewLayout()
    qtbot.addWidget(layout)
    layout.set_volume(Volume(np.zeros((3, 8, 8), np.int16)), progressive=True)
    _pixel_table.cache_clear()
    layout._run_next()  # the turn that puts the view on show
    assert _pixel_table.cache_info().misses == 1 and _pixel_table.cache_info().hits == 0
    layout._run_next()  # the first render finds it
    assert _pixel_table.cache_info().hits >= 1 and _pixel_table.cache_info().misses == 1


def test_background_is_painted_wherever_the_slice_is_not(qtbot):
    array = np.full((3, 40, 60), 500, np.int16)  # white in the abdomen window
    view = make_view(qtbot, Volume(array), size=(300, 200))
    view.state.set_window(40, 400)
    view.toggle_crosshair()
    viewport = view.graphics.viewport()
    for zoom, pan, rotate in [(1.0, (0, 0), 0), (0.3, (40, -25), 0), (0.5, (-60, 10), 90)]:
        view.state.set_zoom(zoom)
        view.state.set_pan(*pan)
        view.state.set_rotate(rotate)
        view.flush()
        # Red underneath: anything left unpainted would show it.
        image = QImage(viewport.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("red"))
        viewport.render(image, renderFlags=QWidget.RenderFlag.DrawChildren)
        pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
        assert set(np.unique(pixels & 0xFFFFFF).tolist()) <= {0x000000, 0xFFFFFF}
        centre = at(view, 20, 30)
        assert image.pixelColor(centre.toPoint()) == QColor("white")
        corner = QColor("white") if zoom == 1 else QColor("black")  # at zoom 1 the slice fits
        assert image.pixelColor(2, 2) == corner
