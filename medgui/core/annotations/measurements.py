"""Rulers, angles and ROIs drawn on a slice, and the numbers they give.

A measurement lives on one slice of one plane and keeps its points in that slice's pixel
coordinates (row, col floats; pixel centres at integers, as `reformat.extract_slice` returns the
slice), together with the slice's pixel spacing. Millimetres are computed from the spacing with
rows and columns scaled separately, so anisotropic pixels measure correctly, and the stored points
stay valid whatever zoom, pan, flip or rotation the view shows them with.

Measurements are immutable values: an edit is `dataclasses.replace(m, p1=...)`, which keeps the
uid, so undo can hold the before and after values and the UI can track an item across edits.
"""

from __future__ import annotations

import math
import operator
import uuid
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from medgui.core.image.reformat import Plane

Point = tuple[float, float]


def _new_uid() -> str:
    return uuid.uuid4().hex


def _pair(name: str, value: Any) -> Point:
    """`value` as a (float, float) of finite numbers, or a ValueError naming the field."""
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be two numbers, got {value!r}") from error
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return a, b


def normalise_plane_slice(item) -> None:
    """Normalise the `plane` and `slice_index` fields of a frozen, on-a-slice dataclass, so that
    values read back from JSON (strings, lists) compare equal; a negative index is an error."""
    object.__setattr__(item, "plane", Plane(item.plane))
    index = operator.index(item.slice_index)
    if index < 0:
        raise ValueError(f"slice_index must be >= 0, got {index}")
    object.__setattr__(item, "slice_index", index)


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """Where a measurement lives: `plane`, `slice_index`, and the slice's pixel spacing
    (row_spacing_mm, col_spacing_mm); plus its `label` and a stable `uid`."""

    KIND: ClassVar[str] = ""
    # The (row, col) fields of the concrete shape, in the order they are drawn.
    POINT_FIELDS: ClassVar[tuple[str, ...]] = ()

    plane: Plane
    slice_index: int
    spacing_mm: Point
    label: str = ""
    uid: str = field(default_factory=_new_uid)

    def __post_init__(self) -> None:
        # Normalised here so that values read back from JSON (strings, lists) compare equal.
        normalise_plane_slice(self)
        spacing = _pair("spacing_mm", self.spacing_mm)
        if min(spacing) <= 0:
            raise ValueError(f"spacing_mm must be positive, got {spacing}")
        object.__setattr__(self, "spacing_mm", spacing)
        object.__setattr__(self, "label", str(self.label))
        for name in self.POINT_FIELDS:
            object.__setattr__(self, name, _pair(name, getattr(self, name)))

    def _mm(self, frm: Point, to: Point) -> Point:
        """The vector from `frm` to `to` in millimetres (rows, cols)."""
        row_mm, col_mm = self.spacing_mm
        return (to[0] - frm[0]) * row_mm, (to[1] - frm[1]) * col_mm

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict from which `from_dict` rebuilds an equal measurement."""
        data: dict[str, Any] = {
            "type": self.KIND,
            "uid": self.uid,
            "label": self.label,
            "plane": self.plane.value,
            "slice_index": self.slice_index,
            "spacing_mm": list(self.spacing_mm),
        }
        data.update({name: list(getattr(self, name)) for name in self.POINT_FIELDS})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Rebuild a measurement from `to_dict` output (ValueError if it is not one of this
        kind, or misses a required field; a missing label or uid gets the default)."""
        if data.get("type") != cls.KIND:
            raise ValueError(f"not a {cls.KIND!r} measurement: type {data.get('type')!r}")
        known = fields(cls)
        missing = [
            f.name
            for f in known
            if f.name not in data and f.default is MISSING and f.default_factory is MISSING
        ]
        if missing:
            raise ValueError(f"{cls.KIND} measurement is missing {', '.join(missing)}")
        return cls(**{f.name: data[f.name] for f in known if f.name in data})


@dataclass(frozen=True)
class Ruler(Measurement):
    """A straight line from `p0` to `p1`."""

    KIND: ClassVar[str] = "ruler"
    POINT_FIELDS: ClassVar[tuple[str, ...]] = ("p0", "p1")

    p0: Point
    p1: Point

    @property
    def length_mm(self) -> float:
        """Length in millimetres."""
        return math.hypot(*self._mm(self.p0, self.p1))


@dataclass(frozen=True)
class Angle(Measurement):
    """The angle at `vertex` between the arms toward `p0` and `p1`."""

    KIND: ClassVar[str] = "angle"
    POINT_FIELDS: ClassVar[tuple[str, ...]] = ("p0", "vertex", "p1")

    p0: Point
    vertex: Point
    p1: Point

    @property
    def degrees(self) -> float:
        """The angle in degrees (0..180), measured in millimetres (true for anisotropic pixels);
        NaN while an arm has zero length."""
        a = self._mm(self.vertex, self.p0)
        b = self._mm(self.vertex, self.p1)
        if a == (0.0, 0.0) or b == (0.0, 0.0):
            return math.nan
        cross = a[0] * b[1] - a[1] * b[0]
        dot = a[0] * b[0] + a[1] * b[1]
        # atan2 stays accurate near 0° and 180°, where acos of a normalised dot does not.
        return math.degrees(math.atan2(abs(cross), dot))


