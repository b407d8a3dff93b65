"""Thick-slab projections: the maximum (MIP), minimum (MinIP) or mean of the slices around one,
across any of the three planes, oriented for display as `reformat.extract_slice` orients a slice.

A slab of thickness T mm around slice k holds the slices whose centres lie strictly within T/2
of slice k's centre along the plane's normal, so T means millimetres whatever the slice spacing
(10 mm is 5 slices at 2 mm, 9 at 1 mm), clipped at the volume's ends. One numpy reduction over
a view of the slab: no copy of the slab itself.
"""

from __future__ import annotations

import math

import numpy as np

from medgui.core.image.reformat import Plane, normal_axis, orient_cut
from medgui.core.image.volume import Volume

PROJECTIONS = ("mip", "minip", "mean")
PROJECTION_NAMES = {"mip": "MIP", "minip": "MinIP", "mean": "Mean"}
# What the keys step through (mm): thin slabs for vessels and nodules, thick ones for overviews.
SLAB_STEPS_MM = (2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0)
DEFAULT_SLAB_MM = 10.0


def check_projection(projection: str) -> str:
    """`projection` in lower case, or ValueError naming the ones there are."""
    name = str(projection).lower()
    if name not in PROJECTIONS:
        raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)}, got {projection!r}")
    return name


def check_thickness(thickness_mm: float) -> float:
    """`thickness_mm` as a float, or ValueError unless it is a positive finite number."""
    value = float(thickness_mm)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"slab thickness must be a positive number of mm, got {thickness_mm!r}")
    return value


def slab_range(volume: Volume, plane: Plane, index: int, thickness_mm: float) -> range:
    """The slice indices of `plane` that the slab of `thickness_mm` around slice `index` holds."""
    axis = normal_axis(volume, plane)
    spacing = volume.spacing_mm[axis]
    # Centres strictly within T/2: a centre exactly on the slab's face counts as outside.
    half = max(math.ceil(check_thickness(thickness_mm) / (2 * spacing) - 1e-9) - 1, 0)
    n = int(volume.array.shape[2 - axis])
    return range(max(index - half, 0), min(index + half + 1, n))


def slab_voxels(volume: Volume, plane: Plane, index: int, thickness_mm: float) -> int:
    """How many voxels a projection reads: what decides whether it may run on the GUI thread."""
    n_slices = len(slab_range(volume, plane, index, thickness_mm))
    across = volume.array.shape[2 - normal_axis(volume, plane)]
    return n_slices * (volume.array.size // across)


def slab_projection(
    volume: Volume,
    plane: Plane,
    index: int,
    thickness_mm: float,
    projection: str = "mip",
    array: np.ndarray | None = None,
) -> np.ndarray:
    """The `projection` ("mip", "minip" or "mean") of the slab of `thickness_mm` around slice
    `index` of `plane`, oriented as `extract_slice(volume, plane, index)` is. MIP and MinIP keep
    the volume's dtype; the mean is float32. `array` projects another array on the grid."""
    projection = check_projection(projection)
    source = volume.array if array is None else array
    n = int(source.shape[2 - normal_axis(volume, plane)])
    if not 0 <= index < n:
        raise IndexError(f"{plane.value} slice {index} is outside 0..{n - 1}")
    chosen = slab_range(volume, plane, index, thickness_mm)
    axis = 2 - normal_axis(volume, plane)
    cut: list[slice] = [slice(None)] * source.ndim
    cut[axis] = slice(chosen.start, chosen.stop)
    slab = source[tuple(cut)]
    if projection == "mip":
        reduced = slab.max(axis=axis)
    elif projection == "minip":
        reduced = slab.min(axis=axis)
    else:
        reduced = slab.mean(axis=axis, dtype=np.float32)
    return orient_cut(volume, plane, reduced)


def slab_label(projection: str, thickness_mm: float) -> str:
    """The overlay's words for a slab: "MIP 10 mm"."""
    return f"{PROJECTION_NAMES[check_projection(projection)]} {thickness_mm:g} mm"


def next_projection(projection: str | None) -> str | None:
    """The projection after `projection` in the cycle plain → MIP → MinIP → mean → plain."""
    cycle = (None, *PROJECTIONS)
    return cycle[(cycle.index(projection) + 1) % len(cycle)]


def step_thickness(thickness_mm: float, steps: int) -> float:
    """The thickness `steps` places along `SLAB_STEPS_MM` from `thickness_mm` (a thickness
    between two steps goes to the next one in the direction asked), kept within the steps."""
    if steps > 0:
        above = [s for s in SLAB_STEPS_MM if s > thickness_mm + 1e-9]
        return above[min(steps, len(above)) - 1] if above else SLAB_STEPS_MM[-1]
    below = [s for s in SLAB_STEPS_MM if s < thickness_mm - 1e-9]
    return below[max(len(below) + steps, 0)] if below else SLAB_STEPS_MM[0]
