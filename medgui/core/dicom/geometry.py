"""From the headers of a DICOM series to the geometry of the volume(s) it can make.

Slices are ordered by their position along the slice normal (never by InstanceNumber or file
name). Anything that keeps a series from being one regular stack (localizers, mixed sizes or
orientations, gaps, uneven spacing, gantry tilt, repeated positions) is detected here and named
in a warning; the plan still describes the truest volume that can be built.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from medgui.core.dicom.instance import InstanceHeader

# Relative spacing deviation tolerated before a stack counts as uneven (scanner rounding of
# positions to 0.01 mm is common, so exact equality would flag almost every series).
SPACING_TOLERANCE = 0.02
# In-plane drift per slice (mm) above which the stack is treated as sheared (gantry tilt).
SHEAR_TOLERANCE_MM = 0.01
# Filling gaps or resampling may at most triple the number of slices; beyond that the stack is
# sparse (a few key images) and is shown as acquired, with a warning.
SPARSE_FACTOR = 3


@dataclass(frozen=True)
class SliceRef:
    """One 2-D frame: which file, which frame in it, and where it lies."""

    header: InstanceHeader
    frame: int
    position: tuple[float, float, float] | None


@dataclass
class SlicePlan:
    """How to assemble one volume: slice k comes from `slices[k]` (None: a missing slice)."""

    slices: list[SliceRef | None]
    origin: tuple[float, float, float]
    direction: np.ndarray
    spacing_mm: tuple[float, float, float]
    warnings: list[str] = field(default_factory=list)
    # Set when spacing is uneven: distance of each acquired slice along the stack axis, to be
    # resampled onto the regular grid of `spacing_mm[2]`.
    resample_from_mm: list[float] | None = None
    frames_are_time: bool = False
    # What the in-plane spacing measures: "patient" (PixelSpacing), "detector" (a projection
    # image's ImagerPixelSpacing) or "pixels" (none usable: 1 mm assumed).
    spacing_source: str = "patient"
    # Whether `direction` is the patient's (ImageOrientationPatient), not an assumed axial one.
    oriented: bool = True

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        first = next(s for s in self.slices if s is not None).header
        n = len(self.slices) if self.resample_from_mm is None else self.regular_count
        return (n, first.rows, first.columns)

    @property
    def regular_count(self) -> int:
        if self.resample_from_mm is None:
            return len(self.slices)
        extent = self.resample_from_mm[-1] - self.resample_from_mm[0]
        return int(round(extent / self.spacing_mm[2])) + 1


def expand_frames(headers: list[InstanceHeader]) -> list[SliceRef]:
    """One `SliceRef` per frame, with per-frame positions where the object carries them."""
    refs = []
    for h in headers:
        for f in range(max(h.number_of_frames, 1)):
            if h.frame_positions and f < len(h.frame_positions):
                position = tuple(h.frame_positions[f])
            elif h.number_of_frames <= 1 and h.image_position is not None:
                position = tuple(h.image_position)
            else:
                position = None
            refs.append(SliceRef(h, f, position))
    return refs


def group_by_geometry(refs: list[SliceRef]) -> list[list[SliceRef]]:
    """Consistent stacks (same orientation, size, pixel spacing), the largest first."""
    groups: dict[tuple, list[SliceRef]] = defaultdict(list)
    for ref in refs:
        groups[ref.header.geometry_key].append(ref)
    return sorted(groups.values(), key=len, reverse=True)


def describe_difference(main: list[SliceRef], other: list[SliceRef]) -> str:
    a, b = main[0].header, other[0].header
    if (a.rows, a.columns) != (b.rows, b.columns):
        return f"size {b.columns}×{b.rows} instead of {a.columns}×{a.rows}"
    if a.geometry_key[0] != b.geometry_key[0]:
        return "a different orientation (localizer or another plane)"
    return "a different pixel spacing"


def _usable(spacing) -> bool:
    # Real files carry PixelSpacing 0\0 (RG1_UNCR.dcm in pydicom-data): a grid needs sizes > 0.
    return spacing is not None and all(np.isfinite(v) and v > 0 for v in spacing)


def _pixel_spacing(h: InstanceHeader, warnings: list[str]) -> tuple[tuple[float, float], str]:
    """(row, col) spacing in mm and what it measures (`SlicePlan.spacing_source`)."""
    if _usable(h.pixel_spacing):
        return (h.pixel_spacing[0], h.pixel_spacing[1]), "patient"
    if _usable(h.imager_pixel_spacing):
        # PS3.3 C.8.11.4: the size at the detector, larger than in the patient by the
        # geometric magnification (source-to-detector over source-to-patient distance).
        warnings.append(
            "no PixelSpacing: ImagerPixelSpacing used; measurements are in mm at the detector "
            "(not corrected for magnification)"
        )
        return (h.imager_pixel_spacing[0], h.imager_pixel_spacing[1]), "detector"
    if h.pixel_spacing is not None:
        warnings.append(
            f"invalid PixelSpacing {h.pixel_spacing}: 1 mm pixels assumed; "
            "measurements are in pixels"
        )
    else:
        warnings.append("no PixelSpacing: 1 mm pixels assumed; measurements are in pixels")
    return (1.0, 1.0), "pixels"


def plan_stack(refs: list[SliceRef]) -> SlicePlan:
    """Order one geometrically consistent group of frames and work out its grid."""
    warnings: list[str] = []
    spacing, source = _pixel_spacing(refs[0].header, warnings)
    plan = _plan_stack(refs, spacing, warnings)
    plan.spacing_source = source
    return plan


def _plan_stack(refs: list[SliceRef], spacing, warnings: list[str]) -> SlicePlan:
    first = refs[0].header
    row_spacing, col_spacing = spacing
    axes = _orientation_axes(first.image_orientation)
    positioned = axes is not None and all(
        r.position is not None and np.all(np.isfinite(r.position)) for r in refs
    )
    if not positioned:
        return _unpositioned_plan(refs, (col_spacing, row_spacing), warnings, axes)

    row_dir, col_dir, normal = axes
    distance = {id(r): float(np.dot(r.position, normal)) for r in refs}
    ordered = sorted(refs, key=lambda r: (distance[id(r)], r.header.instance_number or 0, r.frame))
    ordered = _drop_repeated_positions(ordered, distance, warnings)
    dist = np.array([distance[id(r)] for r in ordered])
    origin = tuple(ordered[0].position)
    direction = np.column_stack([row_dir, col_dir, normal])
    if len(ordered) == 1:
        thickness = _thickness(first)
        return SlicePlan(
            ordered, origin, direction, (col_spacing, row_spacing, thickness), warnings
        )

    gaps = np.diff(dist)
    step = float(np.median(gaps))
    plan = SlicePlan(ordered, origin, direction, (col_spacing, row_spacing, step), warnings)
    _check_shear(plan, ordered, normal, dist)
    if np.all(np.abs(gaps - step) <= SPACING_TOLERANCE * step):
        return plan
    multiples = gaps / step
    fill = bool(
        np.all(np.abs(multiples - np.rint(multiples)) <= SPACING_TOLERANCE)
        and multiples.min() > 0.5
    )
    extent = float(dist[-1] - dist[0])
    regular = int(round(extent / (step if fill else float(gaps.min())))) + 1
    if regular > SPARSE_FACTOR * len(ordered):
        # A regular grid would be mostly invented slices (and could need gigabytes).
        plan.warnings.append(
            f"sparse slices: {len(ordered)} slices over {extent:.4g} mm with gaps of "
            f"{gaps.min():.3g} to {gaps.max():.3g} mm; stacked in order at the median "
            f"{step:.3g} mm: distances across slices are not true"
        )
        return plan
    if fill:
        _fill_missing(plan, ordered, np.rint(multiples).astype(int), dist)
    else:
        plan.resample_from_mm = list(dist - dist[0])
        plan.spacing_mm = (col_spacing, row_spacing, float(gaps.min()))
        plan.warnings.append(
            f"uneven slice spacing ({gaps.min():.3g} to {gaps.max():.3g} mm): resampled to a "
            f"regular {gaps.min():.3g} mm grid by linear interpolation between slices"
        )
    return plan


def _orientation_axes(orientation) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Unit row, column and normal directions, or None when ImageOrientationPatient is missing
    or degenerate (zero, parallel or non-finite vectors make no grid). Scanners round the
    cosines, so they are normalised rather than taken as they are."""
    if orientation is None or not np.all(np.isfinite(orientation)):
        return None
    row_dir = np.asarray(orientation[:3], float)
    col_dir = np.asarray(orientation[3:], float)
    normal = np.cross(row_dir, col_dir)
    lengths = (np.linalg.norm(row_dir), np.linalg.norm(col_dir), np.linalg.norm(normal))
    if min(lengths) < 1e-3:
        return None
    return row_dir / lengths[0], col_dir / lengths[1], normal / lengths[2]


