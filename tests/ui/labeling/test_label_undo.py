"""Undo/redo for every labelling edit on the real window: boxes, class tags, removing a label;
the eraser and interpolation act on the active label unless asked otherwise; the workspace
folder is the user's choice."""

from __future__ import annotations

import numpy as np
from label_testing import ALT, CTRL, SHIFT, K, open_labelled
from view_testing import at, click, drag

from medgui.core.annotations.model import Box2D
from medgui.ui.labeling.tools import LabelTool


def test_a_2d_box_is_undone_and_redone(qtbot, lab):
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_K)
    assert lab.bench.tools.tool is LabelTool.BOX
    drag(view, at(view, 10, 10), at(view, 25, 30))
    (box,) = session.annotations.boxes_2d
    assert session.history.undo_description == "Box"
    qtbot.keyClick(view, K.Key_Z, CTRL)
    assert session.annotations.boxes_2d == []
    qtbot.keyClick(view, K.Key_Z, CTRL | SHIFT)
    (again,) = session.annotations.boxes_2d
    assert again.to_json() == box.to_json()


def test_3d_box_and_deleting_boxes_are_undoable(lab):
    session, actions = lab.session, lab.bench.actions.actions
    label = session.active_label.name
    corners = dict(row_min=2, col_min=3, row_max=9, col_max=12)
    session.add_box(Box2D(plane=lab.plane, slice_index=lab.index, **corners, label=label))
    actions["box_3d"].trigger()
    assert len(session.annotations.boxes_3d) == 1
    actions["delete_boxes"].trigger()  # the 2-D boxes on this slice
    assert session.annotations.boxes_2d == [] and len(session.annotations.boxes_3d) == 1
    assert session.undo() == "Delete boxes"
    assert len(session.annotations.boxes_2d) == 1
    assert session.undo() == "3-D box"
    assert session.annotations.boxes_3d == [] and len(session.annotations.boxes_2d) == 1
    session.redo()
    assert len(session.annotations.boxes_3d) == 1


def test_tagging_an_image_is_undone(qtbot, lab):
    view, session = lab.view, lab.session
    image = lab.index
    qtbot.keyClick(view, K.Key_1, ALT)
    assert session.tags.get(image) == "normal"
    assert session.history.undo_description == "Tag"
    qtbot.keyClick(view, K.Key_Z, CTRL)
    assert session.annotations.tags is None or session.annotations.tags.get(image) is None
    qtbot.keyClick(view, K.Key_Y, CTRL)
    assert session.tags.get(image) == "normal"


def test_undoing_remove_label_brings_back_its_row_and_voxels(qtbot, lab):
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_P)
    click(view, at(view, 20, 20))
    second = session.add_label("Kidney")
    click(view, at(view, 10, 10))
    painted = session.labelmap.layers[0].copy()
    assert (painted == second.value).any()
    session.remove_label(second.value)
    assert [lb.name for lb in session.labelmap.table.labels] == ["Label 1"]
    assert not (session.labelmap.layers[0] == second.value).any()
    assert session.history.undo_description == "Remove label"
    qtbot.keyClick(view, K.Key_Z, CTRL)
    assert [lb.name for lb in session.labelmap.table.labels] == ["Label 1", "Kidney"]
    assert lab.bench.panel.model.row_of(second.value) == 1  # the table shows the row again
    assert np.array_equal(session.labelmap.layers[0], painted)
    qtbot.keyClick(view, K.Key_Z, CTRL | SHIFT)
    assert [lb.name for lb in session.labelmap.table.labels] == ["Label 1"]


def test_the_eraser_takes_only_the_active_label_unless_told_all(qtbot, lab):
    view, session, tools = lab.view, lab.session, lab.bench.tools
    qtbot.keyClick(view, K.Key_P)
    tools.set_radius(4.0)
    drag(view, at(view, 20, 6), at(view, 20, 18))
    second = session.add_label("Second")
    drag(view, at(view, 20, 18), at(view, 20, 32))
    layer = session.labelmap.layers[0]
    assert (layer == 1).any() and (layer == second.value).any()
    qtbot.keyClick(view, K.Key_P, SHIFT)
    tools.set_radius(30.0)  # covers both
    click(view, at(view, 20, 20))
    assert (layer == 1).any() and not (layer == second.value).any()
    lab.bench.actions.actions["erase_all"].trigger()
    assert tools.erase_all
    click(view, at(view, 20, 20))
    assert not layer[lab.index].any()


def test_interpolation_proposes_only_the_active_label_by_default(qtbot, lab):
    session, actions = lab.session, lab.bench.actions.actions
    layer = session.labelmap.layers[0]
    other = session.add_label("Other")
    session.set_active(1)
    layer[2, 10:20, 10:20] = 1
    layer[6, 10:20, 10:20] = 1
    layer[2, 25:35, 25:35] = other.value
    layer[6, 25:35, 25:35] = other.value
    actions["interpolate"].trigger()
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert set(session.proposal.filled) == {1}
    actions["interpolate_all"].trigger()
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert set(session.proposal.filled) == {1, other.value}


def test_choosing_the_workspace_folder_moves_the_saves(
    qtbot, window, new_window, settings, single_series, wait_idle, dialogs, tmp_path
):
    lab = open_labelled(qtbot, window, single_series, wait_idle, dialogs)
    lab.bench.autosave.quiet_s = 60
    old = lab.bench.workspace
    key = lab.session.key
    qtbot.keyClick(lab.view, K.Key_P)
    click(lab.view, at(lab.view, 20, 20))
    chosen = tmp_path / "my workspace"
    dialogs.paths = [str(chosen)]  # the folder the file dialog gives
    window.menu_actions["choose_workspace"].trigger()
    assert lab.bench.workspace.root == chosen
    assert str(chosen) in window.statusBar().currentMessage()
    # The unsaved stroke went into the old folder first.
    qtbot.waitUntil(lambda: old.load_series(key) is not None, timeout=5000)
    qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    qtbot.keyClick(lab.view, K.Key_S, CTRL)
    qtbot.waitUntil(lambda: lab.bench.workspace.load_series(key) is not None, timeout=5000)
    qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    saved = lab.bench.workspace.load_series(key)
    assert np.array_equal(saved.labelmap.layers[0], lab.session.labelmap.layers[0])
    assert (chosen / "workspace.json").is_file()
    # The choice is remembered: the next window keeps its work there.
    again = new_window(settings)
    assert again.labels.workspace.root == chosen