@dataclass(frozen=True)
class EllipseROI(Measurement):
    """An ellipse aligned with the slice axes: `center` (row, col), `radii` (rows, cols) in
    pixels."""

    KIND: ClassVar[str] = "ellipse"
    POINT_FIELDS: ClassVar[tuple[str, ...]] = ("center", "radii")

    center: Point
    radii: Point

    def __post_init__(self) -> None:
        super().__post_init__()
        if min(self.radii) < 0:
            raise ValueError(f"ellipse radii must be >= 0, got {self.radii}")


@dataclass(frozen=True)
class RectangleROI(Measurement):
    """A rectangle aligned with the slice axes between opposite corners (row, col), in any
    order."""

    KIND: ClassVar[str] = "rectangle"
    POINT_FIELDS: ClassVar[tuple[str, ...]] = ("corner0", "corner1")

    corner0: Point
    corner1: Point


_KINDS: dict[str, type[Measurement]] = {
    kind.KIND: kind for kind in (Ruler, Angle, EllipseROI, RectangleROI)
}


def length_units(metadata: dict[str, Any]) -> tuple[str, str]:
    """(length, area) units of measurements on an image, from what its pixel spacing measures
    (`metadata["spacing_source"]`, set by the DICOM loader): mm in the patient; mm at the
    detector for a projection image measured with ImagerPixelSpacing (larger than in the
    patient by the geometric magnification, PS3.3 C.8.11.4); pixels when there is none."""
    source = metadata.get("spacing_source", "patient")
    if source == "detector":
        return "mm at detector", "mm² at detector"
    if source == "pixels":
        return "px", "px²"
    return "mm", "mm²"


def measurement_from_dict(data: dict[str, Any]) -> Measurement:
    """Rebuild any measurement from its `to_dict` output, picking the class by its type."""
    kind = _KINDS.get(data.get("type"))
    if kind is None:
        raise ValueError(f"unknown measurement type {data.get('type')!r}")
    return kind.from_dict(data)


@dataclass(frozen=True)
class RoiStats:
    """Statistics of the slice values under an ROI (SD is the population SD, ddof = 0)."""

    mean: float
    sd: float
    min: float
    max: float
    area_mm2: float
    n_pixels: int


def _index_range(low: float, high: float, size: int) -> range:
    """Integer coordinates (pixel centres) in [low, high] that lie on the slice."""
    return range(max(math.ceil(low), 0), min(math.floor(high), size - 1) + 1)


def roi_mask(roi: EllipseROI | RectangleROI, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (rows, cols) mask of the pixels whose centres lie inside `roi` (edges included).

    Only the ROI's bounding box is evaluated, so a small ROI on a large slice is cheap. An ellipse
    with a zero radius covers no pixels.
    """
    mask = np.zeros(shape, dtype=bool)
    if isinstance(roi, EllipseROI):
        (center_row, center_col), (radius_row, radius_col) = roi.center, roi.radii
        if radius_row == 0 or radius_col == 0:
            return mask
        rows = _index_range(center_row - radius_row, center_row + radius_row, shape[0])
        cols = _index_range(center_col - radius_col, center_col + radius_col, shape[1])
        if rows and cols:
            dr = (np.asarray(rows, float)[:, None] - center_row) / radius_row
            dc = (np.asarray(cols, float)[None, :] - center_col) / radius_col
            mask[rows.start : rows.stop, cols.start : cols.stop] = dr**2 + dc**2 <= 1.0
    elif isinstance(roi, RectangleROI):
        (r0, c0), (r1, c1) = roi.corner0, roi.corner1
        rows = _index_range(min(r0, r1), max(r0, r1), shape[0])
        cols = _index_range(min(c0, c1), max(c0, c1), shape[1])
        if rows and cols:
            mask[rows.start : rows.stop, cols.start : cols.stop] = True
    else:
        raise TypeError(f"not an ROI: {type(roi).__name__}")
    return mask


def roi_statistics(roi: EllipseROI | RectangleROI, slice_values: np.ndarray) -> RoiStats:
    """Mean, SD, min, max, area and pixel count of the grey-level `slice_values` (the 2-D slice
    the ROI was drawn on, in modality units) inside `roi`. An empty ROI gives NaN statistics
    and zero area."""
    if slice_values.ndim != 2:
        raise ValueError(f"ROI statistics need a 2-D grey slice, got shape {slice_values.shape}")
    values = slice_values[roi_mask(roi, slice_values.shape)]
    n = int(values.size)
    area = n * roi.spacing_mm[0] * roi.spacing_mm[1]
    if n == 0:
        return RoiStats(math.nan, math.nan, math.nan, math.nan, 0.0, 0)
    values = values.astype(np.float64)
    return RoiStats(
        mean=float(values.mean()),
        sd=float(values.std()),
        min=float(values.min()),
        max=float(values.max()),
        area_mm2=area,
        n_pixels=n,
    )
