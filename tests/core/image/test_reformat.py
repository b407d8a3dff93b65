"""Axial/coronal/sagittal slices: radiological orientation, labels and crosshair mapping.

Volumes hold np.arange values, so every voxel is unique and a slice pixel names its voxel. The
expected screen directions are restated here from the radiological convention and checked in
patient (LPS) millimetres through `Volume.voxel_to_world`, independently of the module's tables.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from dicom_testing import rotation

from medgui.core.image.reformat import (
    Plane,
    extract_slice,
    normal_axis,
    orientation_labels,
    plane_for_axis,
    slice_geometry,
    slice_pixel_to_voxel,
    voxel_to_slice_pixel,
)
from medgui.core.image.volume import Volume

SHAPE_ZYX = (4, 5, 6)
SPACING = (0.5, 0.8, 2.5)
# Screen down and screen right, in LPS, for each plane (x = L, y = P, z = S).
DOWN = {Plane.AXIAL: (0, 1, 0), Plane.CORONAL: (0, 0, -1), Plane.SAGITTAL: (0, 0, -1)}
RIGHT = {Plane.AXIAL: (1, 0, 0), Plane.CORONAL: (1, 0, 0), Plane.SAGITTAL: (0, 1, 0)}
NORMAL = {Plane.AXIAL: (0, 0, 1), Plane.CORONAL: (0, 1, 0), Plane.SAGITTAL: (1, 0, 0)}


def _volume(direction, shape=SHAPE_ZYX) -> Volume:
    array = np.arange(np.prod(shape)).reshape(shape)
    return Volume(array, spacing_mm=SPACING, origin=(10, -20, 30), direction=direction)


# Columns are the LPS directions of i, j, k.
SAGITTAL_ACQUIRED = np.column_stack([(0, 1, 0), (0, 0, -1), (-1, 0, 0)])  # IOP 0\1\0\0\0\-1
CORONAL_ACQUIRED = np.column_stack([(1, 0, 0), (0, 0, -1), (0, 1, 0)])  # IOP 1\0\0\0\0\-1
DIRECTIONS = {
    "axial": np.eye(3),
    "sagittal": SAGITTAL_ACQUIRED,
    "coronal": CORONAL_ACQUIRED,
    "nifti_ras": np.diag([-1.0, -1.0, 1.0]),
    "feet_first": np.diag([1.0, 1.0, -1.0]),
    "oblique_30z": rotation(0, 0, 30),
    "oblique_3axes": rotation(20, -15, 35),
}
CASES = [(name, plane) for name in DIRECTIONS for plane in Plane]


def _n_slices(volume: Volume, plane: Plane) -> int:
    return volume.array.shape[2 - normal_axis(volume, plane)]


@pytest.mark.parametrize("name, plane", CASES)
def test_slices_are_radiologically_oriented_in_patient_space(name, plane):
    volume = _volume(DIRECTIONS[name])
    world = lambda *ijk: volume.voxel_to_world(ijk)  # noqa: E731
    for index in range(_n_slices(volume, plane)):
        image = extract_slice(volume, plane, index)
        assert np.shares_memory(image, volume.array)
        rows, cols = image.shape
        for r, c in itertools.product(range(rows), range(cols)):
            i, j, k = slice_pixel_to_voxel(volume, plane, index, r, c)
            assert image[r, c] == volume.array[k, j, i]
        origin = world(*slice_pixel_to_voxel(volume, plane, index, 0, 0))
        step_down = world(*slice_pixel_to_voxel(volume, plane, index, 1, 0)) - origin
        step_right = world(*slice_pixel_to_voxel(volume, plane, index, 0, 1)) - origin
        assert np.dot(step_down, DOWN[plane]) > 0
        assert np.dot(step_right, RIGHT[plane]) > 0
        row_mm, col_mm, n = slice_geometry(volume, plane)
        assert (row_mm, col_mm) == pytest.approx(
            (np.linalg.norm(step_down), np.linalg.norm(step_right))
        )
        assert n == _n_slices(volume, plane)


@pytest.mark.parametrize("name", DIRECTIONS)
def test_each_plane_cuts_across_the_index_axis_closest_to_its_normal(name):
    volume = _volume(DIRECTIONS[name])
    axes = [normal_axis(volume, plane) for plane in Plane]
    assert sorted(axes) == [0, 1, 2]
    for plane in Plane:
        alignment = np.abs(NORMAL[plane] @ volume.direction)
        assert normal_axis(volume, plane) == int(np.argmax(alignment))
        assert plane_for_axis(volume, normal_axis(volume, plane)) is plane


def test_axial_acquisition_slices_by_hand():
    volume = _volume(np.eye(3))
    a = volume.array
    np.testing.assert_array_equal(extract_slice(volume, Plane.AXIAL, 2), a[2])
    np.testing.assert_array_equal(extract_slice(volume, Plane.CORONAL, 3), a[:, 3, :][::-1])
    np.testing.assert_array_equal(extract_slice(volume, Plane.SAGITTAL, 1), a[:, :, 1][::-1])
    assert slice_geometry(volume, Plane.AXIAL) == (0.8, 0.5, 4)
    assert slice_geometry(volume, Plane.CORONAL) == (2.5, 0.5, 5)
    assert slice_geometry(volume, Plane.SAGITTAL) == (2.5, 0.8, 6)
    assert [plane_for_axis(volume, axis) for axis in (0, 1, 2)] == [
        Plane.SAGITTAL,
        Plane.CORONAL,
        Plane.AXIAL,
    ]


def test_sagittal_acquisition_slices_by_hand():
    volume = _volume(SAGITTAL_ACQUIRED)
    a = volume.array
    # Natively sagittal: rows already run down (I), columns toward P.
    np.testing.assert_array_equal(extract_slice(volume, Plane.SAGITTAL, 3), a[3])
    # Axial cuts across j; rows are i (toward P), columns are k reversed (k runs toward R).
    np.testing.assert_array_equal(extract_slice(volume, Plane.AXIAL, 2), a[:, 2, :].T[:, ::-1])
    np.testing.assert_array_equal(extract_slice(volume, Plane.CORONAL, 4), a[:, :, 4][::-1].T)
    assert [plane_for_axis(volume, axis) for axis in (0, 1, 2)] == [
        Plane.CORONAL,
        Plane.AXIAL,
        Plane.SAGITTAL,
    ]
    assert slice_geometry(volume, Plane.AXIAL) == (0.5, 2.5, 5)


EXPECTED_LABELS = {
    ("axial", Plane.AXIAL): ("R", "L", "A", "P"),
    ("axial", Plane.CORONAL): ("R", "L", "S", "I"),
    ("axial", Plane.SAGITTAL): ("A", "P", "S", "I"),
    # The same anatomy whatever the acquisition: labels are a property of the display.
    ("sagittal", Plane.AXIAL): ("R", "L", "A", "P"),
    ("nifti_ras", Plane.CORONAL): ("R", "L", "S", "I"),
    ("feet_first", Plane.SAGITTAL): ("A", "P", "S", "I"),
    # Rotated 30° about S: i points (cos 30, sin 30, 0) = mostly L, partly P.
    ("oblique_30z", Plane.AXIAL): ("RA", "LP", "AL", "PR"),
    ("oblique_30z", Plane.CORONAL): ("RA", "LP", "S", "I"),
    ("oblique_30z", Plane.SAGITTAL): ("AL", "PR", "S", "I"),
}


@pytest.mark.parametrize("key", EXPECTED_LABELS)
def test_orientation_labels(key):
    name, plane = key
    labels = orientation_labels(_volume(DIRECTIONS[name]), plane)
    left, right, top, bottom = EXPECTED_LABELS[key]
    assert labels == {"left": left, "right": right, "top": top, "bottom": bottom}


def test_small_obliquity_keeps_single_letters():
    # sin 10° = 0.17 is under the 0.25 threshold; sin 20° = 0.34 is over it.
    assert orientation_labels(_volume(rotation(0, 0, 10)), Plane.AXIAL)["right"] == "L"
    assert orientation_labels(_volume(rotation(0, 0, 20)), Plane.AXIAL)["right"] == "LP"


@pytest.mark.parametrize(
    "flip_h, flip_v, rotate", itertools.product([False, True], [False, True], [0, 90, 180, 270])
)
def test_labels_follow_flips_then_clockwise_rotation(flip_h, flip_v, rotate):
    volume = _volume(DIRECTIONS["oblique_30z"])
    index = 1
    rows, cols = extract_slice(volume, Plane.AXIAL, index).shape
    # The LPS position of every slice pixel, transformed the way the screen shows it.
    grid = np.array(
        [
            [
                volume.voxel_to_world(slice_pixel_to_voxel(volume, Plane.AXIAL, index, r, c))
                for c in range(cols)
            ]
            for r in range(rows)
        ]
    )
    if flip_h:
        grid = grid[:, ::-1]
    if flip_v:
        grid = grid[::-1]
    grid = np.rot90(grid, k=-rotate // 90)  # negative k: clockwise
    right = grid[0, 1] - grid[0, 0]
    down = grid[1, 0] - grid[0, 0]
    labels = orientation_labels(volume, Plane.AXIAL, flip_h=flip_h, flip_v=flip_v, rotate=rotate)
    letters = {0: "LR", 1: "PA", 2: "SI"}
    for edge, vector in (("right", right), ("left", -right), ("bottom", down), ("top", -down)):
        axis = int(np.argmax(np.abs(vector)))
        assert labels[edge][0] == letters[axis][0 if vector[axis] > 0 else 1], edge


@pytest.mark.parametrize("name, plane", CASES)
def test_pixel_voxel_round_trip(name, plane):
    volume = _volume(DIRECTIONS[name])
    for ijk in itertools.product(*(range(n) for n in volume.array.shape[2::-1])):
        index, row, col = voxel_to_slice_pixel(volume, plane, ijk)
        assert slice_pixel_to_voxel(volume, plane, index, row, col) == ijk
    # Continuous positions (a mouse between pixel centres) map back exactly too.
    index, row, col = voxel_to_slice_pixel(volume, plane, (1.25, 2.5, 0.75))
    assert slice_pixel_to_voxel(volume, plane, index, row, col) == pytest.approx((1.25, 2.5, 0.75))


@pytest.mark.parametrize("name", ["axial", "sagittal", "oblique_3axes"])
def test_click_in_one_plane_shows_the_same_voxel_in_the_others(name):
    volume = _volume(DIRECTIONS[name])
    for plane in Plane:
        image = extract_slice(volume, plane, 2)
        for r, c in [(0, 0), (1, 3), (image.shape[0] - 1, image.shape[1] - 1)]:
            ijk = slice_pixel_to_voxel(volume, plane, 2, r, c)
            for other in Plane:
                index, row, col = voxel_to_slice_pixel(volume, other, ijk)
                assert extract_slice(volume, other, index)[row, col] == image[r, c]


def test_label_map_colour_and_bad_input():
    volume = _volume(SAGITTAL_ACQUIRED)
    labels = (volume.array % 3).astype(np.uint8)
    np.testing.assert_array_equal(
        extract_slice(volume, Plane.AXIAL, 1, array=labels),
        extract_slice(volume, Plane.AXIAL, 1) % 3,
    )
    with pytest.raises(ValueError, match="grid"):
        extract_slice(volume, Plane.AXIAL, 1, array=labels[:-1])
    for index in (-1, _n_slices(volume, Plane.AXIAL)):
        with pytest.raises(IndexError, match="axial"):
            extract_slice(volume, Plane.AXIAL, index)
    with pytest.raises(TypeError):
        extract_slice(volume, Plane.AXIAL, 1.5)
    with pytest.raises(ValueError):
        orientation_labels(volume, Plane.AXIAL, rotate=45)
    with pytest.raises(ValueError):
        plane_for_axis(volume, 3)

    rgb = Volume(np.arange(4 * 5 * 6 * 3).reshape(4, 5, 6, 3))
    coronal = extract_slice(rgb, Plane.CORONAL, 2)
    assert coronal.shape == (4, 6, 3)
    np.testing.assert_array_equal(coronal, rgb.array[::-1, 2])