def _thickness(h: InstanceHeader) -> float:
    value = h.slice_thickness
    return float(value) if value is not None and np.isfinite(value) and value > 0 else 1.0


def _unpositioned_plan(refs, spacing_xy, warnings, axes) -> SlicePlan:
    first = refs[0].header
    multi_frame = first.number_of_frames > 1
    thickness = _thickness(first)
    if multi_frame:
        warnings.append(
            f"{len(refs)} frames without per-frame positions: shown as a time series (cine)"
        )
    else:
        warnings.append(
            "no usable ImagePositionPatient/ImageOrientationPatient: slices ordered by "
            "InstanceNumber with an assumed axial geometry"
        )
    ordered = sorted(refs, key=lambda r: (r.header.instance_number or 0, r.frame, r.header.path))
    direction = np.eye(3) if axes is None else np.column_stack(axes)
    position = first.image_position
    origin = tuple(position) if position and np.all(np.isfinite(position)) else (0.0, 0.0, 0.0)
    plan = SlicePlan(ordered, origin, direction, (*spacing_xy, thickness), warnings)
    plan.frames_are_time = multi_frame
    plan.oriented = axes is not None
    return plan


def _drop_repeated_positions(ordered, distance, warnings):
    """Several images at one position are time points, echoes or duplicates: keep the first."""
    kept, repeats = [], 0
    for ref in ordered:
        if kept and abs(distance[id(ref)] - distance[id(kept[-1])]) < 1e-3:
            repeats += 1
            continue
        kept.append(ref)
    if repeats:
        per_position = (repeats + len(kept)) / len(kept)
        warnings.append(
            f"{repeats} images repeat a slice position (≈{per_position:.3g} per position: time "
            "points, echoes or duplicates); the first at each position is used"
        )
    return kept


