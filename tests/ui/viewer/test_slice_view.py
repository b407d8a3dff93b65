"""SliceView driven with real mouse, wheel and key events: scrolling, window/level, zoom, pan,
the linked crosshair, overlays, and the render throttling."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from view_testing import (
    MIDDLE,
    PYDICOM_FILES,
    RIGHT,
    anisotropic_volume,
    at,
    click,
    drag,
    make_view,
    move,
    wheel,
)

from medgui.core import Volume, load_volume
from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.windowing import CT_PRESETS, default_window
from medgui.ui.measure.context import MeasurementContext

K = Qt.Key


@pytest.fixture
def volume():
    return anisotropic_volume()


@pytest.fixture
def view(qtbot, volume):
    return make_view(qtbot, volume)


def index(view) -> int:
    return view.state.slice_index(view.plane)


def test_wheel_scrolls_one_slice_per_notch(qtbot, view):
    start = index(view)
    centre = at(view, 30, 60)
    wheel(view, centre, notches=-1)  # toward the user: next slice
    assert index(view) == start + 1
    wheel(view, centre, notches=2)
    assert index(view) == start - 1
    qtbot.waitUntil(lambda: not view.render_pending)
    np.testing.assert_array_equal(view._values, extract_slice(view.volume, Plane.AXIAL, start - 1))


def test_keys_scroll_slices(qtbot, view):
    n = view.state.n_slices(Plane.AXIAL)
    view.setFocus()
    qtbot.keyClick(view, K.Key_Home)
    assert index(view) == 0
    qtbot.keyClick(view, K.Key_Down)
    qtbot.keyClick(view, K.Key_PageDown)
    assert index(view) == 1 + max(1, n // 10)
    qtbot.keyClick(view, K.Key_Up)
    assert index(view) == max(1, n // 10)
    qtbot.keyClick(view, K.Key_End)
    assert index(view) == n - 1
    qtbot.keyClick(view, K.Key_Down)  # clamped at the end
    assert index(view) == n - 1


def test_left_drag_changes_window_and_level(view):
    state = view.state
    before = state.window
    start = at(view, 30, 60)
    drag(view, start, start + type(start)(60, 40))
    assert state.window.width > before.width  # right: wider
    assert state.window.center > before.center  # down: higher level
    drag(view, start, start + type(start)(-300, 0))
    assert state.window.width < before.width


def test_right_drag_zooms_and_middle_drag_pans(view):
    state = view.state
    start = at(view, 30, 60)
    drag(view, start, start + type(start)(0, -80), button=RIGHT)
    assert state.zoom > 1.2
    drag(view, start, start + type(start)(25, -15), button=MIDDLE)
    assert state.pan == pytest.approx((25, -15))
    # The image follows the pan in screen pixels.
    before = at(view, 30, 60)
    state.set_pan(35, -15)
    assert at(view, 30, 60).x() - before.x() == pytest.approx(10)


def test_ctrl_wheel_zooms_about_the_cursor(view):
    state = view.state
    target = at(view, 15, 30)
    wheel(view, target, notches=2, modifiers=Qt.KeyboardModifier.ControlModifier)
    assert state.zoom == pytest.approx(1.25**2)
    after = at(view, 15, 30)
    assert (after.x(), after.y()) == pytest.approx((target.x(), target.y()), abs=0.01)


def test_click_in_axial_moves_coronal_and_sagittal(qtbot, volume):
    state = ViewerState(volume)
    context = MeasurementContext()
    views = {
        plane: make_view(qtbot, volume, plane, state=state, measurements=context) for plane in Plane
    }
    axial = views[Plane.AXIAL]
    k = index(axial)
    click(axial, at(axial, 12, 33))
    assert state.crosshair == (33, 12, k)
    qtbot.waitUntil(lambda: not any(v.render_pending for v in views.values()))
    coronal, sagittal = views[Plane.CORONAL], views[Plane.SAGITTAL]
    assert index(coronal) == 12 and index(sagittal) == 33
    assert coronal.image_item.image.shape == (8, 120, 4)
    np.testing.assert_array_equal(coronal._values, extract_slice(volume, Plane.CORONAL, 12))
    np.testing.assert_array_equal(sagittal._values, extract_slice(volume, Plane.SAGITTAL, 33))
    # The crosshair lines in the other views pass through the clicked voxel.
    line = coronal.crosshair.col_line.line()
    assert line.x1() == line.x2() == 33
    # And a click in the sagittal view moves the axial slice.
    sag_row = 8 - 1 - 2  # sagittal shows superior at the top: row 5 is slice k = 2
    click(sagittal, at(sagittal, sag_row, 40))
    assert index(axial) == 2 and state.crosshair[1] == 40


def test_orientation_letters_for_an_axial_identity_volume(view):
    assert view.overlay.orientation == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    view.state.set_flip_v(True)
    assert view.overlay.orientation["top"] == "P"


def test_value_under_cursor_shows_hu_voxel_and_lps(qtbot, view, volume):
    k = index(view)
    move(view, at(view, 55, 7))
    value = int(volume.array[k, 55, 7])
    lps = volume.voxel_to_world((7, 55, k))
    lines = view.overlay.corner_text("bottom_right")
    assert lines[0] == f"{value} HU"
    assert lines[1] == f"Voxel (7, 55, {k})"
    assert lines[2] == "LPS ({:.1f}, {:.1f}, {:.1f}) mm".format(*lps)
    move(view, at(view, 30, -20))  # off the image
    assert view.overlay.corner_text("bottom_right") == []


def test_overlay_corners(qtbot):
    volume = load_volume(PYDICOM_FILES / "CT_small.dcm")
    view = make_view(qtbot, volume)
    view.state.set_window(40, 400)
    view.flush()
    assert view.overlay.corner_text("top_left") == [
        "CompressedSamples CT1",
        "ID 1CT1",
        "2004-01-19",
    ]
    assert view.overlay.corner_text("top_right")[-1].startswith("CT")
    bottom = view.overlay.corner_text("bottom_left")
    assert bottom[:3] == ["Im 1/1", f"z = {volume.origin[2]:.2f} mm", "Abdomen  W 400  L 40"]
    assert bottom[3].startswith("Zoom ")


def test_ct_presets_and_automatic_window(qtbot, view, volume):
    view.setFocus()
    for n, window in enumerate(CT_PRESETS.values(), 1):
        qtbot.keyClick(view, getattr(K, f"Key_{n}"))
        assert view.state.window == window
    qtbot.keyClick(view, K.Key_0)
    assert view.state.window == default_window(volume)


def test_presets_are_for_ct_only(qtbot):
    volume = load_volume(PYDICOM_FILES / "MR_small.dcm")
    view = make_view(qtbot, volume)
    before = view.state.window
    view.setFocus()
    qtbot.keyClick(view, K.Key_1)
    assert view.state.window == before
    view.state.set_window(10, 10)
    qtbot.keyClick(view, K.Key_A)
    assert view.state.window == before  # the header's window


def test_display_keys(qtbot, view):
    state = view.state
    view.setFocus()
    for key, attribute in ((K.Key_I, "invert"), (K.Key_H, "flip_h"), (K.Key_V, "flip_v")):
        qtbot.keyClick(view, key)
        assert getattr(state, attribute) is True
    qtbot.keyClick(view, K.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert state.rotate == 90
    state.set_zoom(3)
    qtbot.keyClick(view, K.Key_F)
    assert state.zoom == 1
    qtbot.keyClick(view, K.Key_R)
    assert (state.invert, state.flip_h, state.flip_v, state.rotate) == (False, False, False, 0)
    qtbot.keyClick(view, K.Key_X)
    assert not view.crosshair.row_line.isVisible()


def test_stale_render_requests_are_dropped(qtbot, view, monkeypatch):
    rendered = []
    original = view.image_item.set_image
    monkeypatch.setattr(
        view.image_item, "set_image", lambda *a, **k: (rendered.append(1), original(*a, **k))
    )
    for k in range(8):
        view.state.set_slice(Plane.AXIAL, k)
    assert view.render_pending
    qtbot.waitUntil(lambda: not view.render_pending)
    assert len(rendered) == 1
    assert index(view) == 7


def test_loading_updates_are_throttled_off_axis(qtbot, volume, monkeypatch):
    state = ViewerState(volume)
    axial = make_view(qtbot, volume, Plane.AXIAL, state=state)
    coronal = make_view(qtbot, volume, Plane.CORONAL, state=state)
    rendered = {Plane.AXIAL: 0, Plane.CORONAL: 0}
    for view in (axial, coronal):
        original = view.image_item.set_image

        def counting(*a, plane=view.plane, original=original, **k):
            rendered[plane] += 1
            return original(*a, **k)

        monkeypatch.setattr(view.image_item, "set_image", counting)
    for k in range(8):
        axial.slice_updated(k)
        coronal.slice_updated(k)
    qtbot.waitUntil(lambda: rendered[Plane.CORONAL] == 1)
    assert rendered[Plane.AXIAL] == 1  # only the slice on show re-renders
    # Nothing more is scheduled: eight landed slices cost each view one render.
    assert not coronal._loading_timer.isActive() and not coronal.render_pending
    assert rendered == {Plane.AXIAL: 1, Plane.CORONAL: 1}


def test_set_volume_none_clears(view):
    view.set_volume(None)
    assert view.image_item.image is None
    assert view.overlay.corner_text("bottom_left") == []
    view.state.set_slice(Plane.AXIAL, 1)  # no longer connected: nothing happens
    assert not view.render_pending


def test_render_to_image_of_a_hidden_view(qtbot):
    volume = Volume(np.full((2, 16, 16), 100, np.int16), metadata={"Modality": "CT"})
    from medgui.ui.viewer.slice_view import SliceView

    view = SliceView(ViewerState(volume), Plane.AXIAL)
    qtbot.addWidget(view)
    view.resize(200, 160)
    view.set_volume(volume)
    view.state.set_window(100, 100)
    image = view.render_to_image()
    assert (image.width(), image.height()) == (200, 160)
    # The image is centred and filled in grey somewhere in the middle.
    assert image.pixelColor(60, 80).red() > 0
