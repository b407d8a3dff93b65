"""Shape, first-order and texture features on generated regions whose answers are known."""

import math

import numpy as np
import pytest

from medgui.core.tables.intensity import discretise, first_order, glcm_features
from medgui.core.tables.patient import age_years
from medgui.core.tables.shape import shape_features

SPACING = (0.8, 0.8, 2.0)  # x, y, z: anisotropic, as CT slices are


def _ellipsoid(semi_xyz, spacing=SPACING, shape=(48, 120, 120)):
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    centre = [(n - 1) / 2 for n in shape]
    r = (
        ((x - centre[2]) * spacing[0] / semi_xyz[0]) ** 2
        + ((y - centre[1]) * spacing[1] / semi_xyz[1]) ** 2
        + ((z - centre[0]) * spacing[2] / semi_xyz[2]) ** 2
    )
    return (r <= 1).astype(np.uint8)


def test_sphere_is_round_with_anisotropic_voxels():
    radius = 30.0
    found = shape_features(_ellipsoid((radius,) * 3), [1], SPACING)[1]
    assert found["sphericity"] == pytest.approx(1.0, abs=0.02)
    assert found["volume_mm3"] == pytest.approx(4 / 3 * math.pi * radius**3, rel=0.01)
    assert found["surface_mm2"] == pytest.approx(4 * math.pi * radius**2, rel=0.02)
    for axis in ("axis_major_mm", "axis_minor_mm", "axis_least_mm"):
        assert found[axis] == pytest.approx(2 * radius, rel=0.02)
    assert found["max_diameter_mm"] == pytest.approx(2 * radius, rel=0.03)
    assert found["elongation"] == pytest.approx(1.0, abs=0.01)


def test_box_volume_is_voxels_times_voxel_volume_and_shapes_order():
    box = np.zeros((20, 30, 30), np.uint8)
    box[2:12, 5:25, 5:10] = 1  # 10 × 20 × 5 voxels
    spacing = (0.7, 0.9, 2.5)
    found = shape_features(box, [1, 2], spacing)
    assert list(found) == [1]  # an absent label gives no row
    assert found[1]["volume_mm3"] == pytest.approx(10 * 20 * 5 * 0.7 * 0.9 * 2.5)
    cigar = shape_features(_ellipsoid((40, 10, 10)), [1], SPACING)[1]
    assert cigar["elongation"] == pytest.approx(0.25, abs=0.02)  # √(λ_minor/λ_major) = 10/40
    assert cigar["sphericity"] < 0.8
    assert cigar["axis_major_mm"] == pytest.approx(80, rel=0.03)


def test_first_order_matches_the_ibsi_formulas():
    values = np.array([0.0, 100.0] * 50)
    found = first_order(values, hounsfield=False)
    assert found["mean"] == 50 and found["sd"] == 50
    assert found["skewness"] == pytest.approx(0) and found["kurtosis"] == pytest.approx(-2)
    assert found["energy"] == pytest.approx(50 * 100.0**2)
    assert found["entropy"] == pytest.approx(1.0)  # two equally filled bins: one bit
    rng = np.random.default_rng(1)
    normal = rng.normal(40, 10, 200_000)
    found = first_order(normal, hounsfield=True)
    assert found["p90"] - found["p10"] == pytest.approx(2 * 1.2816 * 10, rel=0.02)
    assert abs(found["skewness"]) < 0.02 and abs(found["kurtosis"]) < 0.05


def test_discretisation_fixed_bin_size_for_hu_and_fixed_number_otherwise():
    hu = np.array([-10.0, 14.9, 15.0, 90.0])
    assert discretise(hu, hounsfield=True).tolist() == [1, 1, 2, 5]
    assert discretise(np.array([0.0, 0.5, 1.0]), hounsfield=False).tolist() == [1, 17, 32]


def test_glcm_of_stripes_and_of_a_flat_region():
    stripes = np.tile((np.arange(20) % 2) * 100.0, (3, 20, 1))
    mask = np.ones(stripes.shape, bool)
    mask[:, :, 0] = False
    mask[:, 10, :] = False  # an unlabelled row of bone inside the box: its pairs must not count
    stripes[:, 10, :] = 1000.0
    found = glcm_features(stripes, mask, hounsfield=True)  # bins 1 and 5 (25 HU each)
    # Per slice, two blocks of 10 and 9 rows × 19 columns: horizontal (342) and diagonal
    # (2 × 306) pairs differ by 4 levels, vertical ones (323) never.
    assert found["glcm_contrast"] == pytest.approx(16 * 954 / 1277)
    assert found["glcm_dissimilarity"] == pytest.approx(4 * 954 / 1277)
    flat = glcm_features(np.full((2, 10, 10), 40.0), np.ones((2, 10, 10), bool), True)
    assert flat["glcm_contrast"] == 0 and flat["glcm_homogeneity"] == 1
    assert flat["glcm_entropy"] == 0
    single = np.zeros((1, 5, 5), bool)
    single[0, 2, 2] = True
    assert math.isnan(glcm_features(np.zeros((1, 5, 5)), single, True)["glcm_contrast"])


def test_age_prefers_patient_age_then_dates():
    assert age_years("045Y", "19000101", "20240101") == 45
    assert age_years("006M", "", "") == pytest.approx(0.5)
    assert age_years("", "19700615", "20240614") == 53
    assert age_years("", "19700615", "20240615") == 54
    assert math.isnan(age_years("", "", "20240101"))
