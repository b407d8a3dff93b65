"""The `Volume`: voxels in modality units plus their place in patient (LPS) space.

Index and world conventions (the one place they are defined):

* ``array`` is indexed ``array[k, j, i]`` (slice, row, column), or ``array[k, j, i, c]`` for colour.
* ``spacing_mm``, ``origin`` and the columns of ``direction`` are in (i, j, k) order, as in ITK
  and DICOM: column 0 is the row direction (along i), column 1 the column direction (along j),
  column 2 the slice normal (along k).
* ``world = origin + direction @ (spacing_mm * (i, j, k))`` in millimetres, LPS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Volume:
    """A 3-D (or 3-D colour) image with explicit LPS geometry."""

    array: np.ndarray
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    # One entry per slice (k) for DICOM sources: the file each slice came from, and its frame.
    slice_sources: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.direction = np.asarray(self.direction, dtype=float).reshape(3, 3)
        self.spacing_mm = tuple(float(s) for s in self.spacing_mm)
        self.origin = tuple(float(o) for o in self.origin)
        if self.array.ndim not in (3, 4):
            raise ValueError(
                f"Volume array must be (z, y, x) or (z, y, x, c), got {self.array.shape}"
            )

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        """Number of slices, rows and columns."""
        return tuple(int(n) for n in self.array.shape[:3])

    @property
    def is_color(self) -> bool:
        return self.array.ndim == 4

    @property
    def modality(self) -> str:
        return str(self.metadata.get("Modality", ""))

    @property
    def affine_lps(self) -> np.ndarray:
        """4×4 matrix mapping homogeneous (i, j, k, 1) voxel indices to LPS millimetres."""
        affine = np.eye(4)
        affine[:3, :3] = self.direction * np.asarray(self.spacing_mm)[None, :]
        affine[:3, 3] = self.origin
        return affine

    def voxel_to_world(self, ijk: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """LPS position (mm) of voxel index (i, j, k); accepts an (N, 3) array too."""
        ijk = np.asarray(ijk, dtype=float)
        return ijk @ (self.direction * np.asarray(self.spacing_mm)).T + np.asarray(self.origin)

    def world_to_voxel(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Continuous voxel index (i, j, k) of an LPS position (mm); accepts (N, 3)."""
        xyz = np.asarray(xyz, dtype=float) - np.asarray(self.origin)
        inverse = np.linalg.inv(self.direction * np.asarray(self.spacing_mm))
        return xyz @ inverse.T

    @property
    def voxel_volume_ml(self) -> float:
        return float(np.prod(self.spacing_mm)) / 1000.0
