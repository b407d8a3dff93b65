"""Per-label statistics: voxel count, volume, image intensity inside, bounding box.

One pass per layer does every label at once: the labelled voxels' flat indices are grouped by
label with one stable radix sort of their (small integer) values, then counts and sums come
from `np.bincount` and minima, maxima and box edges from `reduceat` over the groups. No mask
per label is ever built, so a map with 100 labels costs about what a map with one does.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap

Triple = tuple[float, float, float]


@dataclass(frozen=True)
class LabelStats:
    """Statistics of one label. Intensity fields are None without an image or voxels; box
    fields are None for an empty label. SD is the population SD (ddof = 0).

    The box is given as its first and last voxel (i, j, k, inclusive), as the axis-aligned LPS
    box (mm) of those voxels' centres, and as its size along i, j, k in mm (voxel edges
    included: n voxels span n × spacing)."""

    value: int
    name: str
    layer: int
    voxel_count: int
    volume_ml: float
    mean: float | None = None
    sd: float | None = None
    min: float | None = None
    max: float | None = None
    bbox_ijk_min: tuple[int, int, int] | None = None
    bbox_ijk_max: tuple[int, int, int] | None = None
    bbox_lps_min_mm: Triple | None = None
    bbox_lps_max_mm: Triple | None = None
    extent_mm: Triple | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class _Raw:
    count: int
    box_zyx: tuple[tuple[int, int, int], tuple[int, int, int]]
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None


def _layer_raw(layer: np.ndarray, image: np.ndarray | None) -> dict[int, _Raw]:
    """Counts, boxes and intensity statistics of every nonzero value of one layer."""
    flat = layer.reshape(-1)
    where = np.flatnonzero(flat)
    if where.size == 0:
        return {}
    values = flat[where]
    # Stable, so each label's indices stay ascending: its first and last give the z range.
    order = np.argsort(values, kind="stable")
    where, values = where[order], values[order]
    counts = np.bincount(values)
    present = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[present]
    ends = starts + counts[present]
    _, ny, nx = layer.shape
    z = where // (ny * nx)
    y = (where // nx) % ny
    x = where % nx
    lows = [z[starts], np.minimum.reduceat(y, starts), np.minimum.reduceat(x, starts)]
    highs = [z[ends - 1], np.maximum.reduceat(y, starts), np.maximum.reduceat(x, starts)]
    means = sds = mins = maxs = None
    if image is not None:
        samples = image.reshape(-1)[where].astype(np.float64)
        sums = np.bincount(values, weights=samples)
        mean_of = np.zeros(counts.size)
        mean_of[present] = sums[present] / counts[present]
        # Two passes (mean, then squared deviations) keep the SD exact for large means.
        squares = np.bincount(values, weights=(samples - mean_of[values]) ** 2)
        means = mean_of[present]
        sds = np.sqrt(squares[present] / counts[present])
        mins = np.minimum.reduceat(samples, starts)
        maxs = np.maximum.reduceat(samples, starts)
    out = {}
    for n, value in enumerate(present):
        out[int(value)] = _Raw(
            int(counts[value]),
            (tuple(int(a[n]) for a in lows), tuple(int(a[n]) for a in highs)),
            None if means is None else float(means[n]),
            None if sds is None else float(sds[n]),
            None if mins is None else float(mins[n]),
            None if maxs is None else float(maxs[n]),
        )
    return out


def label_statistics(
    labelmap: LabelMap, image: Volume | np.ndarray | None = None
) -> list[LabelStats]:
    """Statistics of every label in the table (in table order, empty ones included), then of
    any value found in a layer but missing from the table. `image` (same grid, e.g. CT in HU)
    adds mean/SD/min/max inside each label."""
    array = None
    if image is not None:
        array = image.array if isinstance(image, Volume) else np.asarray(image)
        if array.shape != labelmap.shape_zyx:
            raise ValueError(
                f"image of shape {array.shape} is not on the label grid {labelmap.shape_zyx}"
            )
    grid = labelmap.as_volume(0)
    spacing = np.asarray(labelmap.spacing_mm)
    found = {
        (index, value): raw
        for index, layer in enumerate(labelmap.layers)
        for value, raw in _layer_raw(layer, array).items()
    }
    names = {(lb.layer, lb.value): lb.name for lb in labelmap.table.labels}
    keys = list(names) + sorted(k for k in found if k not in names)
    result = []
    for layer, value in keys:
        raw = found.get((layer, value))
        name = names.get((layer, value), f"value {value}")
        if raw is None:
            result.append(LabelStats(value, name, layer, 0, 0.0))
            continue
        low_ijk = tuple(reversed(raw.box_zyx[0]))
        high_ijk = tuple(reversed(raw.box_zyx[1]))
        corners = np.array(list(itertools.product(*zip(low_ijk, high_ijk, strict=True))))
        world = grid.voxel_to_world(corners)
        size = (np.asarray(high_ijk) - np.asarray(low_ijk) + 1) * spacing
        result.append(
            LabelStats(
                value=value,
                name=name,
                layer=layer,
                voxel_count=raw.count,
                volume_ml=raw.count * labelmap.voxel_volume_ml,
                mean=raw.mean,
                sd=raw.sd,
                min=raw.low,
                max=raw.high,
                bbox_ijk_min=low_ijk,
                bbox_ijk_max=high_ijk,
                bbox_lps_min_mm=tuple(float(v) for v in world.min(axis=0)),
                bbox_lps_max_mm=tuple(float(v) for v in world.max(axis=0)),
                extent_mm=tuple(float(v) for v in size),
            )
        )
    return result
