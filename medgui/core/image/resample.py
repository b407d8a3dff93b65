"""Resampling a volume onto an orthonormal grid (for gantry-tilted, sheared stacks).

NIfTI and most tools need orthonormal axes; a tilted CT keeps its true sheared geometry in
medgui, and is resampled only when it is written to such a format, as dcm2niix does.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from medgui.core.image.volume import Volume

ORTHONORMAL_TOLERANCE = 1e-4


def is_orthonormal(direction: np.ndarray) -> bool:
    return bool(np.allclose(direction.T @ direction, np.eye(3), atol=ORTHONORMAL_TOLERANCE))


def resample_to_orthonormal(volume: Volume, *, label: bool = False) -> Volume:
    """The volume on a grid with the same in-plane axes, the true slice normal as third axis,
    and the slice spacing measured along that normal; covers every original voxel.

    Linear interpolation for images, nearest neighbour for label maps (`label=True`). Voxels of
    the new grid outside the original stack take the lowest value of the volume.
    """
    if is_orthonormal(volume.direction) or volume.is_color:
        return volume
    row, col = volume.direction[:, 0], volume.direction[:, 1]
    normal = np.cross(row, col)
    normal /= np.linalg.norm(normal)
    target_dir = np.column_stack([row, col, normal])
    nz, ny, nx = volume.shape_zyx
    corners = np.array(
        [[i, j, k] for i in (0, nx - 1) for j in (0, ny - 1) for k in (0, nz - 1)], float
    )
    world = volume.voxel_to_world(corners)
    local = (world - np.asarray(volume.origin)) @ target_dir  # coordinates along the new axes
    step = abs(float(np.dot(volume.direction[:, 2], normal))) * volume.spacing_mm[2]
    spacing = np.array([volume.spacing_mm[0], volume.spacing_mm[1], step])
    low, high = local.min(axis=0), local.max(axis=0)
    size = np.floor((high - low) / spacing + 1e-6).astype(int) + 1
    origin = np.asarray(volume.origin) + target_dir @ low

    source = sitk.GetImageFromArray(volume.array)
    source.SetSpacing(volume.spacing_mm)
    source.SetOrigin(volume.origin)
    source.SetDirection(volume.direction.flatten().tolist())
    interpolator = sitk.sitkNearestNeighbor if label else sitk.sitkLinear
    result = sitk.Resample(
        source,
        [int(n) for n in size],
        sitk.Transform(),
        interpolator,
        origin.tolist(),
        spacing.tolist(),
        target_dir.flatten().tolist(),
        float(volume.array.min()),
        source.GetPixelID(),
    )
    warnings = [
        *volume.warnings,
        f"resampled from a sheared stack onto an orthonormal {step:.4g} mm grid",
    ]
    return Volume(
        sitk.GetArrayFromImage(result),
        spacing_mm=tuple(spacing),
        origin=tuple(origin),
        direction=target_dir,
        warnings=warnings,
        metadata=dict(volume.metadata),
    )
