"""The slice-change fast paths draw exactly what the plain paths draw: the label overlay drawn
only inside the box that holds labels, and corner text pixmaps reused by their content."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core import Volume
from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.labeling.items import LabelImageItem
from medgui.ui.labeling.overlay import (
    LabelOverlay,
    compose,
    compose_cropped,
    label_lut,
    labelled_box,
    outline_mask,
)
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tools import LabelTools
from medgui.ui.viewer.slice_view import SliceView


def _volume() -> Volume:
    rng = np.random.default_rng(3)
    array = rng.integers(-300, 300, (12, 96, 128)).astype(np.int16)
    return Volume(array, spacing_mm=(0.8, 0.6, 2.0), origin=(-40.0, -30.0, 10.0))


def _session(volume: Volume) -> LabelSession:
    session = LabelSession(volume)
    table = session.labelmap.table
    a, b = (table.add(name).value for name in ("a", "b"))
    layer = session.labelmap.layers[0]
    yy, xx = np.ogrid[:96, :128]
    for k in range(2, 10):
        layer[k][(yy - 40) ** 2 + (xx - 50) ** 2 < (6 + 2 * k) ** 2] = a
        layer[k][(yy - 70 - k) ** 2 + (xx - 100) ** 2 < 36] = b
    layer[5, 0, :3] = a  # at the slice's edge: the box has no margin there
    return session


def _grab(view: SliceView) -> np.ndarray:
    view.graphics.viewport().repaint()
    image = view.grab().toImage()
    return np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).copy()


@pytest.fixture
def scene(qtbot):
    volume = _volume()
    state = ViewerState(volume)
    state.set_window(0, 500)
    view = SliceView(state, Plane.AXIAL)
    qtbot.addWidget(view)
    view.resize(420, 380)
    view.show()
    view.set_volume(volume)
    context = LabelContext(view)
    overlay = LabelOverlay(view, context, LabelTools(view))
    context.set_session(_session(volume), state)
    return view, overlay, context


def test_compose_cropped_is_compose_of_the_box() -> None:
    session = _session(_volume())
    layers = [session.labelmap.layers[0][k] for k in range(12)]
    for outline in (False, True):
        lut = label_lut(session.labelmap.table, 256, outline=outline)
        for values in layers:
            whole = compose([values], lut, outline)
            cropped = compose_cropped([values], lut, outline)
            if whole is None or not whole.any():
                assert cropped is None or not cropped[0].any()
                continue
            pixels, (row, col) = cropped
            rebuilt = np.zeros_like(whole)
            rebuilt[row : row + pixels.shape[0], col : col + pixels.shape[1]] = pixels
            assert np.array_equal(rebuilt, whole)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_labelled_box_word_search_matches_a_voxel_search(dtype) -> None:
    rng = np.random.default_rng(5)
    for cols in (128, 77):  # rows of whole 64-bit words (word search), and not (plain search)
        for _ in range(40):
            values = np.zeros((50, cols), dtype)
            for _ in range(rng.integers(0, 4)):
                row, col = rng.integers(0, 50), rng.integers(0, cols)
                values[row, col] = rng.integers(1, 300 if dtype == np.uint16 else 255)
            found = np.argwhere(values)
            box = labelled_box([values])
            if found.size == 0:
                assert box is None
                continue
            (top, left), (bottom, right) = found.min(axis=0), found.max(axis=0) + 1
            assert box == (
                slice(max(top - 1, 0), min(bottom + 1, 50)),
                slice(max(left - 1, 0), min(right + 1, cols)),
            )
    # A strided slice (a coronal cut, say) takes the plain search and agrees as well.
    values = np.zeros((64, 50), np.uint8)
    values[10, 7] = values[30, 20] = 1
    assert labelled_box([values.T]) == (slice(6, 22), slice(9, 32))


@pytest.mark.parametrize("outline", [False, True])
def test_boxed_labels_draw_the_same_pixels_as_the_whole_slice(scene, outline) -> None:
    view, overlay, context = scene
    context.set_outline(outline)
    state = view.state
    for setup in (lambda: None, lambda: (state.set_zoom(2.3), state.set_pan(17, -9))):
        setup()
        for k in (0, 2, 5, 9, 11, 5):
            state.set_slice(Plane.AXIAL, k)
            view.flush()
            fast = _grab(view)
            pixels = overlay.pixels
            # The same labels drawn the plain way: the whole slice's pixels, no clip.
            plain = LabelImageItem(view.slice_group)
            plain.setZValue(overlay.item.zValue())
            plain.stackBefore(overlay.item)
            overlay.item.hide()
            plain.set_pixels(None if pixels is None else pixels.copy())
            reference = _grab(view)
            plain.setParentItem(None)
            view.graphics.scene().removeItem(plain)
            overlay.item.setVisible(pixels is not None)
            assert np.array_equal(fast, reference), f"slice {k}"
            values = overlay._session.labelmap.layers[0][k]
            labelled = values != 0
            assert (pixels is None) == (not labelled.any())
            if pixels is not None:
                drawn = labelled
                if outline:  # only the labelled pixels on an edge: never a disc's inside
                    drawn = outline_mask(values)
                    assert 0 < drawn.sum() < labelled.sum()
                assert np.array_equal(pixels != 0, drawn)


def test_text_pixmaps_reused_by_content_draw_the_same(scene) -> None:
    view, overlay, _ = scene
    state = view.state
    grabs = {}
    for k in (1, 7, 3):
        state.set_slice(Plane.AXIAL, k)
        view.flush()
        grabs[k] = _grab(view)
    layer = view.overlay
    assert layer._drawn  # pixmaps kept by content
    for k in (7, 1, 3):  # back over slices seen: the kept pixmaps are used
        state.set_slice(Plane.AXIAL, k)
        view.flush()
        assert np.array_equal(_grab(view), grabs[k]), f"slice {k}"
    layer._drawn.clear()
    layer._pixmaps.clear()
    state.set_slice(Plane.AXIAL, 7)
    view.flush()
    assert np.array_equal(_grab(view), grabs[7])  # drawn afresh: the same
