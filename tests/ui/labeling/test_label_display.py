"""The label overlay, the label panel, interpolation with preview, clean-up and boxes, on the
real window."""

from __future__ import annotations

import numpy as np
from label_testing import (
    CTRL,
    SHIFT,
    K,
    expected,
)
from PySide6.QtCore import Qt
from view_testing import at, drag, grey_at

from medgui.core.labels.cleanup import grow_shrink
from medgui.core.labels.interpolate import accept_interpolation, propose_interpolation
from medgui.core.labels.labelmap import LabelTable
from medgui.ui.labeling.overlay import label_lut, to_rgba
from medgui.ui.labeling.panel import LOCKED, NAME, OPACITY, VISIBLE


def test_lookup_table_colours_opacity_and_hidden_labels():
    table = LabelTable()
    a, b = table.add("a", (200, 100, 0)), table.add("b", (0, 0, 255))
    a.opacity, b.visible = 0.5, False
    rgba = to_rgba(label_lut(table, 256))
    assert rgba[0].tolist() == [0, 0, 0, 0]
    assert rgba[1].tolist() == [100, 50, 0, 128]  # premultiplied by alpha 128
    assert rgba[2, 3] == 0  # hidden
    assert rgba[3, 3] > 0  # a value missing from the table still shows
    assert to_rgba(label_lut(table, 256, outline=True))[1, 3] == 255


def test_toggle_all_labels_and_outline_mode(qtbot, lab, dab):
    dab(lab, 20, 20)
    view, overlay = lab.view, lab.overlay
    painted = lab.session.labelmap.layers[0][lab.index] != 0
    assert np.array_equal(overlay.pixels != 0, painted)
    shown = grey_at(view, view.render_to_image(), at(view, 22, 22))  # off the crosshair
    assert len(set(shown)) > 1  # coloured, not grey

    qtbot.keyClick(view, K.Key_L)  # toggle all labels off
    lab.flush()
    assert not lab.bench.context.overlay_visible
    assert overlay.pixels is None and not overlay.item.isVisible()
    hidden = grey_at(view, view.render_to_image(), at(view, 22, 22))
    assert len(set(hidden)) == 1  # the grey image alone
    qtbot.keyClick(view, K.Key_L)
    lab.flush()
    assert np.array_equal(overlay.pixels != 0, painted)

    qtbot.keyClick(view, K.Key_L, SHIFT)  # outline only
    lab.flush()
    outline = overlay.pixels != 0
    assert outline.sum() < painted.sum() and not outline[20, 20] and outline[painted].any()
    assert np.all(painted[outline])


def test_label_panel_rename_visibility_opacity_lock_and_add(qtbot, lab, dialogs, dab):
    dab(lab, 20, 20)
    model, session = lab.bench.panel.model, lab.session
    assert model.rowCount() == 1
    assert model.setData(model.index(0, NAME), "Liver")
    assert session.labelmap.table.get(1).name == "Liver"
    assert model.data(model.index(0, NAME)) == "Liver"

    _check(model, VISIBLE, False)
    assert not session.labelmap.table.get(1).visible
    lab.flush()
    assert lab.overlay.pixels is None or not lab.overlay.pixels.any()
    _check(model, VISIBLE, True)
    model.setData(model.index(0, OPACITY), 100)
    lab.flush()
    assert to_rgba(lab.overlay.pixels[20, 20])[3] == 255

    _check(model, LOCKED, True)
    assert session.labelmap.table.get(1).locked
    assert not model.setData(model.index(0, NAME), "  ")  # refused, and said why
    assert dialogs.warnings and "name" in dialogs.warnings[-1][1]

    lab.bench.panel.add_button.click()
    assert model.rowCount() == 2 and session.active_value == 2
    assert lab.bench.panel.table.selectionModel().selectedRows()[0].row() == 1
    lab.bench.panel.table.selectRow(0)
    assert session.active_value == 1


def _check(model, column, on: bool) -> None:
    state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
    assert model.setData(model.index(0, column), state.value, Qt.ItemDataRole.CheckStateRole)


