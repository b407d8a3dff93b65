"""Clean-up ops on hand-built arrays: islands, largest component, holes, grow and shrink."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.labels import cleanup as cleanup
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.undo import EditHistory


def make_map(shape=(9, 9, 9), spacing=(1.0, 1.0, 1.0), labels=("a", "b")):
    volume = Volume(np.zeros(shape, np.int16), spacing)
    labelmap = LabelMap.empty_like(volume)
    for name in labels:
        labelmap.table.add(name)
    return labelmap


def brute_grow(mask, spacing_zyx, distance):
    """Voxels within `distance` mm of a mask voxel, by checking every pair."""
    points = np.argwhere(mask) * np.asarray(spacing_zyx)
    grid = np.argwhere(np.ones_like(mask)) * np.asarray(spacing_zyx)
    d2 = ((grid[:, None, :] - points[None, :, :]) ** 2).sum(-1).min(axis=1)
    return (d2 <= distance**2 + 1e-9).reshape(mask.shape)


def islands_map():
    lm = make_map()
    layer = lm.layers[0]
    layer[0, 0, 0] = 1  # 1 voxel
    layer[4, 0:2, 0:2] = 1  # 4 voxels
    layer[5:8, 5:8, 5:8] = 1  # 27 voxels
    layer[8, 8, 8] = 1  # touches the big one only at a corner: its own island unless full
    layer[0, 8, 8] = 2
    return lm


def test_remove_small_islands_by_voxels_and_by_ml():
    lm = islands_map()
    history = EditHistory()
    cleanup.remove_small_islands(lm, history, 1, min_voxels=5)
    assert (lm.layers[0] == 1).sum() == 27 and lm.layers[0][0, 8, 8] == 2
    history.undo(lm)
    assert (lm.layers[0] == 1).sum() == 33
    # 2 mm voxels: 8 µl each, so 0.03 ml keeps the 4-voxel island (0.032 ml) only.
    coarse = islands_map()
    coarse.spacing_mm = (2.0, 2.0, 2.0)
    cleanup.remove_small_islands(coarse, EditHistory(), 1, min_ml=0.03)
    assert (coarse.layers[0] == 1).sum() == 31
    with pytest.raises(ValueError, match="min_voxels or min_ml"):
        cleanup.remove_small_islands(lm, history, 1)


def test_full_connectivity_joins_corner_neighbours():
    lm = islands_map()
    cleanup.remove_small_islands(lm, EditHistory(), 1, min_voxels=5, fully_connected=True)
    assert (lm.layers[0] == 1).sum() == 28


def test_keep_largest_component():
    lm = islands_map()
    box = cleanup.keep_largest_component(lm, EditHistory(), 1)
    assert (lm.layers[0] == 1).sum() == 27 and lm.layers[0][0, 8, 8] == 2
    assert box == (slice(0, 9), slice(0, 9), slice(0, 9))
    assert cleanup.keep_largest_component(lm, EditHistory(), 1) is None


def test_fill_holes_3d_fills_a_closed_cavity_but_not_an_open_tube():
    lm = make_map()
    lm.layers[0][1:8, 1:8, 1:8] = 1
    lm.layers[0][3:6, 3:6, 3:6] = 0
    lm.layers[0][4, 4, 4] = 2  # another label inside the cavity stays
    cleanup.fill_holes(lm, EditHistory(), 1)
    assert (lm.layers[0] == 1).sum() == 7**3 - 1 and lm.layers[0][4, 4, 4] == 2
    tube = make_map()
    tube.layers[0][:, 1:8, 1:8] = 1
    tube.layers[0][:, 3:6, 3:6] = 0  # open at both ends along z
    assert cleanup.fill_holes(tube, EditHistory(), 1) is None
    cleanup.fill_holes(tube, EditHistory(), 1, plane=Plane.AXIAL)
    assert (tube.layers[0] == 1).all(axis=0)[1:8, 1:8].all()
    # Per coronal slice the tube is two bars, not a ring: nothing to fill.
    other = make_map()
    other.layers[0][:, 1:8, 1:8] = 1
    other.layers[0][:, 3:6, 3:6] = 0
    assert cleanup.fill_holes(other, EditHistory(), 1, plane=Plane.CORONAL) is None


def test_grow_by_mm_honours_anisotropic_spacing_exactly():
    lm = make_map(spacing=(0.5, 1.0, 2.0))  # i 0.5 mm, j 1 mm, k 2 mm
    lm.layers[0][4, 4, 4] = 1
    cleanup.grow_shrink(lm, EditHistory(), 1, 1.0)
    expected = {(4, 4, 4 + d) for d in range(-2, 3)} | {(4, 3, 4), (4, 5, 4)}
    assert {tuple(p) for p in np.argwhere(lm.layers[0] == 1)} == expected


def test_grow_matches_brute_force_and_skips_other_labels():
    rng = np.random.default_rng(3)
    lm = make_map(shape=(6, 10, 12), spacing=(0.7, 0.9, 1.6))
    lm.layers[0][rng.random((6, 10, 12)) < 0.04] = 1
    lm.layers[0][0, 0, :] = 2
    mask = lm.layers[0] == 1
    cleanup.grow_shrink(lm, EditHistory(), 1, 1.7)
    expected = (brute_grow(mask, (1.6, 0.9, 0.7), 1.7) & (lm.layers[0] != 2)) | mask
    assert np.array_equal(lm.layers[0] == 1, expected)
    assert (lm.layers[0][0, 0, :] == 2).all()


def test_shrink_by_mm_and_the_volume_edge_is_not_background():
    lm = make_map()
    lm.layers[0][2:7, 2:7, 2:7] = 1
    history = EditHistory()
    cleanup.grow_shrink(lm, history, 1, -1.0)
    assert {tuple(p) for p in np.argwhere(lm.layers[0])} == set(
        itertools.product(range(3, 6), repeat=3)
    )
    assert history.undo_description == "Shrink 1 mm"
    edge = make_map()
    edge.layers[0][0:4, :, :] = 1  # fills the volume's first 4 slices
    cleanup.grow_shrink(edge, EditHistory(), 1, -1.0)
    assert (edge.layers[0][0:3] == 1).all() and not edge.layers[0][3].any()


def test_shrink_matches_brute_force_erosion():
    rng = np.random.default_rng(5)
    lm = make_map(shape=(8, 10, 10), spacing=(0.8, 0.8, 1.5))
    lm.layers[0][1:7, 1:9, 1:9] = 1
    lm.layers[0][rng.random((8, 10, 10)) < 0.05] = 0
    mask = lm.layers[0] == 1
    cleanup.grow_shrink(lm, EditHistory(), 1, -1.6)
    expected = mask & ~brute_grow(~mask, (1.5, 0.8, 0.8), 1.6)
    assert np.array_equal(lm.layers[0] == 1, expected)


def test_locked_and_empty_labels():
    lm = make_map()
    lm.layers[0][4, 4, 4] = 1
    lm.table.get(1).locked = True
    with pytest.raises(ValueError, match="locked"):
        cleanup.grow_shrink(lm, EditHistory(), 1, 2.0)
    # Growing label 2 never takes label 1's locked voxel.
    lm.layers[0][4, 4, 3] = 2
    cleanup.grow_shrink(lm, EditHistory(), 2, 3.0)
    assert lm.layers[0][4, 4, 4] == 1
    empty = make_map()
    assert cleanup.grow_shrink(empty, EditHistory(), 1, 2.0) is None
    assert cleanup.fill_holes(empty, EditHistory(), 1) is None
    assert cleanup.grow_shrink(lm, EditHistory(), 2, 0.0) is None
    with pytest.raises(ValueError, match="finite"):
        cleanup.grow_shrink(lm, EditHistory(), 2, float("nan"))


def test_distance_to_mask_in_mm():
    mask = np.zeros((3, 5), bool)
    mask[1, 2] = True
    d = cleanup.distance_to_mask(mask, (2.0, 0.5))
    assert d[1, 2] == 0 and np.isclose(d[1, 0], 1.0) and np.isclose(d[0, 2], 2.0)