def _check_shear(plan: SlicePlan, ordered, normal, dist) -> None:
    """A gantry-tilted stack steps sideways as well as along the normal: keep that true shape."""
    positions = np.array([r.position for r in ordered])
    total = positions[-1] - positions[0]
    in_plane = total - normal * (dist[-1] - dist[0])
    drift_per_slice = np.linalg.norm(in_plane) / (len(ordered) - 1)
    if drift_per_slice <= SHEAR_TOLERANCE_MM:
        return
    axis = total / np.linalg.norm(total)
    tilt = np.degrees(np.arccos(np.clip(abs(np.dot(axis, normal)), -1.0, 1.0)))
    plan.direction = plan.direction.copy()
    plan.direction[:, 2] = axis
    step = float(np.linalg.norm(total)) / (len(ordered) - 1)
    plan.spacing_mm = (plan.spacing_mm[0], plan.spacing_mm[1], step)
    plan.warnings.append(
        f"slices are sheared by {tilt:.3g}° (gantry tilt): the volume keeps its true, "
        "non-orthogonal geometry; resample before exporting to formats that need a grid"
    )


def _fill_missing(plan: SlicePlan, ordered, multiples: np.ndarray, dist) -> None:
    slices: list[SliceRef | None] = [ordered[0]]
    holes = []
    for ref, m, d in zip(ordered[1:], multiples, dist[:-1], strict=True):
        if m > 1:
            holes.append(f"{m - 1} between {d:.4g} and {d + m * plan.spacing_mm[2]:.4g} mm")
        slices.extend([None] * (int(m) - 1))
        slices.append(ref)
    plan.slices = slices
    missing = sum(s is None for s in slices)
    plan.warnings.append(
        f"{missing} missing slice(s) ({'; '.join(holes)}): left blank (lowest value) so that "
        "the rest keep their true positions"
    )


def plan_series(headers: list[InstanceHeader]) -> tuple[SlicePlan, list[list[SliceRef]]]:
    """Plan the main volume of a series; also return the groups that did not fit in it."""
    image_headers = [h for h in headers if h.kind == "image"]
    if not image_headers:
        raise ValueError("no image objects in this series")
    groups = group_by_geometry(expand_frames(image_headers))
    plan = plan_stack(groups[0])
    for other in groups[1:]:
        plan.warnings.append(
            f"{len(other)} image(s) with {describe_difference(groups[0], other)} were left out "
            "of this volume (listed as a separate part of the series)"
        )
    return plan, groups[1:]
