"""Boxes of (z, y, x) array indices: where an edit happened, and how boxes combine."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medgui.core.labels.labelmap import LabelMap

BBox = tuple[slice, slice, slice]


def bounding_box(mask: np.ndarray) -> BBox | None:
    """The tight box around the nonzero voxels of a 3-D `mask`, or None if there are none."""
    if mask.ndim != 3:
        raise ValueError(f"bounding_box needs a 3-D array, got shape {mask.shape}")
    box = []
    for axis in range(3):
        # Projections onto each axis: three passes of `any`, no index arrays of the voxels.
        others = tuple(a for a in range(3) if a != axis)
        present = np.flatnonzero(np.any(mask, axis=others))
        if present.size == 0:
            return None
        box.append(slice(int(present[0]), int(present[-1]) + 1))
    return box[0], box[1], box[2]


def full_box(shape_zyx: tuple[int, ...]) -> BBox:
    """The box covering a whole array of `shape_zyx`."""
    return slice(0, shape_zyx[0]), slice(0, shape_zyx[1]), slice(0, shape_zyx[2])


def bbox_union(a: BBox | None, b: BBox | None) -> BBox | None:
    """The smallest box holding both boxes (None counts as empty)."""
    if a is None or b is None:
        return a if b is None else b
    z, y, x = (slice(min(p.start, q.start), max(p.stop, q.stop)) for p, q in zip(a, b, strict=True))
    return z, y, x


def bbox_expand(bbox: BBox, margin_zyx: Sequence[int], shape: Sequence[int]) -> BBox:
    """`bbox` grown by `margin_zyx` voxels per axis, clipped to an array of `shape`."""
    z, y, x = (
        slice(max(0, s.start - int(m)), min(int(n), s.stop + int(m)))
        for s, m, n in zip(bbox, margin_zyx, shape, strict=True)
    )
    return z, y, x


def bbox_ijk(bbox: BBox) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The first and last voxel (i, j, k), inclusive, of an array (z, y, x) box."""
    z, y, x = bbox
    return (x.start, y.start, z.start), (x.stop - 1, y.stop - 1, z.stop - 1)


def label_bbox(labelmap: LabelMap, value: int) -> BBox | None:
    """The tight box of label `value`, or None if it has no voxels."""
    return bounding_box(labelmap.mask(value))
