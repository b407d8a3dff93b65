"""Rulers, angles and ROIs: numbers checked against values worked out by hand."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest

from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    RectangleROI,
    Ruler,
    measurement_from_dict,
    roi_mask,
    roi_statistics,
)
from medgui.core.image.reformat import Plane

WHERE = {"plane": Plane.AXIAL, "slice_index": 3}


def test_ruler_length_uses_row_and_column_spacing():
    # 6 rows × 0.5 mm = 3 mm down, 2 columns × 2 mm = 4 mm across: a 3-4-5 triangle.
    ruler = Ruler((1, 1), (7, 3), spacing_mm=(0.5, 2.0), **WHERE)
    assert ruler.length_mm == pytest.approx(5.0)
    assert Ruler((7, 3), (1, 1), spacing_mm=(0.5, 2.0), **WHERE).length_mm == pytest.approx(5.0)
    # Swapping the spacings measures the other hypotenuse: sqrt(12² + 1²).
    assert Ruler((1, 1), (7, 3), spacing_mm=(2.0, 0.5), **WHERE).length_mm == pytest.approx(
        math.sqrt(145)
    )


def test_angle_degrees():
    right = Angle((4, 0), (0, 0), (0, 3), spacing_mm=(0.5, 2.0), **WHERE)
    assert right.degrees == pytest.approx(90.0)
    # 45° in pixels, but rows are 2 mm and columns 1 mm: arms (2, 0) and (2, 1) mm.
    skewed = Angle((1, 0), (0, 0), (1, 1), spacing_mm=(2.0, 1.0), **WHERE)
    assert skewed.degrees == pytest.approx(math.degrees(math.atan(1 / 2)))
    assert skewed.degrees == pytest.approx(26.56505118)
    straight = Angle((5, 1), (5, 4), (5, 9), spacing_mm=(1.0, 1.0), **WHERE)
    assert straight.degrees == pytest.approx(180.0)
    assert math.isnan(Angle((5, 4), (5, 4), (1, 1), spacing_mm=(1, 1), **WHERE).degrees)


def _gradient(shape=(20, 30), row_step=0.0, col_step=0.0, base=100.0) -> np.ndarray:
    rows, cols = np.indices(shape)
    return base + row_step * rows + col_step * cols


def test_circle_on_constant_and_column_gradient():
    # Pixel centres with dr² + dc² <= 4: 1 + 3 + 5 + 3 + 1 = 13, by column offset -2..2.
    circle = EllipseROI((10, 15), (2, 2), spacing_mm=(0.5, 0.8), **WHERE)
    constant = roi_statistics(circle, np.full((20, 30), 42, np.int16))
    assert (constant.mean, constant.sd, constant.min, constant.max) == (42, 0, 42, 42)
    assert constant.n_pixels == 13
    assert constant.area_mm2 == pytest.approx(13 * 0.5 * 0.8)

    # 100 + 2·col: values 130 + 2·dc; Σdc² over the 13 pixels = 4·1 + 1·3 + 0·5 + 1·3 + 4·1 = 14.
    stats = roi_statistics(circle, _gradient(col_step=2))
    assert stats.mean == pytest.approx(130.0)
    assert stats.sd == pytest.approx(math.sqrt(4 * 14 / 13))
    assert (stats.min, stats.max) == (126.0, 134.0)


def test_anisotropic_ellipse_axes_are_rows_then_columns():
    # radii (1 row, 2 cols): dc = -2..2 on the centre row plus dr = ±1 on the centre column.
    ellipse = EllipseROI((10, 15), (1, 2), spacing_mm=(1.0, 1.0), **WHERE)
    across = roi_statistics(ellipse, _gradient(col_step=2))
    assert across.n_pixels == 7
    assert across.sd == pytest.approx(math.sqrt(4 * (4 + 1 + 0 + 1 + 4) / 7))
    down = roi_statistics(ellipse, _gradient(row_step=3))
    assert down.mean == pytest.approx(130.0)
    assert down.sd == pytest.approx(math.sqrt(9 * 2 / 7))


def test_ellipse_between_pixel_centres_and_at_the_slice_edge():
    # Centre between four pixels, radius 1: exactly those four centres (0.707 away) are inside.
    between = EllipseROI((10.5, 15.5), (1, 1), spacing_mm=(1, 1), **WHERE)
    assert np.argwhere(roi_mask(between, (20, 30))).tolist() == [
        [10, 15],
        [10, 16],
        [11, 15],
        [11, 16],
    ]
    # Only the quarter on the slice counts: (0,0) (0,1) (0,2) (1,0) (1,1) (2,0).
    corner = EllipseROI((0, 0), (2, 2), spacing_mm=(1, 1), **WHERE)
    assert roi_mask(corner, (20, 30)).sum() == 6
    empty = roi_statistics(
        EllipseROI((5, 5), (0, 3), spacing_mm=(1, 1), **WHERE), np.ones((20, 30))
    )
    assert empty.n_pixels == 0 and empty.area_mm2 == 0 and math.isnan(empty.mean)


def test_ellipse_mask_matches_a_point_by_point_test():
    rng = np.random.default_rng(5)
    for _ in range(20):
        center = tuple(rng.uniform(-3, 20, 2))
        radii = tuple(rng.uniform(0.3, 8, 2))
        roi = EllipseROI(center, radii, spacing_mm=(1, 1), **WHERE)
        expected = np.zeros((17, 23), bool)
        for r, c in itertools.product(range(17), range(23)):
            dr, dc = (r - center[0]) / radii[0], (c - center[1]) / radii[1]
            expected[r, c] = dr * dr + dc * dc <= 1
        np.testing.assert_array_equal(roi_mask(roi, (17, 23)), expected)


def test_rectangle_statistics_match_numpy_on_the_slice():
    rng = np.random.default_rng(2)
    values = rng.integers(-1000, 1000, size=(12, 10)).astype(np.int16)
    # Corners in any order; centres in rows 2.5..5 → 3, 4, 5 and cols 3..7.2 → 3..7.
    rectangle = RectangleROI((5, 7.2), (2.5, 3), spacing_mm=(0.7, 1.5), **WHERE)
    stats = roi_statistics(rectangle, values)
    region = values[3:6, 3:8].astype(float)
    assert stats.n_pixels == region.size == 15
    assert stats.mean == pytest.approx(region.mean())
    assert stats.sd == pytest.approx(region.std())
    assert (stats.min, stats.max) == (region.min(), region.max())
    assert stats.area_mm2 == pytest.approx(15 * 0.7 * 1.5)
    # Wholly above or left of the slice: nothing (negative stops must not wrap around).
    for corners in [((-10, 2), (-5, 6)), ((2, -9), (6, -4))]:
        outside = RectangleROI(*corners, spacing_mm=(1, 1), **WHERE)
        assert not roi_mask(outside, values.shape).any()


def test_bad_statistics_input():
    roi = RectangleROI((0, 0), (1, 1), spacing_mm=(1, 1), **WHERE)
    with pytest.raises(ValueError, match="2-D"):
        roi_statistics(roi, np.zeros((4, 4, 3)))
    with pytest.raises(TypeError):
        roi_mask(Ruler((0, 0), (1, 1), spacing_mm=(1, 1), **WHERE), (4, 4))


ALL_KINDS = [
    Ruler((1.5, 2), (3, 4.25), spacing_mm=(0.5, 0.6), plane=Plane.CORONAL, slice_index=7),
    Angle((0, 1), (2, 2), (3, 0), spacing_mm=(1, 1), plane=Plane.SAGITTAL, slice_index=0),
    EllipseROI((10, 12), (3, 4), spacing_mm=(0.7, 0.7), label="lesion 1", **WHERE),
    RectangleROI((1, 2), (8, 9), spacing_mm=(2, 1), label="bg", **WHERE),
]


@pytest.mark.parametrize("measurement", ALL_KINDS, ids=lambda m: m.KIND)
def test_json_round_trip(measurement):
    data = json.loads(json.dumps(measurement.to_dict()))
    assert data["type"] == measurement.KIND and data["uid"] == measurement.uid
    assert type(measurement).from_dict(data) == measurement
    assert measurement_from_dict(data) == measurement


def test_edits_keep_the_uid_and_labels_are_optional_in_json():
    ruler = ALL_KINDS[0]
    moved = dataclasses.replace(ruler, p1=(9, 9))
    assert moved.uid == ruler.uid and moved.p1 == (9.0, 9.0) and moved != ruler
    assert Ruler((0, 0), (1, 1), spacing_mm=(1, 1), **WHERE).uid != ruler.uid
    data = ruler.to_dict()
    del data["label"], data["uid"]
    assert measurement_from_dict(data).label == ""


def test_bad_measurements_are_refused_with_reasons():
    good = ALL_KINDS[0].to_dict()
    with pytest.raises(ValueError, match="unknown measurement type"):
        measurement_from_dict({**good, "type": "protractor"})
    with pytest.raises(ValueError, match="not a 'angle'"):
        Angle.from_dict(good)
    with pytest.raises(ValueError, match="missing p1"):
        measurement_from_dict({k: v for k, v in good.items() if k != "p1"})
    with pytest.raises(ValueError, match="spacing_mm"):
        Ruler((0, 0), (1, 1), spacing_mm=(0, 1), **WHERE)
    with pytest.raises(ValueError, match="p0"):
        Ruler((0, math.nan), (1, 1), spacing_mm=(1, 1), **WHERE)
    with pytest.raises(ValueError, match="p1"):
        Ruler((0, 0), (1, 2, 3), spacing_mm=(1, 1), **WHERE)
    with pytest.raises(ValueError, match="radii"):
        EllipseROI((0, 0), (-1, 1), spacing_mm=(1, 1), **WHERE)
    with pytest.raises(ValueError):
        Ruler((0, 0), (1, 1), spacing_mm=(1, 1), plane="oblique", slice_index=0)
    with pytest.raises(ValueError, match="slice_index"):
        Ruler((0, 0), (1, 1), spacing_mm=(1, 1), plane="axial", slice_index=-1)
