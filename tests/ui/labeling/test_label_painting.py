"""Painting with the mouse on the real window: brush, eraser, threshold paint, flood fill,
polygon, undo/redo by the keys; each checked voxel for voxel against the core op."""

from __future__ import annotations

import numpy as np
import pytest
from label_testing import (
    ALT,
    CTRL,
    SHIFT,
    K,
    blank_copy,
    expected,
    snapped,
)
from view_testing import at, click, drag, move, wheel

from medgui.core.labels.ops import brush, erase_stroke, flood_fill, polygon_fill, stroke
from medgui.core.labels.ops import threshold_paint as threshold_op
from medgui.ui.labeling.tools import LabelTool

RADIUS_MM = 2.0


def test_a_brush_dab_paints_the_core_brush_disk(qtbot, lab):
    qtbot.keyClick(lab.view, K.Key_P)
    assert lab.bench.tools.tool is LabelTool.BRUSH
    lab.bench.tools.set_radius(RADIUS_MM)
    session = lab.session
    click(lab.view, at(lab.view, 20, 18))
    want = expected(session.labelmap, brush, 1, lab.plane, lab.index, (20.0, 18.0), RADIUS_MM)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    # 0.8 mm pixels: a 2 mm disk is 2.5 pixels across each way, 21 pixels, one slice.
    assert np.count_nonzero(session.labelmap.layers[0]) == 21
    assert session.history.undo_description == "Brush"


def test_a_stroke_is_one_undoable_edit_of_the_whole_polyline(qtbot, lab):
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_P)
    lab.bench.tools.set_radius(RADIUS_MM)
    start, end = at(view, 12, 8), at(view, 12, 30)
    drag(view, start, end, steps=12)
    points = [snapped(view, start), snapped(view, end)]
    assert points == [(12.0, 8.0), (12.0, 30.0)]
    want = expected(session.labelmap, stroke, 1, lab.plane, lab.index, points, RADIUS_MM)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert len(session.history) == 1
    # The overlay shows it on the slice on show.
    lab.flush()
    assert lab.overlay.pixels is not None
    assert np.count_nonzero(lab.overlay.pixels) == np.count_nonzero(want.layers[0][lab.index])

    # Ctrl+Z takes the whole stroke back, Ctrl+Shift+Z and Ctrl+Y bring it again.
    assert lab.bench.actions.actions["undo"].text() == "Undo Brush"
    qtbot.keyClick(view, K.Key_Z, CTRL)
    assert not session.labelmap.layers[0].any()
    assert lab.bench.actions.actions["redo"].text() == "Redo Brush"
    qtbot.keyClick(view, K.Key_Z, CTRL | SHIFT)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    qtbot.keyClick(view, K.Key_Z, CTRL)
    qtbot.keyClick(view, K.Key_Y, CTRL)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    lab.flush()
    assert np.count_nonzero(lab.overlay.pixels) == np.count_nonzero(want.layers[0][lab.index])


def test_eraser_removes_what_the_core_eraser_does(qtbot, lab):
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_P)
    lab.bench.tools.set_radius(4.0)
    drag(view, at(view, 20, 8), at(view, 20, 30))
    painted = session.labelmap.layers[0].copy()
    qtbot.keyClick(view, K.Key_P, SHIFT)
    assert lab.bench.tools.tool is LabelTool.ERASER
    lab.bench.tools.set_radius(RADIUS_MM)
    start, end = at(view, 14, 19), at(view, 26, 19)
    drag(view, start, end, steps=12)
    points = [snapped(view, start), snapped(view, end)]
    assert points == [(14.0, 19.0), (26.0, 19.0)]
    erased = expected(
        session.labelmap,
        erase_stroke,
        0,
        lab.plane,
        lab.index,
        points,
        RADIUS_MM,
        start=_map_with(session.labelmap, painted),
    )
    assert np.array_equal(session.labelmap.layers[0], erased.layers[0])
    assert 0 < np.count_nonzero(session.labelmap.layers[0]) < np.count_nonzero(painted)
    assert session.history.undo_description == "Erase"


