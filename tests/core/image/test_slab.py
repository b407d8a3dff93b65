"""Thick-slab projections: which slices a slab of T mm holds, and MIP/MinIP/mean across each
plane, oriented as the plain slice is."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.image.reformat import Plane, extract_slice, voxel_to_slice_pixel
from medgui.core.image.slab import (
    next_projection,
    slab_label,
    slab_projection,
    slab_range,
    step_thickness,
)
from medgui.core.image.volume import Volume


def _volume(spacing=(1.0, 1.0, 1.0), shape=(40, 30, 20)) -> Volume:
    return Volume(np.zeros(shape, np.int16), spacing_mm=spacing)


@pytest.mark.parametrize("plane", list(Plane))
def test_a_bright_voxel_shows_in_the_mip_within_the_slab_and_not_outside(plane):
    volume = _volume()
    centre = (10, 15, 20)  # i, j, k
    axis = {Plane.SAGITTAL: 0, Plane.CORONAL: 1, Plane.AXIAL: 2}[plane]
    # 10 mm at 1 mm spacing holds the slices within ±4 of the centre (centres strictly inside
    # ±5 mm): a voxel 4 away shows, one 5 away does not.
    for offset, shown in ((4, True), (-4, True), (5, False), (-5, False)):
        volume.array[:] = 0
        ijk = list(centre)
        ijk[axis] += offset
        volume.array[ijk[2], ijk[1], ijk[0]] = 1000
        index, row, col = voxel_to_slice_pixel(volume, plane, tuple(centre))
        mip = slab_projection(volume, plane, int(index), 10.0, "mip")
        assert mip.shape == extract_slice(volume, plane, int(index)).shape
        assert bool(mip[int(row), int(col)] == 1000) is shown, (plane, offset)
        assert mip.max() == (1000 if shown else 0)


def test_thickness_is_in_mm_whatever_the_spacing():
    # 2 mm slices: 10 mm holds ±2 slices (±4 mm), not ±4 slices.
    volume = _volume(spacing=(0.5, 0.5, 2.0))
    assert slab_range(volume, Plane.AXIAL, 20, 10.0) == range(18, 23)
    volume.array[23, 5, 5] = 700  # 6 mm away: outside
    assert slab_projection(volume, Plane.AXIAL, 20, 10.0).max() == 0
    volume.array[22, 5, 5] = 500  # 4 mm away: inside
    assert slab_projection(volume, Plane.AXIAL, 20, 10.0)[5, 5] == 500
    # Across the 0.5 mm axis the same 10 mm is ±9 voxels.
    assert len(slab_range(volume, Plane.SAGITTAL, 10, 10.0)) == 19


def test_the_slab_is_clipped_at_the_volume_ends_and_thin_slabs_are_one_slice():
    volume = _volume()
    assert slab_range(volume, Plane.AXIAL, 1, 10.0) == range(0, 6)
    assert slab_range(volume, Plane.AXIAL, 39, 10.0) == range(35, 40)
    assert slab_range(volume, Plane.AXIAL, 7, 0.5) == range(7, 8)


def test_minip_and_mean():
    volume = _volume()
    volume.array[:] = 100
    volume.array[20, 3, 4] = -900
    volume.array[21, 3, 5] = 400
    minip = slab_projection(volume, Plane.AXIAL, 20, 3.0, "minip")
    np.testing.assert_array_equal(minip, np.minimum.reduce(volume.array[19:22]))
    mean = slab_projection(volume, Plane.AXIAL, 20, 3.0, "mean")
    assert mean.dtype == np.float32
    assert mean[3, 4] == pytest.approx((100 + 100 - 900) / 3)
    assert mean[3, 5] == pytest.approx(200)


def test_bad_projection_and_thickness_are_named():
    volume = _volume()
    with pytest.raises(ValueError, match="projection must be one of"):
        slab_projection(volume, Plane.AXIAL, 5, 10.0, "max")
    with pytest.raises(ValueError, match="positive"):
        slab_projection(volume, Plane.AXIAL, 5, 0.0)
    with pytest.raises(IndexError):
        slab_projection(volume, Plane.AXIAL, 40, 10.0)


def test_key_cycles_and_steps():
    assert [next_projection(p) for p in (None, "mip", "minip", "mean")] == [
        "mip", "minip", "mean", None,
    ]  # fmt: skip
    assert step_thickness(10.0, 1) == 15.0
    assert step_thickness(10.0, -1) == 5.0
    assert step_thickness(12.0, -1) == 10.0
    assert step_thickness(100.0, 1) == 100.0
    assert step_thickness(2.0, -1) == 2.0
    assert slab_label("mip", 10.0) == "MIP 10 mm"
    assert slab_label("minip", 2.5) == "MinIP 2.5 mm"
