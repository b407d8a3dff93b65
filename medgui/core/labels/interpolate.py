"""Shape-based interpolation of labels between annotated slices, previewed before it is kept.

Along a plane's normal, each label's annotated slices (those with any voxel of it) are taken in
order; every gap between two of them is filled from the signed distance maps of the two: on a
slice a fraction t of the way from slice a to slice b, a pixel is inside where
(1 - t)·d_a + t·d_b <= 0. The maps are in mm (pixel spacing honoured) and symmetric: outside, the
distance to the nearest pixel of the shape; inside, minus the distance to the nearest pixel
outside it. So the end slices are reproduced exactly and the shape morphs between them. Like
every distance-averaging method it needs the two ends to overlap: shapes that do not overlap
in-plane shrink toward nothing midway rather than sliding across.

`propose_interpolation` returns an `InterpolationProposal` (nothing is written); the UI shows it
with `preview_slice`, and `accept_interpolation` writes it as one undoable edit. A proposal only
claims unlabelled voxels: an interpolated guess never overwrites what the user drew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.labels.bbox import BBox, bbox_union, bounding_box, label_bbox
from medgui.core.labels.cleanup import distance_to_mask
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.ops import grid_of, normal_axis_zyx
from medgui.core.labels.undo import EditHistory, require_unlocked


@dataclass
class InterpolationProposal:
    """Label values to write inside `bbox` of `layer` (0 = nothing), filling gaps along array
    axis `axis`; `filled` lists, per label value, the slice indices it fills."""

    layer: int
    axis: int
    bbox: BBox | None
    values: np.ndarray
    filled: dict[int, list[int]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to fill."""
        return self.bbox is None

    @property
    def voxel_count(self) -> int:
        """Number of voxels the proposal would fill."""
        return int(np.count_nonzero(self.values))

    def preview_slice(self, labelmap: LabelMap, plane: Plane, index: int) -> np.ndarray:
        """The proposed values on slice `index` of any `plane`, oriented as
        `extract_slice` shows that slice (a read-only array; 0 where nothing is proposed)."""
        grid = grid_of(labelmap)
        normal = normal_axis_zyx(grid, plane)
        shape = labelmap.shape_zyx
        cut = np.zeros([n for ax, n in enumerate(shape) if ax != normal], self.values.dtype)
        if self.bbox is not None and self.bbox[normal].start <= index < self.bbox[normal].stop:
            local = np.take(self.values, index - self.bbox[normal].start, axis=normal)
            cut[tuple(s for ax, s in enumerate(self.bbox) if ax != normal)] = local
        # A zero-stride 3-D view of the one slice, so reformat's own orientation applies
        # without building a whole volume.
        whole = np.broadcast_to(np.expand_dims(cut, normal), shape)
        return extract_slice(grid, plane, index, array=whole)