def test_statistics_follow_edits(qtbot, lab, dab):
    lab.bench.label_dock.show()
    dab(lab, 20, 20)
    panel = lab.bench.panel
    qtbot.waitUntil(lambda: bool(panel.stats.stats) and panel.stats.stats[0].voxel_count > 0)
    (stats,) = panel.stats.stats
    assert stats.voxel_count == np.count_nonzero(lab.session.labelmap.layers[0])
    assert stats.mean is not None
    assert panel.stats.item(0, 1).text() == str(stats.voxel_count)


def test_interpolation_previews_then_fills_the_slices_between(qtbot, lab, dab):
    view, session, state = lab.view, lab.session, lab.state
    state.set_slice(lab.plane, 5)
    dab(lab, 20, 20, radius=4.0)
    state.set_slice(lab.plane, 9)
    dab(lab, 22, 22, radius=5.0)
    before = session.labelmap.layers[0].copy()
    proposal = propose_interpolation(_copy(session.labelmap), lab.plane, 0)

    qtbot.keyClick(view, K.Key_I, CTRL)
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert session.proposal is not None
    state.set_slice(lab.plane, 7)
    lab.flush()
    preview = lab.overlay.preview_pixels
    assert preview is not None and preview.any()
    assert not session.labelmap.layers[0][7].any()  # only a preview so far
    assert lab.bench.actions.actions["accept_interpolation"].isEnabled()

    qtbot.keyClick(view, K.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert session.proposal is None
    want = _copy(session.labelmap)
    want.layers[0][...] = before
    from medgui.core.labels.undo import EditHistory

    accept_interpolation(want, EditHistory(), proposal)
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    filled = np.flatnonzero(session.labelmap.layers[0].any(axis=(1, 2))).tolist()
    assert filled == [5, 6, 7, 8, 9]
    lab.flush()
    assert lab.overlay.preview_pixels is None and lab.overlay.pixels.any()
    assert session.history.undo_description == "Interpolate slices"

    # Esc drops a proposal without writing it.
    state.set_slice(lab.plane, 12)
    dab(lab, 20, 20)
    qtbot.keyClick(view, K.Key_I, CTRL)
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert session.proposal is not None
    qtbot.keyClick(view, K.Key_Escape)
    assert session.proposal is None and not session.labelmap.layers[0][10].any()


def _copy(labelmap):
    from label_testing import same_copy

    return same_copy(labelmap)


def test_grow_from_the_cleanup_menu(qtbot, lab, dialogs, dab):
    dab(lab, 20, 20)
    start = _copy(lab.session.labelmap)
    dialogs.numbers = [1.6]
    lab.bench.actions.actions["grow"].trigger()
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    want = expected(start, grow_shrink, 1, 1.6, start=start)
    assert np.array_equal(lab.session.labelmap.layers[0], want.layers[0])
    assert lab.session.history.undo_description == "Grow 1.6 mm"
    lab.bench.actions.actions["keep_largest"].trigger()  # one component: nothing to change
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert lab.session.history.undo_description == "Grow 1.6 mm"


def test_boxes_2d_by_drag_and_3d_from_them(qtbot, lab):
    view, session, state = lab.view, lab.session, lab.state
    session.set_label(1, name="nodule")
    qtbot.keyClick(view, K.Key_K)
    for index, (r0, c0, r1, c1) in ((4, (10, 10, 20, 24)), (8, (12, 8, 18, 20))):
        state.set_slice(lab.plane, index)
        lab.flush()
        drag(view, at(view, r0, c0), at(view, r1, c1))
    boxes = session.annotations.boxes_2d
    assert [(b.slice_index, b.row_min, b.col_min, b.row_max, b.col_max) for b in boxes] == [
        (4, 10, 10, 20, 24),
        (8, 12, 8, 18, 20),
    ]
    assert all(b.label == "nodule" for b in boxes)
    lab.flush()
    assert len(lab.overlay.boxes) == 1  # the box of the slice on show
    lab.bench.actions.actions["box_3d"].trigger()
    (box,) = session.annotations.boxes_3d
    i0, j0, k0 = box.ijk_min
    i1, j1, k1 = box.ijk_max
    assert (k0, k1) == (4, 8)
    state.set_slice(lab.plane, 6)
    lab.flush()
    assert len(lab.overlay.boxes) == 1  # the 3-D box crosses slice 6
    lab.bench.actions.actions["delete_boxes"].trigger()  # no 2-D box on slice 6
    assert len(session.annotations.boxes_2d) == 2
