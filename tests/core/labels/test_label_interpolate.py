"""Shape-based slice interpolation: intermediate shapes, untouched ends, preview, one undo."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.volume import Volume
from medgui.core.labels import ops as ops
from medgui.core.labels.interpolate import (
    accept_interpolation,
    propose_interpolation,
    signed_distance,
)
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.undo import EditHistory


def make_map(shape=(11, 41, 41), spacing=(1.0, 1.0, 2.0), labels=("a", "b")):
    volume = Volume(np.zeros(shape, np.int16), spacing)
    labelmap = LabelMap.empty_like(volume)
    for name in labels:
        labelmap.table.add(name)
    return volume, labelmap


def disc(shape2d, center, radius):
    rr, cc = np.mgrid[: shape2d[0], : shape2d[1]]
    return (rr - center[0]) ** 2 + (cc - center[1]) ** 2 <= radius**2


def test_two_discs_give_growing_intermediate_discs_and_keep_the_ends():
    _, lm = make_map()
    lm.layers[0][0][disc((41, 41), (20, 20), 4)] = 1
    lm.layers[0][10][disc((41, 41), (20, 20), 14)] = 1
    ends = lm.layers[0][[0, 10]].copy()
    proposal = propose_interpolation(lm, Plane.AXIAL)
    assert not lm.layers[0][1:10].any()  # a proposal writes nothing
    assert proposal.filled == {1: list(range(1, 10))}
    history = EditHistory()
    accept_interpolation(lm, history, proposal)
    assert np.array_equal(lm.layers[0][[0, 10]], ends)
    areas = [(lm.layers[0][z] == 1).sum() for z in range(11)]
    assert all(a < b for a, b in zip(areas[:-1], areas[1:], strict=True)), areas
    for z in range(1, 10):
        # Each intermediate slice is (to a pixel) the disc of the interpolated radius.
        radius = 4 + (14 - 4) * z / 10
        shape = lm.layers[0][z] == 1
        assert shape[disc((41, 41), (20, 20), radius - 1.0)].all()
        assert not shape[~disc((41, 41), (20, 20), radius + 1.0)].any()
        assert (lm.layers[0][z - 1] == 1)[~shape].sum() == 0  # nested: smaller inside larger
    assert len(history) == 1
    history.undo(lm)
    assert not lm.layers[0][1:10].any()


def test_identical_ends_are_copied_exactly_and_shifted_ends_move_between():
    _, lm = make_map()
    square = np.zeros((41, 41), bool)
    square[5:12, 8:20] = True
    lm.layers[0][2][square] = 1
    lm.layers[0][6][square] = 1
    accept_interpolation(lm, EditHistory(), propose_interpolation(lm, Plane.AXIAL))
    for z in range(2, 7):
        assert np.array_equal(lm.layers[0][z] == 1, square)
    _, moved = make_map()
    # Overlapping ends: the shape slides (disjoint ends would vanish midway, the known limit
    # of averaging distance maps).
    moved.layers[0][0][10:20, 0:12] = 1
    moved.layers[0][4][10:20, 8:20] = 1
    accept_interpolation(moved, EditHistory(), propose_interpolation(moved, Plane.AXIAL))
    columns = [np.flatnonzero((moved.layers[0][z] == 1).any(axis=0)) for z in range(5)]
    centres = [c.mean() for c in columns]
    assert all(a < b for a, b in zip(centres[:-1], centres[1:], strict=True)), centres


def test_interpolation_along_the_coronal_normal_touches_only_the_gap_slices():
    volume, lm = make_map(shape=(20, 12, 20))
    ops.brush(lm, EditHistory(), 1, Plane.CORONAL, 2, (10, 10), 3.0)
    ops.brush(lm, EditHistory(), 1, Plane.CORONAL, 8, (10, 10), 6.0)
    before = lm.layers[0].copy()
    proposal = propose_interpolation(lm, Plane.CORONAL)
    assert proposal.axis == 1 and proposal.filled == {1: [3, 4, 5, 6, 7]}
    preview = proposal.preview_slice(lm, Plane.CORONAL, 5)
    assert preview.shape == extract_slice(volume, Plane.CORONAL, 5).shape and preview.any()
    assert not proposal.preview_slice(lm, Plane.CORONAL, 9).any()
    axial = proposal.preview_slice(lm, Plane.AXIAL, 10)
    assert axial.shape == (12, 20) and axial.any()
    accept_interpolation(lm, EditHistory(), proposal)
    changed = np.argwhere(lm.layers[0] != before)
    assert set(changed[:, 1]) == {3, 4, 5, 6, 7}
    shown = extract_slice(volume, Plane.CORONAL, 5, lm.layers[0])
    assert np.array_equal(shown, preview)


def test_only_unlabelled_voxels_are_claimed_and_locked_labels_are_skipped():
    _, lm = make_map(labels=("a", "b", "c"))
    lm.layers[0][0][disc((41, 41), (20, 20), 8)] = 1
    lm.layers[0][4][disc((41, 41), (20, 20), 8)] = 1
    lm.layers[0][2, 20, 20] = 2  # another label drawn in the gap
    lm.layers[0][0, 0, 0] = lm.layers[0][4, 0, 0] = 3
    lm.table.get(3).locked = True
    proposal = propose_interpolation(lm, Plane.AXIAL)
    assert set(proposal.filled) == {1}
    accept_interpolation(lm, EditHistory(), proposal)
    assert lm.layers[0][2, 20, 20] == 2 and lm.layers[0][2, 0, 0] == 0
    assert (lm.layers[0][2] == 1).sum() == disc((41, 41), (20, 20), 8).sum() - 1
    with pytest.raises(ValueError, match="locked"):
        propose_interpolation(lm, Plane.AXIAL, values=[3])


def test_overlapping_proposals_of_two_labels_go_to_the_deeper_one():
    _, lm = make_map()
    lm.layers[0][0][:, :22] = 1
    lm.layers[0][4][:, :22] = 1
    lm.layers[0][0][:, 19:] = 2
    lm.layers[0][4][:, 19:] = 2
    proposal = propose_interpolation(lm, Plane.AXIAL)
    middle = proposal.preview_slice(lm, Plane.AXIAL, 2)
    assert (middle[:, :19] == 1).all() and (middle[:, 22:] == 2).all()
    assert set(np.unique(middle)) == {1, 2}


def test_nothing_to_interpolate_gives_an_empty_proposal():
    _, lm = make_map()
    lm.layers[0][3:5, 1, 1] = 1  # adjacent slices: no gap
    proposal = propose_interpolation(lm, Plane.AXIAL)
    assert proposal.is_empty and proposal.voxel_count == 0
    assert accept_interpolation(lm, EditHistory(), proposal) is None
    assert not proposal.preview_slice(lm, Plane.AXIAL, 0).any()
    with pytest.raises(ValueError, match="layer 3"):
        propose_interpolation(lm, Plane.AXIAL, layer=3)


def test_signed_distance_is_symmetric_and_in_mm():
    mask = np.zeros((1, 9), bool)
    mask[0, 3:6] = True
    d = signed_distance(mask, (1.0, 0.5))
    assert np.allclose(d[0], [1.5, 1.0, 0.5, -0.5, -1.0, -0.5, 0.5, 1.0, 1.5])