def signed_distance(mask: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Symmetric signed distance (mm) of a 2-D mask: > 0 outside, < 0 inside."""
    return distance_to_mask(mask, spacing) - distance_to_mask(~mask, spacing)


def _label_pieces(labelmap: LabelMap, layer: np.ndarray, value: int, axis: int):
    """(slice index, in-plane box, mask, blended distance) for every gap slice of `value`."""
    bbox = label_bbox(labelmap, value)
    if bbox is None:
        return []
    crop = layer[bbox] == value
    in_plane = [ax for ax in range(3) if ax != axis]
    spacing = [labelmap.spacing_mm[::-1][ax] for ax in in_plane]
    other = tuple(a for a in range(3) if a != axis)
    annotated = np.flatnonzero(np.any(crop, axis=other))
    offset = bbox[axis].start
    pieces = []
    for a, b in zip(annotated[:-1], annotated[1:], strict=True):
        if b - a < 2:
            continue
        end_a, end_b = np.take(crop, a, axis=axis), np.take(crop, b, axis=axis)
        # Only the union box of the two ends can be inside (both distances are > 0 outside
        # it); a one-pixel margin keeps the distances exact inside it.
        su, sv = bounding_box((end_a | end_b)[None])[1:]
        pad = ((1, 1), (1, 1))
        d_a = signed_distance(np.pad(end_a[su, sv], pad), spacing)[1:-1, 1:-1]
        d_b = signed_distance(np.pad(end_b[su, sv], pad), spacing)[1:-1, 1:-1]
        box2d = (
            slice(bbox[in_plane[0]].start + su.start, bbox[in_plane[0]].start + su.stop),
            slice(bbox[in_plane[1]].start + sv.start, bbox[in_plane[1]].start + sv.stop),
        )
        for s in range(a + 1, b):
            t = (s - a) / (b - a)
            blended = (1 - t) * d_a + t * d_b
            pieces.append((int(s + offset), box2d, blended <= 0, blended))
    return pieces


def propose_interpolation(
    labelmap: LabelMap, plane: Plane, layer: int = 0, values: Sequence[int] | None = None
) -> InterpolationProposal:
    """Interpolate the labels `values` of `layer` (default: its unlocked labels) across the
    slices of `plane` between annotated ones. Writes nothing."""
    if not 0 <= layer < len(labelmap.layers):
        raise ValueError(f"layer {layer} does not exist (0..{len(labelmap.layers) - 1})")
    if values is None:
        values = [lb.value for lb in labelmap.table.on_layer(layer) if not lb.locked]
    for value in values:
        require_unlocked(labelmap, value)
        if labelmap.table.get(value).layer != layer:
            raise ValueError(f"label {value} is not on layer {layer}")
    array = labelmap.layers[layer]
    axis = normal_axis_zyx(grid_of(labelmap), plane)
    in_plane = [ax for ax in range(3) if ax != axis]
    pieces = {value: _label_pieces(labelmap, array, value, axis) for value in values}
    bbox = None
    for s, box2d, _, _ in (p for items in pieces.values() for p in items):
        box = [slice(s, s + 1)] * 3
        box[in_plane[0]], box[in_plane[1]] = box2d
        bbox = bbox_union(bbox, (box[0], box[1], box[2]))
    if bbox is None:
        return InterpolationProposal(layer, axis, None, np.zeros((0, 0, 0), array.dtype))
    out = np.zeros([s.stop - s.start for s in bbox], array.dtype)
    # Where two labels' proposals overlap, the one deeper inside its shape wins.
    best = np.full(out.shape, np.inf, np.float32)
    for value, items in pieces.items():
        for s, box2d, inside, blended in items:
            gbox = [slice(s, s + 1)] * 3
            gbox[in_plane[0]], gbox[in_plane[1]] = box2d
            local = tuple(
                slice(g.start - b.start, g.stop - b.start) for g, b in zip(gbox, bbox, strict=True)
            )
            inside3, blended3 = np.expand_dims(inside, axis), np.expand_dims(blended, axis)
            target, depth = out[local], best[local]
            wins = inside3 & (array[tuple(gbox)] == 0) & (blended3 < depth)
            target[wins] = value
            depth[wins] = blended3[wins]
    # Counted from the result, as a later label may take all of an earlier one's pixels.
    filled = {}
    for value in pieces:
        slices = np.flatnonzero(np.any(out == value, axis=tuple(in_plane)))
        if slices.size:
            filled[value] = [int(s) + bbox[axis].start for s in slices]
    return InterpolationProposal(layer, axis, bbox, out, filled)


def accept_interpolation(
    labelmap: LabelMap, history: EditHistory, proposal: InterpolationProposal
) -> BBox | None:
    """Write `proposal` as one undoable edit (still only into unlabelled voxels); returns the
    changed box."""
    if proposal.bbox is None:
        return None
    for value in proposal.filled:
        require_unlocked(labelmap, value)
    with history.edit(labelmap, proposal.layer, "Interpolate slices", proposal.bbox) as region:
        write = (proposal.values != 0) & (region.view == 0)
        region.view[write] = proposal.values[write]
    return region.changed_bbox