def _map_with(labelmap, layer):
    copy = blank_copy(labelmap)
    copy.layers[0][...] = layer
    return copy


def test_threshold_paint_only_paints_in_range_with_a_live_preview(qtbot, lab):
    view, session, tools = lab.view, lab.session, lab.bench.tools
    qtbot.keyClick(view, K.Key_T)
    assert tools.tool is LabelTool.THRESHOLD
    image = session.volume.array
    level = float(np.median(image[lab.index][image[lab.index] > -500]))
    tools.set_threshold(level - 3, level + 60)
    lab.flush()
    # The preview: exactly the in-range pixels of the slice on show, hatched.
    inside = (image[lab.index] >= level - 3) & (image[lab.index] <= level + 60)
    preview = lab.overlay.preview_pixels
    assert preview is not None and np.array_equal(preview != 0, inside)
    tools.set_radius(6.0)
    click(view, at(view, 20, 8))  # on the edge of the bright ellipse
    want = expected(
        session.labelmap,
        threshold_op,
        1,
        session.volume,
        level - 3,
        level + 60,
        lab.plane,
        lab.index,
        [(20.0, 8.0)],
        6.0,
    )
    painted = session.labelmap.layers[0]
    assert np.array_equal(painted, want.layers[0])
    assert painted.any() and np.all(inside[painted[lab.index] == 1])
    assert not np.all(inside[_disk(lab.index, (20, 8), 6.0 / 0.8, image.shape)])


def _disk(k, centre, radius_px, shape):
    rows, cols = np.ogrid[: shape[1], : shape[2]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius_px**2


def test_flood_fill_2d_and_3d(qtbot, lab):
    view, session, tools = lab.view, lab.session, lab.bench.tools
    qtbot.keyClick(view, K.Key_G)
    assert tools.tool is LabelTool.FLOOD
    tools.set_tolerance(20.0)
    click(view, at(view, 20, 20))
    want = expected(
        session.labelmap, flood_fill, 1, lab.plane, lab.index, (20.0, 20.0),
        image=session.volume, tolerance=20.0,
    )  # fmt: skip
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert np.flatnonzero(session.labelmap.layers[0].any(axis=(1, 2))).tolist() == [lab.index]
    qtbot.keyClick(view, K.Key_Z, CTRL)
    qtbot.keyClick(view, K.Key_G, SHIFT)  # 3-D
    assert tools.three_d
    tools.set_tolerance(1000.0)
    click(view, at(view, 20, 20))
    # The 3-D fill runs in a worker: the event loop goes on, the fill lands when it is done.
    filling = lab.bench.inputs[lab.plane]
    assert filling.flooding and not session.labelmap.layers[0].any()
    qtbot.waitUntil(lambda: not filling.flooding, timeout=10_000)
    want = expected(
        session.labelmap, flood_fill, 1, lab.plane, lab.index, (20.0, 20.0),
        image=session.volume, tolerance=1000.0, three_d=True,
    )  # fmt: skip
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert session.labelmap.layers[0].any(axis=(1, 2)).sum() > 1
    assert len(session.history) == 1 and session.history.undo_description == "Flood fill"
    qtbot.keyClick(view, K.Key_Z, CTRL)  # one step takes the whole 3-D fill back
    assert not session.labelmap.layers[0].any()


def test_polygon_by_clicks_closed_with_enter_or_a_double_click(qtbot, lab):
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_O)
    corners = [(8, 8), (8, 28), (30, 20)]
    for row, col in corners:
        click(view, at(view, row, col))
    assert lab.bench.inputs[lab.plane].vertices == [(float(r), float(c)) for r, c in corners]
    assert not session.labelmap.layers[0].any()
    qtbot.keyClick(view, K.Key_Return)
    want = expected(session.labelmap, polygon_fill, 1, lab.plane, lab.index, corners)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert session.history.undo_description == "Polygon fill"

    # A lasso: a drag through the corners, closed when the button is released.
    qtbot.keyClick(view, K.Key_Z, CTRL)
    lasso = [(6, 6), (6, 26), (20, 16)]
    _drag_through(view, [at(view, r, c) for r, c in lasso])
    want_lasso = expected(session.labelmap, polygon_fill, 1, lab.plane, lab.index, lasso)
    assert np.array_equal(session.labelmap.layers[0], want_lasso.layers[0])
    qtbot.keyClick(view, K.Key_Z, CTRL)
    # A double-click closes a clicked polygon.
    for row, col in corners[:2]:
        click(view, at(view, row, col))
    _double_click(view, at(view, *corners[2]))
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])


