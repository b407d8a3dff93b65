"""A few key images far apart are stacked as acquired, never blown up into a mostly-blank grid."""

from __future__ import annotations

import numpy as np
from dicom_testing import ramp_volume, set_positions

from medgui.core import load_volume


def test_sparse_slices_are_stacked_with_a_warning(make_series):
    source, paths = make_series("sparse", ramp_volume(shape=(4, 16, 16)))
    set_positions(paths, [(0.0, 0.0, z) for z in (0.0, 1.0, 60.0, 200.0)])
    volume = load_volume(paths[0].parent)
    assert volume.shape_zyx[0] == 4
    assert any("sparse slices" in w and "not true" in w for w in volume.warnings), volume.warnings
    np.testing.assert_array_equal(volume.array, source.array)


def test_a_few_missing_slices_are_still_filled(make_series):
    _, paths = make_series("gap3", ramp_volume(shape=(10, 8, 8)))
    paths[4].unlink()
    volume = load_volume(paths[0].parent)
    assert volume.shape_zyx[0] == 10
    assert any("1 missing slice" in w for w in volume.warnings)
