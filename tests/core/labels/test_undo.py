"""Undo/redo: exact round trips, sparse memory, the cap, callbacks, locks, atomic edits."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.labels import cleanup as cleanup
from medgui.core.labels import ops as ops
from medgui.core.labels.bbox import bbox_expand, bbox_ijk, bbox_union, bounding_box, label_bbox
from medgui.core.labels.interpolate import accept_interpolation, propose_interpolation
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.undo import EditHistory, make_edit, protect_locked


def make_map(shape=(12, 24, 24), spacing=(0.8, 0.8, 1.5)):
    volume = Volume(np.zeros(shape, np.int16), spacing)
    labelmap = LabelMap.empty_like(volume)
    for name in ("a", "b", "c"):
        labelmap.table.add(name)
    labelmap.table.add("on layer 1", layer=1)
    return volume, labelmap


def random_op(rng, volume, lm, history):
    """One random op from the whole tool box."""
    plane = list(Plane)[rng.integers(3)]
    n = {Plane.AXIAL: 12, Plane.CORONAL: 24, Plane.SAGITTAL: 24}[plane]
    index = int(rng.integers(n))
    rows = 24 if plane is Plane.AXIAL else 12
    point = lambda: (float(rng.uniform(0, rows)), float(rng.uniform(0, 24)))  # noqa: E731
    value = int(rng.choice([1, 2, 4]))  # 3 is locked
    kind = int(rng.integers(9))
    if kind == 0:
        ops.stroke(
            lm,
            history,
            value,
            plane,
            index,
            [point() for _ in range(3)],
            float(rng.uniform(0.5, 4)),
            sphere=bool(rng.integers(2)),
        )
    elif kind == 1:
        ops.erase_stroke(
            lm,
            history,
            int(rng.integers(2)),
            plane,
            index,
            [point(), point()],
            float(rng.uniform(1, 5)),
        )
    elif kind == 2:
        ops.polygon_fill(lm, history, value, plane, index, [point() for _ in range(5)])
    elif kind == 3:
        ops.flood_fill(
            lm,
            history,
            value,
            plane,
            index,
            point(),
            image=volume,
            tolerance=float(rng.uniform(0, 40)),
            three_d=bool(rng.integers(2)),
        )
    elif kind == 4:
        ops.threshold_paint(lm, history, value, volume, -20, 30, plane, index, [point()], 5.0)
    elif kind == 5:
        cleanup.grow_shrink(lm, history, value, float(rng.choice([-1.6, 1.0, 2.5])))
    elif kind == 6:
        cleanup.fill_holes(lm, history, value, plane=plane if rng.integers(2) else None)
    elif kind == 7:
        cleanup.remove_small_islands(lm, history, value, min_voxels=int(rng.integers(2, 30)))
    else:
        accept_interpolation(lm, history, propose_interpolation(lm, plane))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_random_ops_undo_all_restores_and_redo_all_replays_exactly(seed):
    rng = np.random.default_rng(seed)
    volume, lm = make_map()
    volume.array[:] = rng.normal(0, 30, volume.array.shape).astype(np.int16)
    lm.ensure_layer(1)
    lm.layers[0][3:6, 5:12, 5:12] = 2
    lm.table.get(3).locked = True
    lm.layers[0][8, 8:20, 8:20] = 3
    original = [layer.copy() for layer in lm.layers]
    history = EditHistory()
    for _ in range(80):
        random_op(rng, volume, lm, history)
    assert len(history) > 30
    assert (lm.layers[0][8, 8:20, 8:20] == 3).all()  # locked all along
    final = [layer.copy() for layer in lm.layers]
    steps = len(history)
    while history.undo(lm) is not None:
        pass
    assert all(np.array_equal(a, b) for a, b in zip(lm.layers, original, strict=True))
    assert not history.can_undo and history.can_redo
    for _ in range(steps):
        assert history.redo(lm) is not None
    assert history.redo(lm) is None
    assert all(np.array_equal(a, b) for a, b in zip(lm.layers, final, strict=True))


def test_memory_is_proportional_to_the_changed_region_not_the_map():
    sizes = []
    for shape in [(10, 40, 40), (60, 256, 256)]:
        _, lm = make_map(shape, (1.0, 1.0, 1.0))
        history = EditHistory()
        ops.brush(lm, history, 1, Plane.AXIAL, 5, (20, 20), 5.0)
        sizes.append(history.memory_bytes)
    assert sizes[0] == sizes[1]
    _, lm = make_map((10, 40, 40), (1.0, 1.0, 1.0))
    history = EditHistory()
    ops.brush(lm, history, 1, Plane.AXIAL, 5, (20, 20), 5.0)
    one = history.memory_bytes
    ops.brush(lm, history, 1, Plane.AXIAL, 5, (20, 20), 5.0)  # no change: nothing recorded
    assert history.memory_bytes == one and len(history) == 1
    for radius in (2.0, 6.0, 12.0):
        ops.brush(lm, history, 2, Plane.AXIAL, 6, (20, 20), radius, sphere=True)
        edit = history.last_edit
        # Between 2 bytes (dense box) and 4 bytes (index + old + new) per changed voxel.
        arrays = edit.nbytes - 512
        assert 2 * edit.changed_voxels <= arrays <= 4 * edit.changed_voxels


def test_sparse_and_dense_forms_are_chosen_by_size():
    before = np.zeros((4, 50, 50), np.uint8)
    after = before.copy()
    after[1, 10, 10] = after[2, 40, 40] = 1  # two voxels far apart: sparse
    edit = make_edit(0, (slice(0, 4), slice(0, 50), slice(0, 50)), before, after, "x")
    assert edit.flat_index is not None and edit.flat_index.dtype == np.uint16
    assert edit.nbytes - 512 == 2 * 2 + 2 * 2
    assert edit.bbox == (slice(1, 3), slice(10, 41), slice(10, 41))
    after[:] = 1  # everything changed: dense
    edit = make_edit(0, (slice(2, 6), slice(0, 50), slice(0, 50)), before, after, "x")
    assert edit.flat_index is None and edit.before.shape == (4, 50, 50)
    assert edit.bbox == (slice(2, 6), slice(0, 50), slice(0, 50))
    assert make_edit(0, edit.bbox, before, before, "x") is None


def test_record_api_and_descriptions():
    _, lm = make_map()
    history = EditHistory()
    box = (slice(2, 4), slice(0, 3), slice(0, 3))
    before = lm.layers[0][box].copy()
    lm.layers[0][box] = 1
    assert history.record(0, box, before, lm.layers[0][box], "Manual").description == "Manual"
    assert history.undo_description == "Manual"
    assert history.undo(lm) == "Manual" and not lm.layers[0].any()
    assert history.redo_description == "Manual"
    assert history.redo(lm) == "Manual" and (lm.layers[0][box] == 1).all()


def test_new_edit_clears_redo():
    _, lm = make_map()
    history = EditHistory()
    ops.brush(lm, history, 1, Plane.AXIAL, 0, (5, 5), 2.0)
    history.undo(lm)
    assert history.can_redo
    ops.brush(lm, history, 2, Plane.AXIAL, 0, (5, 5), 2.0)
    assert not history.can_redo and history.redo(lm) is None


def test_cap_drops_the_oldest_edits_but_keeps_the_newest():
    _, lm = make_map()
    history = EditHistory(max_bytes=3000)
    for index in range(12):
        ops.brush(lm, history, 1, Plane.AXIAL, index, (12, 12), 4.0)
    assert history.memory_bytes <= 3000 and 1 <= len(history) < 12
    total = sum(e.nbytes for e in history._undo)
    assert total == history.memory_bytes
    tiny = EditHistory(max_bytes=10)
    ops.brush(lm, tiny, 2, Plane.AXIAL, 0, (12, 12), 4.0)
    ops.brush(lm, tiny, 2, Plane.AXIAL, 1, (12, 12), 4.0)
    assert len(tiny) == 1 and tiny.undo(lm) == "Brush"
    with pytest.raises(ValueError):
        EditHistory(max_bytes=0)


def test_change_callbacks_hear_edits_undos_and_redos():
    _, lm = make_map()
    history = EditHistory()
    heard = []
    callback = history.connect(lambda action, edit: heard.append((action, edit.bbox)))
    box = ops.brush(lm, history, 1, Plane.AXIAL, 3, (5, 5), 1.0)
    history.undo(lm)
    history.redo(lm)
    assert heard == [("edit", box), ("undo", box), ("redo", box)]
    history.disconnect(callback)
    history.undo(lm)
    assert len(heard) == 3


def test_an_op_that_raises_leaves_the_map_untouched_and_records_nothing():
    _, lm = make_map()
    history = EditHistory()
    with pytest.raises(RuntimeError), history.edit(lm, 0, "broken") as region:
        region.view[:] = 1
        raise RuntimeError("mid-edit")
    assert not lm.layers[0].any() and not history.can_undo


def test_edit_context_protects_locked_voxels():
    _, lm = make_map()
    lm.layers[0][0, 0, :3] = [1, 2, 3]
    lm.table.get(2).locked = True
    history = EditHistory()
    with history.edit(lm, 0, "overwrite", (slice(0, 1), slice(0, 1), slice(0, 3))) as region:
        region.view[:] = 4
    assert list(lm.layers[0][0, 0, :3]) == [4, 2, 4]
    assert region.changed_bbox == (slice(0, 1), slice(0, 1), slice(0, 3))
    before, after = np.array([1, 2]), np.array([5, 5])
    protect_locked(lm.table, before, after)
    assert list(after) == [5, 2]
    with pytest.raises(ValueError, match="empty"), history.edit(lm, 0, "x", (slice(3, 3),) * 3):
        pass
    # A box reaching past the edges is clipped to the grid (not counted from the end).
    with history.edit(lm, 0, "edge", (slice(-2, 1), slice(-5, 2), slice(22, 40))) as region:
        assert region.bbox == (slice(0, 1), slice(0, 2), slice(22, 24))


def test_bounding_box():
    mask = np.zeros((4, 5, 6), bool)
    assert bounding_box(mask) is None
    mask[1, 2, 3] = mask[2, 4, 0] = True
    assert bounding_box(mask) == (slice(1, 3), slice(2, 5), slice(0, 4))
    with pytest.raises(ValueError):
        bounding_box(mask[0])


def test_bbox_helpers():
    _, lm = make_map((5, 9, 9))
    lm.layers[0][1:3, 2:5, 6] = 1
    box = label_bbox(lm, 1)
    assert box == (slice(1, 3), slice(2, 5), slice(6, 7))
    assert bbox_ijk(box) == ((6, 2, 1), (6, 4, 2))
    assert label_bbox(lm, 2) is None
    assert bbox_union(box, None) == box
    other = (slice(0, 1), slice(7, 8), slice(0, 1))
    assert bbox_union(box, other) == (slice(0, 3), slice(2, 8), slice(0, 7))
    assert bbox_expand(box, (2, 1, 5), lm.shape_zyx) == (slice(0, 5), slice(1, 6), slice(1, 9))


def test_state_changes_and_groups_share_the_history_with_voxel_edits():
    from medgui.core.labels.undo import EditGroup, StateChange, voxel_edits

    _volume, labelmap = make_map((4, 6, 6))
    history, state, heard = EditHistory(), {"boxes": []}, []
    history.connect(lambda action, entry: heard.append((action, len(voxel_edits(entry)))))

    def restore(value):
        state["boxes"] = list(value)

    state["boxes"] = ["box"]
    history.push(StateChange("Box", [], ["box"], restore))
    layer = labelmap.layers[0]
    before = layer[1:2, 1:3, 1:3].copy()
    layer[1:2, 1:3, 1:3] = 1
    edit = make_edit(0, (slice(1, 2), slice(1, 3), slice(1, 3)), before, layer[1:2, 1:3, 1:3], "x")
    state["boxes"] = []
    group = EditGroup("Both", (edit, StateChange("Unbox", ["box"], [], restore)))
    history.push(group)
    assert history.undo(labelmap) == "Both"
    assert state["boxes"] == ["box"] and not layer.any()
    assert history.undo(labelmap) == "Box" and state["boxes"] == []
    assert history.redo(labelmap) == "Box" and history.redo(labelmap) == "Both"
    assert state["boxes"] == [] and layer.sum() == 4
    assert [n for _, n in heard] == [0, 1, 1, 0, 0, 1]
    assert history.memory_bytes > 0
