"""Resampling a sheared (gantry-tilt) volume onto an orthonormal grid keeps world positions."""

from __future__ import annotations

import numpy as np

from medgui.core.image.resample import is_orthonormal, resample_to_orthonormal
from medgui.core.image.volume import Volume


def _tilted(tilt_deg: float = 15.0) -> Volume:
    z, y, x = 12, 20, 24
    k, j, i = np.mgrid[0:z, 0:y, 0:x]
    # A linear ramp in world space survives linear interpolation exactly.
    t = np.radians(tilt_deg)
    direction = np.column_stack([[1, 0, 0], [0, 1, 0], [0, np.sin(t), np.cos(t)]])
    volume = Volume(np.zeros((z, y, x), np.float32), (1.0, 1.0, 2.0), (5.0, -3.0, 10.0), direction)
    world = volume.voxel_to_world(np.stack([i, j, k], -1).reshape(-1, 3))
    volume.array = (world @ np.array([0.5, 1.0, 2.0])).reshape(z, y, x).astype(np.float32)
    return volume


def test_orthonormal_volume_is_returned_unchanged():
    volume = Volume(np.zeros((3, 4, 5)))
    assert resample_to_orthonormal(volume) is volume


def test_sheared_volume_resamples_to_same_world_values():
    sheared = _tilted()
    assert not is_orthonormal(sheared.direction)
    grid = resample_to_orthonormal(sheared)
    assert is_orthonormal(grid.direction)
    assert np.isclose(grid.spacing_mm[2], 2.0 * np.cos(np.radians(15.0)))
    # Voxels well inside the original stack hold the world ramp's value at their position.
    nz, ny, nx = grid.shape_zyx
    checked = 0
    for ijk in [(nx // 2, ny // 2, nz // 2), (3, ny // 2, nz // 2), (nx // 2, ny // 3, nz // 2)]:
        world = grid.voxel_to_world(ijk)
        src = sheared.world_to_voxel(world)
        if np.all(src >= 0) and np.all(src <= np.array(sheared.shape_zyx[::-1]) - 1):
            expected = float(world @ np.array([0.5, 1.0, 2.0]))
            assert abs(grid.array[ijk[2], ijk[1], ijk[0]] - expected) < 1e-3
            checked += 1
    assert checked >= 2
    assert any("resampled" in w for w in grid.warnings)
