"""DICOM overlay planes (groups 6000–601E, PS3.3 C.9.2): one-bit graphics or ROIs stored beside
the image (annotations a scanner or another workstation burned in without touching the pixels),
read with pydicom's `overlay_array` and placed on the image's grid at their OverlayOrigin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from medgui.core.image.volume import Volume

_GROUPS = range(0x6000, 0x6020, 2)  # the 16 repeating groups an image may carry


@dataclass(frozen=True)
class OverlayPlane:
    """One overlay on one image: `mask` on the image's (rows, cols), its group and words."""

    group: int
    mask: np.ndarray  # bool (rows, cols)
    kind: str  # "G" graphics or "R" ROI
    description: str


def _placed(bits: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """`bits` (the overlay's own rows × cols) on an image of `shape`, with its first bit at the
    1-based (row, col) `origin` (which may lie outside the image: the part outside is cut)."""
    mask = np.zeros(shape, bool)
    top, left = origin[0] - 1, origin[1] - 1
    rows = slice(max(top, 0), min(top + bits.shape[0], shape[0]))
    cols = slice(max(left, 0), min(left + bits.shape[1], shape[1]))
    if rows.start < rows.stop and cols.start < cols.stop:
        mask[rows, cols] = bits[
            rows.start - top : rows.stop - top, cols.start - left : cols.stop - left
        ]
    return mask


def read_overlays(path: str | Path, frame: int = 0) -> list[OverlayPlane]:
    """The overlay planes of `frame` of the DICOM file at `path`; ValueError naming the file
    when one cannot be read."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        shape = (int(ds.Rows), int(ds.Columns))
        planes = []
        for group in _GROUPS:
            if (group, 0x0010) not in ds:
                continue
            bits = np.asarray(ds.overlay_array(group))
            if bits.ndim == 3:  # multi-frame overlay: its frames start at ImageFrameOrigin
                start = ds.get((group, 0x0051))
                first = int(start.value) - 1 if start is not None else 0
                if not 0 <= frame - first < bits.shape[0]:
                    continue
                bits = bits[frame - first]
            origin = tuple(int(v) for v in ds[group, 0x0050].value)
            kind, words = ds.get((group, 0x0040)), ds.get((group, 0x0022))
            planes.append(
                OverlayPlane(
                    group,
                    _placed(bits.astype(bool), origin, shape),
                    str(kind.value) if kind is not None else "G",
                    str(words.value) if words is not None else "",
                )
            )
        return planes
    except (OSError, ValueError, KeyError, AttributeError, TypeError, InvalidDicomError) as error:
        raise ValueError(f"{path}: could not read its overlay planes ({error})") from error


def volume_overlays(volume: Volume) -> dict[int, list[OverlayPlane]]:
    """The overlay planes of each slice (k) of a volume read from DICOM files; slices without
    any are left out. A file that cannot be read is skipped (its image loaded already)."""
    found: dict[int, list[OverlayPlane]] = {}
    for k, (path, frame) in enumerate(volume.slice_sources):
        try:
            planes = read_overlays(path, frame)
        except ValueError:
            continue
        if planes:
            found[k] = planes
    return found
