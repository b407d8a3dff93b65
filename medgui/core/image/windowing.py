"""Window/level: from modality values (HU, MR signal, ...) to 8-bit display grey levels.

The mapping is DICOM's linear VOI LUT function (PS3.3 C.11.2.1.2.1), so a window read from a
DICOM header shows exactly as on the scanner's console. Its linear ramp spans
``[center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2]``: ``width - 1`` units wide,
which is why width must be at least 1 (width 1 is a pure threshold at ``center - 0.5``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from medgui.core.image.volume import Volume

# Roughly how many voxels `default_window` looks at: enough for stable 1st/99th percentiles,
# small enough (~1 ms) that opening a 300-slice CT never waits on it.
_SAMPLE_TARGET = 1 << 18
_DEFAULT_PERCENTILES = (1.0, 99.0)


@dataclass(frozen=True)
class WindowLevel:
    """A DICOM window: `center` and `width` in modality units (width >= 1)."""

    center: float
    width: float

    def __post_init__(self) -> None:
        _check_window(self.center, self.width)
        # Stored as plain floats so that equality, hashing and JSON never see numpy scalars.
        object.__setattr__(self, "center", float(self.center))
        object.__setattr__(self, "width", float(self.width))


def _check_window(center: float, width: float) -> None:
    if not math.isfinite(center):
        raise ValueError(f"window center must be a finite number, got {center!r}")
    if not (math.isfinite(width) and width >= 1):
        raise ValueError(f"window width must be a finite number >= 1, got {width!r}")


# Order matters: the viewer binds keys 1..8 to these presets in this order.
CT_PRESETS: Mapping[str, WindowLevel] = MappingProxyType(
    {
        "brain": WindowLevel(40, 80),
        "subdural": WindowLevel(75, 215),
        "stroke": WindowLevel(40, 40),
        "lung": WindowLevel(-600, 1500),
        "mediastinum": WindowLevel(50, 350),
        "abdomen": WindowLevel(40, 400),
        "liver": WindowLevel(60, 150),
        "bone": WindowLevel(400, 1800),
    }
)


def preset_name(window: WindowLevel, modality: str) -> str | None:
    """The CT preset `window` is (e.g. "Abdomen" for W 400 L 40), or None: a CT-only name,
    since HU windows mean nothing on other modalities."""
    if modality.upper() != "CT":
        return None
    return next((name.capitalize() for name, w in CT_PRESETS.items() if w == window), None)


def window_to_uint8(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Map `values` through the DICOM linear window to grey levels 0..255 (same shape, uint8).

    Values at or below the window's bottom give 0, above its top 255, and in between
    ``((x - (c - 0.5)) / (w - 1) + 0.5) * 255`` rounded to nearest (halves up). NaN gives 0.
    Integer arrays go through a lookup table over their own min..max, which computes the same
    function once per distinct value, so both paths give identical output.
    """
    _check_window(center, width)
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(values.shape, np.uint8)
    # 64-bit integers could wrap in the index arithmetic below; they take the float path.
    if values.dtype.kind in "iu" and values.dtype.itemsize <= 4:
        # Range and lookup come from one private copy: a loader thread may still be writing
        # `values` (progressive display), and a range taken from it could miss new values.
        index = values.astype(np.intp)
        low, high = int(index.min()), int(index.max())
        # The table is never built bigger than the image it serves.
        if high - low < values.size:
            table = _linear_voi(np.arange(low, high + 1, dtype=np.float64), center, width)
            index -= low
            return np.take(table, index)
    return _linear_voi(values.astype(np.float64), center, width)


def window_table(dtype: np.dtype, center: float, width: float) -> np.ndarray | None:
    """The window as a lookup table over every value an 8- or 16-bit integer `dtype` (in native
    byte order) can hold, or None for other dtypes.

    The table is indexed by the stored bit pattern: ``table[values.view(f"u{itemsize}")]`` equals
    ``window_to_uint8(values, center, width)`` (the same function, computed once per possible
    value), so a display can window a slice with one lookup and rebuild the table only when the
    window changes.
    """
    _check_window(center, width)
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu" or dtype.itemsize > 2 or not dtype.isnative:
        return None
    patterns = np.arange(1 << (8 * dtype.itemsize), dtype=f"u{dtype.itemsize}")
    return _linear_voi(patterns.view(dtype).astype(np.float64), center, width)


def _linear_voi(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """The VOI LUT function on a float64 array that may be modified in place."""
    if width == 1:
        # The ramp has zero length: a threshold (the formula would divide by zero).
        return np.where(x > center - 0.5, 255, 0).astype(np.uint8)
    x -= center - 0.5
    x /= width - 1
    x += 0.5
    x *= 255.0
    # fmax/fmin, unlike clip, return the number when the other operand is NaN: NaN becomes 0.
    np.fmax(x, 0.0, out=x)
    np.fmin(x, 255.0, out=x)
    x += 0.5
    np.floor(x, out=x)
    return x.astype(np.uint8)


def default_window(volume: Volume) -> WindowLevel:
    """The window to open `volume` with.

    The header's WindowCenter/WindowWidth (the first pair when several are given) when present
    and valid; 8-bit colour shows unchanged; otherwise the window whose ramp runs exactly from the
    1st to the 99th percentile of a strided subsample of the voxels.
    """
    if volume.is_color and volume.array.dtype == np.uint8:
        # DICOM applies no VOI LUT to colour; this window is the identity on 0..255.
        return WindowLevel(128, 256)
    center = _first_number(volume.metadata.get("WindowCenter"))
    width = _first_number(volume.metadata.get("WindowWidth"))
    if center is not None and width is not None and width >= 1:
        return WindowLevel(center, width)
    return percentile_window(volume.array)


def percentile_window(
    array: np.ndarray, percentiles: tuple[float, float] = _DEFAULT_PERCENTILES
) -> WindowLevel:
    """The window whose ramp runs from the low to the high percentile of a subsample of `array`.

    A window's ramp is ``width - 1`` wide, so ``width = high - low + 1``; this makes the
    percentiles land exactly on grey levels 0 and 255 even for data spanning less than 1 unit.
    Non-finite values are ignored; an array without finite values gets the 0..255 identity.
    """
    sample = _subsample(array)
    if sample.dtype.kind == "f":
        sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return WindowLevel(128, 256)
    low, high = (float(p) for p in np.percentile(sample, percentiles))
    return WindowLevel(center=(low + high) / 2 + 0.5, width=high - low + 1)


def _subsample(array: np.ndarray) -> np.ndarray:
    """Every n-th pixel along each spatial axis (of a volume or a slice), ~`_SAMPLE_TARGET` in all.

    Striding reads a regular lattice through the whole volume (every slab is represented) and
    np.percentile then partitions the sample rather than sorting it.
    """
    n_axes = min(array.ndim, 3)
    n_spatial = int(np.prod(array.shape[:n_axes]))
    stride = max(1, math.ceil((n_spatial / _SAMPLE_TARGET) ** (1 / n_axes)))
    return np.ravel(array[(slice(None, None, stride),) * n_axes])


def _first_number(value: Any) -> float | None:
    """A header value (number, numeric string, or a list of them) as one finite float."""
    if isinstance(value, np.ndarray | Sequence) and not isinstance(value, str | bytes):
        value = value[0] if len(value) else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
