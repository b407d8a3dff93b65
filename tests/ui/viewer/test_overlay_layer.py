"""The overlay's text: drawn as it would be drawn directly, never overlapping, compact in narrow
views (the side planes of layout "3")."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter
from view_testing import anisotropic_volume, make_view

from medgui.core.image.windowing import WindowLevel
from medgui.ui.viewer.overlay_layer import COMPACT_WIDTH, CORNERS, OverlayLayer
from medgui.ui.viewer.overlays import cursor_lines, slice_lines

PATIENT = ["Demo Phantom", "ID MEDGUI-DEMO-001", "2026-11-24"]
SERIES = ["Demo CT abdomen phantom", "CT Se 1"]
LETTERS = {"left": "R", "right": "L", "top": "A", "bottom": "P"}


def fill(overlay: OverlayLayer, k: int = 128) -> None:
    """The corners a CT slice view shows, with the cursor over the image."""
    slice_args = (k, 256, ("z", -12.5), WindowLevel(40, 400))
    overlay.set_orientation(LETTERS)
    overlay.set_corner("top_left", PATIENT, compact=[])
    overlay.set_corner("top_right", SERIES, compact=[])
    overlay.set_corner(
        "bottom_left", slice_lines(*slice_args, 1.59), slice_lines(*slice_args, None)
    )
    cursor = cursor_lines(-1000, (511, 511, 255), (-179.3, -179.3, -150.0), "CT")
    overlay.set_corner("bottom_right", cursor, compact=cursor[:1])


@pytest.fixture
def overlay(qtbot):
    layer = OverlayLayer()
    qtbot.addWidget(layer)
    layer.resize(800, 800)
    layer.show()  # a hidden widget gets its resize events when shown
    fill(layer)
    return layer


def test_nothing_overlaps_at_any_size(overlay):
    for width, height in itertools.product(range(64, 1000, 23), range(64, 800, 37)):
        overlay.resize(width, height)
        rects = overlay.block_rects()
        assert set(LETTERS) <= set(rects)  # the orientation letters always stay
        for name, rect in rects.items():
            if name in CORNERS:
                assert overlay.rect().contains(rect), (width, height, name)
        for (a, first), (b, second) in itertools.combinations(rects.items(), 2):
            assert not first.intersects(second), (width, height, a, b)


def test_wide_views_show_everything(overlay):
    for corner in CORNERS:
        assert overlay.shown_text(corner) == overlay.corner_text(corner)


def test_narrow_views_keep_slice_position_and_window(overlay):
    overlay.resize(COMPACT_WIDTH - 1, 400)
    assert overlay.shown_text("top_left") == overlay.shown_text("top_right") == []
    assert overlay.shown_text("bottom_left") == ["Im 129/256", "z = -12.50 mm", "W 400  L 40"]
    assert overlay.shown_text("bottom_right") == ["-1000 HU"]
    overlay.resize(COMPACT_WIDTH, 400)
    assert overlay.shown_text("top_left") == PATIENT


def test_crowded_corners_lose_their_last_lines_first(overlay):
    overlay.resize(400, 120)  # too low for the patient block above the slice block
    assert overlay.shown_text("bottom_left")[0] == "Im 129/256"
    assert len(overlay.shown_text("top_left")) < len(PATIENT)
    # Lines wider than the view are cut short with an ellipsis, not drawn off the edge.
    overlay.set_orientation({})
    overlay.resize(80, 400)
    shown = overlay.shown_text("bottom_left")
    assert shown[:2] == [line[: len(line) - 1] + "…" for line in shown[:2]]
    assert shown[0] != "Im 129/256" and "Im 129/256".startswith(shown[0][:-1])


def test_changing_a_line_in_place_gives_the_layout_a_fresh_layer_gets(qtbot, overlay):
    for k in (5, 6, 99, 100, 101, 250):
        fill(overlay, k)
        fresh = OverlayLayer()
        qtbot.addWidget(fresh)
        fresh.resize(overlay.size())
        fresh.show()
        fill(fresh, k)
        assert overlay.block_rects() == fresh.block_rects()
        for corner in CORNERS:
            assert overlay.shown_text(corner) == fresh.shown_text(corner)


def _grey(widget: OverlayLayer, paint) -> np.ndarray:
    image = QImage(widget.size(), QImage.Format.Format_RGB32)
    image.fill(QColor(128, 128, 128))
    paint(image)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    return pixels[..., :3].copy()  # the image's memory goes with it


def test_cached_text_looks_as_text_drawn_directly(overlay):
    """The pixmaps give the pixels that nine drawText calls per line (the halo, then the text)
    at the same positions give, on a mid-grey image."""

    def direct(image: QImage) -> None:
        painter = QPainter(image)
        margin, w, h = 6, overlay.width(), overlay.height()
        for corner in CORNERS:
            lines = overlay.shown_text(corner)
            metrics = QFontMetricsF(overlay.font())
            height = metrics.lineSpacing() * (len(lines) - 1) + metrics.ascent() + metrics.descent()
            top = margin if corner.startswith("top") else h - margin - height
            for n, line in enumerate(lines):
                advance = metrics.horizontalAdvance(line)
                x = margin if corner.endswith("left") else w - margin - advance
                at = QPointF(x, top + metrics.ascent() + n * metrics.lineSpacing())
                halo(painter, overlay.font(), at, line, QColor(235, 235, 235))
        metrics = QFontMetricsF(overlay._letter_font)
        for edge, letter in LETTERS.items():
            advance = metrics.horizontalAdvance(letter)
            middle = h / 2 + (metrics.ascent() - metrics.descent()) / 2
            x, y = {
                "left": (margin, middle),
                "right": (w - margin - advance, middle),
                "top": ((w - advance) / 2, margin + metrics.ascent()),
                "bottom": ((w - advance) / 2, h - margin - metrics.descent()),
            }[edge]
            halo(painter, overlay._letter_font, QPointF(x, y), letter, QColor(255, 214, 90))
        painter.end()

    def halo(painter, font, at, text, color):
        painter.setFont(font)
        painter.setPen(QColor(0, 0, 0, 220))
        for dx, dy in itertools.product((-1, 0, 1), repeat=2):
            if dx or dy:
                painter.drawText(at + QPointF(dx, dy), text)
        painter.setPen(color)
        painter.drawText(at, text)

    for size in [(800, 800), (333, 517)]:
        overlay.resize(*size)
        cached = _grey(overlay, lambda image: overlay.render(image))
        expected = _grey(overlay, direct)
        # Every pixel within 2 levels (the halo's alpha is rounded once more on its way
        # through the pixmap); a glyph missing or moved would differ by far more.
        assert np.abs(cached.astype(int) - expected).max() <= 2, size


def test_narrow_slice_view_is_compact(qtbot):
    view = make_view(qtbot, anisotropic_volume(), size=(300, 300))
    view.flush()
    overlay = view.overlay
    assert overlay.corner_text("top_right") and overlay.shown_text("top_right") == []
    shown = overlay.shown_text("bottom_left")
    assert [line.split()[0] for line in shown] == ["Im", "z", "W"]
    view.resize(600, 600)
    assert overlay.shown_text("bottom_left")[-1].startswith("Zoom")