def _drag_through(view, points):
    from PySide6.QtCore import QEvent
    from view_testing import LEFT, NO_BUTTON, _send_mouse

    move(view, points[0])
    _send_mouse(view, QEvent.Type.MouseButtonPress, points[0], LEFT, LEFT)
    for a, b in zip(points, points[1:], strict=False):
        for t in (0.5, 1.0):
            _send_mouse(view, QEvent.Type.MouseMove, a + (b - a) * t, NO_BUTTON, LEFT)
    _send_mouse(view, QEvent.Type.MouseButtonRelease, points[-1], LEFT, NO_BUTTON)


def _double_click(view, pos):
    from PySide6.QtCore import QEvent
    from view_testing import LEFT, NO_BUTTON, _send_mouse

    click(view, pos)
    _send_mouse(view, QEvent.Type.MouseButtonDblClick, pos, LEFT, LEFT)
    _send_mouse(view, QEvent.Type.MouseButtonRelease, pos, LEFT, NO_BUTTON)


def test_brush_size_keys_wheel_and_cursor(qtbot, lab):
    view, tools = lab.view, lab.bench.tools
    qtbot.keyClick(view, K.Key_P)
    tools.set_radius(4.0)
    qtbot.keyClick(view, K.Key_Period)
    assert tools.radius_mm == pytest.approx(5.0)
    qtbot.keyClick(view, K.Key_Comma)
    assert tools.radius_mm == pytest.approx(4.0)
    wheel(view, at(view, 20, 20), 2, modifiers=ALT)
    assert tools.radius_mm == pytest.approx(4.0 * 1.1**2, abs=0.01)
    assert lab.state.slice_index(lab.plane) == lab.index  # Alt+wheel did not scroll
    tools.set_radius(4.0)
    move(view, at(view, 20, 20))
    cursor = lab.bench.inputs[lab.plane].cursor
    assert cursor.visible
    rect = cursor.item.rect()  # slice pixels: 4 mm over 0.8 mm pixels each way
    assert rect.width() == pytest.approx(10.0) and rect.height() == pytest.approx(10.0)
    assert rect.center().x() == pytest.approx(20.0) and rect.center().y() == pytest.approx(20.0)
    qtbot.keyClick(view, K.Key_S)
    assert tools.sphere


def test_the_label_tools_and_measurement_tools_exclude_each_other(qtbot, lab):
    view, tools = lab.view, lab.bench.tools
    qtbot.keyClick(view, K.Key_P)
    qtbot.keyClick(view, K.Key_M)  # the ruler
    assert tools.tool is None
    assert not lab.bench.actions.actions["tool_brush"].isChecked()
    qtbot.keyClick(view, K.Key_G)
    assert lab.window.measurements.tool.value == "navigate"
    qtbot.keyClick(view, K.Key_Escape)
    assert tools.tool is None
    # With no label tool, a left drag sets the window again.
    before = lab.state.window
    drag(view, at(view, 10, 10), at(view, 10, 30))
    assert lab.state.window != before
    assert not lab.session.labelmap.layers[0].any()


