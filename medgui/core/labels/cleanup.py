"""Clean-up of one label: remove small islands, keep the largest component, fill holes, grow or
shrink by a distance in mm.

Each op works on the label's bounding box (plus the margin it needs), never on the whole map,
and is one undoable edit through `EditHistory.edit`. Grow and shrink use exact Euclidean
distance maps in mm (SimpleITK's Maurer transform with the voxel spacing), so anisotropic
voxels grow by the same millimetres along every axis.

Choices: ops that add voxels (fill holes, grow) only claim unlabelled voxels, so cleaning one
structure never eats a neighbour; the outside of the volume is not background for shrink (a
structure cut by the field of view keeps its cut face).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

from medgui.core.image.reformat import Plane
from medgui.core.labels.bbox import BBox, bbox_expand, label_bbox
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.ops import grid_of, normal_axis_zyx
from medgui.core.labels.undo import EditHistory, require_unlocked

# Relative slack on distance comparisons: a voxel exactly N mm away counts as within N mm.
_DISTANCE_SLACK = 1e-6


def _image(mask: np.ndarray, spacing_zyx: Sequence[float] | None = None) -> sitk.Image:
    image = sitk.GetImageFromArray(mask.astype(np.uint8))
    if spacing_zyx is not None:
        image.SetSpacing([float(s) for s in reversed(spacing_zyx)])
    return image


def distance_to_mask(mask: np.ndarray, spacing_zyx: Sequence[float]) -> np.ndarray:
    """Distance in mm from each pixel/voxel centre to the nearest centre where `mask` is True
    (0 on the mask; a very large number everywhere if the mask is empty). 2-D or 3-D."""
    # The Maurer map's positive side is exactly this distance; its negative side measures to
    # the contour instead, so it is not used.
    signed = sitk.SignedMaurerDistanceMap(
        _image(mask, spacing_zyx),
        insideIsPositive=False,
        squaredDistance=False,
        useImageSpacing=True,
    )
    return np.maximum(sitk.GetArrayFromImage(signed), 0.0)


def _components(mask: np.ndarray, fully_connected: bool) -> tuple[np.ndarray, np.ndarray]:
    """Connected-component labels of `mask` (0 = background) and each component's size."""
    labels = sitk.GetArrayFromImage(sitk.ConnectedComponent(_image(mask), fully_connected))
    return labels, np.bincount(labels.ravel())


def _label_region(labelmap: LabelMap, value: int, margin_mm: float = 0.0):
    """(layer index, box, mask of the label in the box) with a margin of `margin_mm`, or None
    if the label is empty."""
    require_unlocked(labelmap, value)
    bbox = label_bbox(labelmap, value)
    if bbox is None:
        return None
    spacing = labelmap.spacing_mm[::-1]
    margin = [math.ceil(margin_mm / s) + 1 if margin_mm > 0 else 0 for s in spacing]
    bbox = bbox_expand(bbox, margin, labelmap.shape_zyx)
    layer = labelmap.table.get(value).layer
    return layer, bbox, labelmap.layers[layer][bbox] == value


def remove_small_islands(
    labelmap: LabelMap,
    history: EditHistory,
    value: int,
    *,
    min_voxels: int | None = None,
    min_ml: float | None = None,
    fully_connected: bool = False,
) -> BBox | None:
    """Erase the connected parts of label `value` smaller than `min_voxels` voxels or smaller
    than `min_ml` millilitres (face connectivity unless `fully_connected`)."""
    if min_voxels is None and min_ml is None:
        raise ValueError("give min_voxels or min_ml")
    found = _label_region(labelmap, value)
    if found is None:
        return None
    layer, bbox, mask = found
    labels, sizes = _components(mask, fully_connected)
    small = np.zeros(sizes.size, dtype=bool)
    if min_voxels is not None:
        small |= sizes < min_voxels
    if min_ml is not None:
        small |= sizes * labelmap.voxel_volume_ml < min_ml
    small[0] = False
    with history.edit(labelmap, layer, "Remove small islands", bbox) as region:
        region.view[small[labels]] = 0
    return region.changed_bbox


def keep_largest_component(
    labelmap: LabelMap, history: EditHistory, value: int, *, fully_connected: bool = False
) -> BBox | None:
    """Erase every connected part of label `value` but the largest (the first in raster order
    on a tie)."""
    found = _label_region(labelmap, value)
    if found is None:
        return None
    layer, bbox, mask = found
    labels, sizes = _components(mask, fully_connected)
    sizes[0] = 0
    drop = (labels != int(np.argmax(sizes))) & mask
    with history.edit(labelmap, layer, "Keep largest component", bbox) as region:
        region.view[drop] = 0
    return region.changed_bbox


def _filled(mask: np.ndarray, fully_connected: bool) -> np.ndarray:
    image = sitk.BinaryFillhole(_image(mask), fullyConnected=fully_connected, foregroundValue=1)
    return sitk.GetArrayViewFromImage(image).astype(bool)


def fill_holes(
    labelmap: LabelMap,
    history: EditHistory,
    value: int,
    *,
    plane: Plane | None = None,
    fully_connected: bool = False,
) -> BBox | None:
    """Fill the holes of label `value`: background enclosed by it in 3-D, or, with `plane`,
    enclosed within each slice of that plane. Only unlabelled voxels are filled."""
    found = _label_region(labelmap, value)
    if found is None:
        return None
    layer, bbox, mask = found
    # The tight box suffices: background that escapes the label's box is not enclosed.
    if plane is None:
        filled = _filled(mask, fully_connected)
    else:
        normal = normal_axis_zyx(grid_of(labelmap), plane)
        filled = np.stack(
            [_filled(part, fully_connected) for part in np.moveaxis(mask, normal, 0)], axis=normal
        )
    with history.edit(labelmap, layer, "Fill holes", bbox) as region:
        region.view[filled & ~mask & (region.view == 0)] = value
    return region.changed_bbox


def grow_shrink(
    labelmap: LabelMap, history: EditHistory, value: int, distance_mm: float
) -> BBox | None:
    """Grow label `value` by `distance_mm` (> 0: claim unlabelled voxels whose centre lies
    within that distance of the label) or shrink it (< 0: erase label voxels within that
    distance of a voxel outside it)."""
    if not math.isfinite(distance_mm):
        raise ValueError(f"distance must be a finite number of mm, got {distance_mm!r}")
    if distance_mm == 0:
        return None
    reach = abs(distance_mm) * (1 + _DISTANCE_SLACK)
    found = _label_region(labelmap, value, abs(distance_mm))
    if found is None:
        return None
    layer, bbox, mask = found
    spacing = labelmap.spacing_mm[::-1]
    if distance_mm > 0:
        with history.edit(labelmap, layer, f"Grow {distance_mm:g} mm", bbox) as region:
            near = distance_to_mask(mask, spacing) <= reach
            region.view[near & ~mask & (region.view == 0)] = value
    else:
        with history.edit(labelmap, layer, f"Shrink {-distance_mm:g} mm", bbox) as region:
            near = distance_to_mask(~mask, spacing) <= reach
            region.view[near & mask] = 0
    return region.changed_bbox
