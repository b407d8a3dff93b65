"""Label edit ops on small arrays: exact voxel sets, planes, spacing, locks."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.volume import Volume
from medgui.core.labels import ops as ops
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.undo import EditHistory


def make_map(shape=(5, 9, 9), spacing=(1.0, 1.0, 1.0), direction=None, labels=2):
    volume = Volume(
        np.zeros(shape, np.int16), spacing, direction=np.eye(3) if direction is None else direction
    )
    labelmap = LabelMap.empty_like(volume)
    for n in range(labels):
        labelmap.table.add(f"label {n + 1}")
    return volume, labelmap


def voxels(array: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in p) for p in np.argwhere(array)}


def disk_offsets(radius: float, row_mm: float = 1.0, col_mm: float = 1.0) -> set:
    n = int(radius / min(row_mm, col_mm)) + 1
    return {
        (dr, dc)
        for dr in range(-n, n + 1)
        for dc in range(-n, n + 1)
        if (dr * row_mm) ** 2 + (dc * col_mm) ** 2 <= radius**2
    }


def test_disk_of_2mm_on_1mm_pixels_is_the_13_known_pixels():
    _, lm = make_map()
    bbox = ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 2, (4, 4), 2.0)
    expected = {(2, 4 + dr, 4 + dc) for dr, dc in disk_offsets(2.0)}
    assert len(expected) == 13
    assert voxels(lm.layers[0] == 1) == expected
    assert bbox == (slice(2, 3), slice(2, 7), slice(2, 7))


def test_anisotropic_pixels_give_an_ellipse_in_index_space():
    # i (columns) 0.5 mm, j (rows) 2 mm: a 2 mm disk is 9 pixels wide and 3 tall.
    _, lm = make_map(shape=(3, 9, 15), spacing=(0.5, 2.0, 1.0))
    ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 1, (4, 7), 2.0)
    expected = {(1, 4 + dr, 7 + dc) for dr, dc in disk_offsets(2.0, 2.0, 0.5)}
    assert voxels(lm.layers[0] == 1) == expected
    assert len(expected) == 11  # 9 along the row, one above and one below


def test_sphere_brush_counts_33_voxels_and_honours_slice_spacing():
    _, lm = make_map(shape=(7, 7, 7))
    ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 3, (3, 3), 2.0, sphere=True)
    assert np.count_nonzero(lm.layers[0]) == 33
    # 3 mm slices: the 2 mm sphere stays within its own slice.
    _, thick = make_map(shape=(7, 7, 7), spacing=(1.0, 1.0, 3.0))
    ops.brush(thick, EditHistory(), 1, Plane.AXIAL, 3, (3, 3), 2.0, sphere=True)
    assert voxels(thick.layers[0]) == {(3, 3 + r, 3 + c) for r, c in disk_offsets(2.0)}


@pytest.mark.parametrize("plane", list(Plane))
def test_2d_op_touches_only_that_planes_slice_and_lands_under_the_cursor(plane):
    # A flipped, non-identity direction: the mapping must come from reformat, not be assumed.
    direction = np.diag([-1.0, 1.0, -1.0])
    volume, lm = make_map(shape=(6, 7, 8), direction=direction)
    index = 3
    ops.brush(lm, EditHistory(), 1, plane, index, (1, 2), 1.0)
    shown = extract_slice(volume, plane, index, lm.layers[0])
    assert voxels(shown) == {(1 + dr, 2 + dc) for dr, dc in disk_offsets(1.0)}
    # Nothing outside the slice changed.
    assert np.count_nonzero(lm.layers[0]) == np.count_nonzero(shown)


def test_fast_stroke_leaves_no_gap():
    _, lm = make_map(shape=(1, 5, 40))
    ops.stroke(lm, EditHistory(), 1, Plane.AXIAL, 0, [(2, 2), (2, 30)], 1.0)
    expected = {(0, r, c) for r in (1, 2, 3) for c in range(2, 31)} | {(0, 2, 1), (0, 2, 31)}
    assert voxels(lm.layers[0]) == expected


def test_polyline_stroke_is_the_union_of_capsules():
    _, lm = make_map(shape=(1, 20, 20))
    points = [(2, 2), (2, 15), (15, 15)]
    ops.stroke(lm, EditHistory(), 1, Plane.AXIAL, 0, points, 1.5)
    rr, cc = np.mgrid[0:20, 0:20]
    expected = np.zeros((20, 20), bool)
    for (r0, c0), (r1, c1) in zip(points[:-1], points[1:], strict=True):
        d = np.array([r1 - r0, c1 - c0], float)
        t = np.clip(((rr - r0) * d[0] + (cc - c0) * d[1]) / (d @ d), 0, 1)
        expected |= (rr - r0 - t * d[0]) ** 2 + (cc - c0 - t * d[1]) ** 2 <= 1.5**2
    assert np.array_equal(lm.layers[0][0] == 1, expected)


def test_tiny_radius_still_paints_the_pixel_under_the_cursor():
    _, lm = make_map()
    ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 0, (3.3, 4.6), 0.1)
    assert voxels(lm.layers[0]) == {(0, 3, 5)}


def test_stroke_partly_outside_is_clipped_and_wholly_outside_changes_nothing():
    _, lm = make_map()
    history = EditHistory()
    ops.brush(lm, history, 1, Plane.AXIAL, 0, (0, 0), 2.0)
    assert voxels(lm.layers[0]) == {(0, r, c) for r, c in disk_offsets(2.0) if r >= 0 and c >= 0}
    assert ops.brush(lm, history, 1, Plane.AXIAL, 0, (-20, -20), 2.0) is None
    assert len(history) == 1


def test_eraser_clears_only_its_label_and_never_a_locked_one():
    _, lm = make_map(labels=3)
    lm.layers[0][0, :, :3] = 1
    lm.layers[0][0, :, 3:6] = 2
    lm.layers[0][0, :, 6:] = 3
    lm.table.get(3).locked = True
    history = EditHistory()
    ops.erase(lm, history, 0, Plane.AXIAL, 0, (4, 4), 10.0, only_value=2)
    assert not (lm.layers[0] == 2).any() and (lm.layers[0][0, :, :3] == 1).all()
    ops.erase(lm, history, 0, Plane.AXIAL, 0, (4, 4), 10.0)
    assert (lm.layers[0][0, :, 6:] == 3).all()
    assert np.count_nonzero(lm.layers[0]) == 27
    with pytest.raises(ValueError, match="locked"):
        ops.erase(lm, history, 0, Plane.AXIAL, 0, (4, 4), 1.0, only_value=3)
    with pytest.raises(ValueError, match="layer 4"):
        ops.erase(lm, history, 4, Plane.AXIAL, 0, (4, 4), 1.0)


def test_paint_never_overwrites_a_locked_label_and_a_locked_label_cannot_be_painted():
    _, lm = make_map()
    lm.layers[0][2, 4, 4] = 2
    lm.table.get(2).locked = True
    ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 2, (4, 4), 2.0)
    assert lm.layers[0][2, 4, 4] == 2 and np.count_nonzero(lm.layers[0] == 1) == 12
    with pytest.raises(ValueError, match="locked"):
        ops.brush(lm, EditHistory(), 2, Plane.AXIAL, 2, (4, 4), 2.0)
    with pytest.raises(ValueError, match="no label with value 9"):
        ops.brush(lm, EditHistory(), 9, Plane.AXIAL, 2, (4, 4), 2.0)


def test_label_on_second_layer_paints_that_layer():
    _, lm = make_map(labels=0)
    lm.table.add("organ")
    lm.table.add("lesion", layer=1)
    ops.brush(lm, EditHistory(), 2, Plane.AXIAL, 0, (4, 4), 1.0)
    assert len(lm.layers) == 2 and np.count_nonzero(lm.layers[1] == 2) == 5
    assert not lm.layers[0].any()


def test_threshold_paint_and_preview():
    volume, lm = make_map(shape=(2, 9, 9))
    volume.array[:] = np.arange(9)[None, None, :] * 10  # columns 0, 10, ..., 80
    preview = ops.threshold_preview(volume.array[0], 20, 50)
    assert np.array_equal(np.flatnonzero(preview[0]), [2, 3, 4, 5])
    ops.threshold_paint(lm, EditHistory(), 1, volume, 20, 50, Plane.AXIAL, 0, [(4, 4)], 3.0)
    expected = {(0, 4 + dr, 4 + dc) for dr, dc in disk_offsets(3.0) if 2 <= 4 + dc <= 5}
    assert voxels(lm.layers[0]) == expected
    with pytest.raises(ValueError, match="low <= high"):
        ops.threshold_preview(volume.array[0], 5, 1)
    with pytest.raises(ValueError, match="not on the label grid"):
        ops.threshold_paint(
            lm, EditHistory(), 1, np.zeros((3, 3, 3)), 0, 1, Plane.AXIAL, 0, [(1, 1)], 1.0
        )


def _walled_image():
    """Two slabs of 100 split by a wall of 500 at x = 4, and a noisy line of 104 (y = x = 0)."""
    image = np.full((3, 6, 9), 100, np.int16)
    image[:, :, 4] = 500
    image[:, 0, 0] = 104
    return Volume(image)


def test_flood_fill_2d_stays_in_its_region_and_slice():
    volume = _walled_image()
    lm = LabelMap.empty_like(volume)
    lm.table.add("a")
    ops.flood_fill(lm, EditHistory(), 1, Plane.AXIAL, 1, (3, 1), image=volume, tolerance=2)
    expected = {(1, y, x) for y in range(6) for x in range(4)} - {(1, 0, 0)}
    assert voxels(lm.layers[0]) == expected
    lm.layers[0][:] = 0
    ops.flood_fill(lm, EditHistory(), 1, Plane.AXIAL, 1, (3, 1), image=volume, tolerance=4)
    assert (1, 0, 0) in voxels(lm.layers[0])


def test_flood_fill_on_sagittal_plane_and_in_3d():
    volume = _walled_image()
    lm = LabelMap.empty_like(volume)
    lm.table.add("a")
    ops.flood_fill(lm, EditHistory(), 1, Plane.SAGITTAL, 0, (1, 1), image=volume, tolerance=0)
    shown = extract_slice(volume, Plane.SAGITTAL, 0, lm.layers[0])
    # Slice i = 0 minus the noisy column (y = 0).
    assert np.count_nonzero(lm.layers[0]) == np.count_nonzero(shown) == 3 * 5
    assert voxels(lm.layers[0]) == {(z, y, 0) for z in range(3) for y in range(1, 6)}
    lm.layers[0][:] = 0
    ops.flood_fill(lm, EditHistory(), 1, Plane.AXIAL, 0, (3, 6), image=volume, three_d=True)
    assert voxels(lm.layers[0]) == {
        (z, y, x) for z in range(3) for y in range(6) for x in range(5, 9)
    }


@pytest.mark.parametrize("three_d", [False, True])
def test_flood_fill_equals_simpleitk_connected_threshold(three_d):
    rng = np.random.default_rng(4)
    image = Volume(rng.integers(0, 10, (6, 15, 17)).astype(np.int16))
    lm = LabelMap.empty_like(image)
    lm.table.add("a")
    ops.flood_fill(
        lm, EditHistory(), 1, Plane.CORONAL, 7, (2, 8), image=image, tolerance=3, three_d=three_d
    )
    seed_zyx = (3, 7, 8)  # coronal row 2 is z = 3 (superior at the top), col 8 is x = 8
    level = float(image.array[seed_zyx])
    source = image.array if three_d else image.array[:, 7]
    seed = seed_zyx if three_d else (3, 8)
    reference = sitk.ConnectedThreshold(
        sitk.GetImageFromArray(source),
        seedList=[tuple(reversed(seed))],
        lower=level - 3,
        upper=level + 3,
    )
    expected = sitk.GetArrayFromImage(reference).astype(bool)
    got = lm.layers[0] == 1 if three_d else lm.layers[0][:, 7] == 1
    assert expected.sum() > 10 and np.array_equal(got, expected)
    if not three_d:
        assert np.count_nonzero(lm.layers[0]) == expected.sum()


def test_bucket_fill_without_image_fills_the_clicked_label_region():
    _, lm = make_map(shape=(1, 7, 7))
    lm.layers[0][0, 1:6, 1:6] = 2  # a ring of label 2 around background
    lm.layers[0][0, 2:5, 2:5] = 0
    ops.flood_fill(lm, EditHistory(), 1, Plane.AXIAL, 0, (3, 3))
    assert voxels(lm.layers[0] == 1) == {(0, y, x) for y in range(2, 5) for x in range(2, 5)}
    with pytest.raises(ValueError, match="outside"):
        ops.flood_fill(lm, EditHistory(), 1, Plane.AXIAL, 0, (30, 3))


def test_polygon_fill_includes_centres_inside_and_on_the_outline():
    _, lm = make_map(shape=(2, 10, 10))
    ops.polygon_fill(lm, EditHistory(), 1, Plane.AXIAL, 1, [(1, 1), (1, 4), (3, 4), (3, 1)])
    assert voxels(lm.layers[0]) == {(1, r, c) for r in range(1, 4) for c in range(1, 5)}
    lm.layers[0][:] = 0
    ops.polygon_fill(lm, EditHistory(), 1, Plane.AXIAL, 0, [(0, 0), (0, 4), (4, 0)])
    assert voxels(lm.layers[0]) == {(0, r, c) for r in range(5) for c in range(5) if r + c <= 4}


def test_polygon_fill_handles_concave_lassos_and_coronal_planes():
    volume, lm = make_map(shape=(8, 6, 8), direction=np.diag([1.0, 1.0, -1.0]))
    # A "U": the notch (rows 0-2, col 3) is outside.
    u_shape = [(0, 1), (0, 2.5), (3, 2.5), (3, 3.5), (0, 3.5), (0, 5), (5, 5), (5, 1)]
    ops.polygon_fill(lm, EditHistory(), 1, Plane.CORONAL, 2, u_shape)
    shown = extract_slice(volume, Plane.CORONAL, 2, lm.layers[0])
    expected = {(r, c) for r in range(6) for c in range(1, 6)} - {(0, 3), (1, 3), (2, 3)}
    assert voxels(shown) == expected
    assert np.count_nonzero(lm.layers[0]) == len(expected)
    with pytest.raises(ValueError, match="3 vertices"):
        ops.polygon_fill(lm, EditHistory(), 1, Plane.CORONAL, 2, [(0, 0), (1, 1)])


def test_bad_slice_index_and_radius_raise():
    _, lm = make_map()
    with pytest.raises(ValueError, match="outside 0..4"):
        ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 5, (1, 1), 1.0)
    with pytest.raises(ValueError, match="radius"):
        ops.brush(lm, EditHistory(), 1, Plane.AXIAL, 0, (1, 1), -1.0)