def test_a_locked_label_is_not_painted_and_the_user_is_told(qtbot, lab, dialogs):
    view, session = lab.view, lab.session
    session.set_label(1, locked=True)
    qtbot.keyClick(view, K.Key_P)
    click(view, at(view, 20, 20))
    drag(view, at(view, 10, 10), at(view, 10, 30))
    assert not session.labelmap.layers[0].any()
    assert len(dialogs.warnings) == 2 and "locked" in dialogs.warnings[0][1]


def test_a_tool_key_picks_its_tool_again_rather_than_dropping_it(qtbot, lab):
    qtbot.keyClick(lab.view, K.Key_P)
    qtbot.keyClick(lab.view, K.Key_P)
    assert lab.bench.tools.tool is LabelTool.BRUSH
    assert lab.bench.actions.actions["tool_brush"].isChecked()
    qtbot.keyClick(lab.view, K.Key_W)
    assert lab.bench.tools.tool is None
    assert not lab.bench.actions.actions["tool_brush"].isChecked()


def test_the_sphere_brush_paints_through_slices(qtbot, lab):
    qtbot.keyClick(lab.view, K.Key_P)
    qtbot.keyClick(lab.view, K.Key_S)
    lab.bench.tools.set_radius(4.5)
    click(lab.view, at(lab.view, 20, 20))
    session = lab.session
    want = expected(
        session.labelmap, brush, 1, lab.plane, lab.index, (20.0, 20.0), 4.5, sphere=True
    )
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    # 2 mm slices: a 4.5 mm sphere reaches two slices each way.
    assert session.labelmap.layers[0].any(axis=(1, 2)).sum() == 5


def test_undo_waits_while_a_stroke_is_drawn_and_remove_label_is_undoable(qtbot, lab, dialogs):
    session = lab.session
    qtbot.keyClick(lab.view, K.Key_P)
    click(lab.view, at(lab.view, 20, 20))
    session.stroking = True  # as during a drag
    assert session.undo() is None and session.labelmap.layers[0].any()
    session.stroking = False
    painted = session.labelmap.layers[0].copy()
    session.add_label("second")
    session.set_active(1)
    lab.bench.panel.remove_active()  # confirmed by the scripted dialog
    assert [lb.name for lb in session.labelmap.table.labels] == ["second"]
    assert not session.labelmap.layers[0].any()
    qtbot.keyClick(lab.view, K.Key_Z, CTRL)
    assert np.array_equal(session.labelmap.layers[0], painted)
    lab.flush()
    assert lab.overlay.pixels is not None and lab.overlay.pixels.any()  # a default colour


def test_painting_on_a_coronal_view_shows_in_the_axial_one(qtbot, lab):
    from medgui.core.image.reformat import Plane

    lab.window.view_layout.set_layout("3")
    coronal = lab.window.view_layout.views[Plane.CORONAL]
    qtbot.waitUntil(lambda: coronal.isVisible() and coronal.width() > 100)
    coronal.flush()
    qtbot.keyClick(lab.view, K.Key_P)
    lab.bench.tools.set_radius(3.0)
    click(coronal, at(coronal, 10, 20))
    session, index = lab.session, lab.state.slice_index(Plane.CORONAL)
    want = expected(session.labelmap, brush, 1, Plane.CORONAL, index, (10.0, 20.0), 3.0)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert lab.state.active_plane is Plane.CORONAL
    # The axial view through one of the painted voxels shows it.
    k = int(np.flatnonzero(want.layers[0].any(axis=(1, 2)))[0])
    lab.state.set_slice(Plane.AXIAL, k)
    axial = lab.bench.overlays[Plane.AXIAL]
    axial.flush()
    assert axial.pixels is not None
    assert np.count_nonzero(axial.pixels) == np.count_nonzero(want.layers[0][k])
