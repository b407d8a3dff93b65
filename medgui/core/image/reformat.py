"""Axial, coronal and sagittal slices of a `Volume`, oriented for display.

Each plane is perpendicular to one index axis (i, j or k), so a slice is a numpy view with no
resampling. For an axially acquired volume (identity-like direction) axial is perpendicular to
k, coronal to j and sagittal to i, and these are the anatomical planes. A volume acquired in
another plane (sagittal, coronal, oblique) is matched by its direction cosines: each anatomical
plane goes to the index axis closest to its normal (S for axial, P for coronal, L for sagittal),
so AXIAL always shows the slice nearest to a true axial one.

Display is radiological and the same for every volume: axial has the patient's right on the
screen's left and anterior at the top; coronal has right on the left and superior at the top;
sagittal has anterior on the left and superior at the top. Slices are transposed and flipped
(still views) to get there.

Slice pixel coordinates are (row, col) of the array `extract_slice` returns, with pixel centres
at integer coordinates (as in numpy and ITK); display-only flips and rotations (`ViewerState`)
are applied on top of this and never change these coordinates.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from medgui.core.image.volume import Volume


class Plane(Enum):
    """The three orthogonal viewing planes."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"


# LPS axis (0 = x toward L, 1 = y toward P, 2 = z toward S) each plane is perpendicular to.
_NORMAL_LPS = {Plane.AXIAL: 2, Plane.CORONAL: 1, Plane.SAGITTAL: 0}
# Where the radiological convention wants displayed rows to run (down the screen) and columns to
# run (rightwards): (LPS axis, sign) for each.
_SCREEN_LPS = {
    Plane.AXIAL: ((1, 1.0), (0, 1.0)),  # down = P, right = L
    Plane.CORONAL: ((2, -1.0), (0, 1.0)),  # down = I, right = L
    Plane.SAGITTAL: ((2, -1.0), (1, 1.0)),  # down = I, right = P
}
_LETTERS = (("R", "L"), ("A", "P"), ("I", "S"))
# A direction component smaller than this (|cos| < 0.25, i.e. an axis tilted less than ~14.5°
# toward it) adds no letter: a slightly oblique scan keeps plain labels, a clearly oblique one
# gets combined letters such as "LP".
LABEL_MIN_COMPONENT = 0.25
# Scores closer than this count as a tie, so exact 45° obliques resolve to the axial default.
_TIE = 1e-9
_ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True)
class _Layout:
    """How one plane's slices are cut from the array (axes numbered i = 0, j = 1, k = 2)."""

    normal: int
    row: int
    col: int
    flip_row: bool
    flip_col: bool


def _lps_axis_per_index_axis(direction: np.ndarray) -> tuple[int, int, int]:
    """The LPS axis matched to each of i, j, k: the one-to-one matching with the largest total
    |direction cosine| (a per-axis argmax can give two index axes the same LPS axis).
    Remembered per direction matrix: every slice shown asks again."""
    key = np.asarray(direction, float).tobytes()
    found = _MATCHED.get(key)
    if found is None:
        if len(_MATCHED) >= 64:
            _MATCHED.clear()
        found = _MATCHED[key] = _match_axes(direction)
    return found


_MATCHED: dict[bytes, tuple[int, int, int]] = {}


def _match_axes(direction: np.ndarray) -> tuple[int, int, int]:
    cosines = np.abs(direction) / np.linalg.norm(direction, axis=0)
    best, best_score = (0, 1, 2), -1.0
    # Identity first, so ties keep the axial-acquisition default.
    for perm in itertools.permutations(range(3)):
        score = sum(float(cosines[perm[axis], axis]) for axis in range(3))
        if score > best_score + _TIE:
            best, best_score = perm, score
    return best


def _layout(volume: Volume, plane: Plane) -> _Layout:
    lps_of = _lps_axis_per_index_axis(volume.direction)
    index_of = {lps: axis for axis, lps in enumerate(lps_of)}
    (row_lps, row_sign), (col_lps, col_sign) = _SCREEN_LPS[plane]
    row, col = index_of[row_lps], index_of[col_lps]
    return _Layout(
        normal=index_of[_NORMAL_LPS[plane]],
        row=row,
        col=col,
        flip_row=bool(volume.direction[row_lps, row] * row_sign < 0),
        flip_col=bool(volume.direction[col_lps, col] * col_sign < 0),
    )


def _size(volume: Volume, axis: int) -> int:
    """Number of voxels along index axis `axis` (the array is stored [k, j, i])."""
    return int(volume.array.shape[2 - axis])


def normal_axis(volume: Volume, plane: Plane) -> int:
    """The index axis (0 = i, 1 = j, 2 = k) that `plane` is perpendicular to in `volume`."""
    return _layout(volume, plane).normal


def plane_for_axis(volume: Volume, axis: int) -> Plane:
    """The plane whose slices are perpendicular to index axis `axis` (0 = i, 1 = j, 2 = k)."""
    for plane in Plane:
        if normal_axis(volume, plane) == axis:
            return plane
    raise ValueError(f"index axis must be 0 (i), 1 (j) or 2 (k), got {axis!r}")


def extract_slice(
    volume: Volume, plane: Plane, index: int, array: np.ndarray | None = None
) -> np.ndarray:
    """Slice `index` of `plane`, oriented for display: (rows, cols) or (rows, cols, channels).

    The result is a view into the volume (no copy; writing to it writes the volume). `array`
    slices another array on the same grid (a label map) exactly the same way instead.
    """
    layout = _layout(volume, plane)
    source = volume.array if array is None else array
    if source.shape[:3] != volume.array.shape[:3]:
        raise ValueError(f"array of shape {source.shape} is not on the volume's grid")
    index = operator.index(index)
    n = _size(volume, layout.normal)
    if not 0 <= index < n:
        raise IndexError(f"{plane.value} slice {index} is outside 0..{n - 1}")
    cut: list[slice | int] = [slice(None)] * source.ndim
    cut[2 - layout.normal] = index
    return _orient(layout, source[tuple(cut)])


def orient_cut(volume: Volume, plane: Plane, cut: np.ndarray) -> np.ndarray:
    """An array cut across `plane`'s normal axis (the array with that axis removed, e.g. a
    projection along it) oriented for display exactly as `extract_slice` orients a slice."""
    return _orient(_layout(volume, plane), cut)


def _orient(layout: _Layout, view: np.ndarray) -> np.ndarray:
    # The remaining array axes keep [k, j, i] order, so the higher index axis comes first.
    if layout.row < layout.col:
        view = view.swapaxes(0, 1)
    if layout.flip_row:
        view = view[::-1]
    if layout.flip_col:
        view = view[:, ::-1]
    return view


def slice_geometry(volume: Volume, plane: Plane) -> tuple[float, float, int]:
    """(row_spacing_mm, col_spacing_mm, n_slices) of `plane`'s displayed slices.

    Row spacing is the distance between the centres of adjacent rows (as in DICOM
    PixelSpacing); the display aspect ratio of a pixel is row_spacing / col_spacing.
    """
    layout = _layout(volume, plane)
    spacing = volume.spacing_mm
    return spacing[layout.row], spacing[layout.col], _size(volume, layout.normal)


def _direction_letters(vector: np.ndarray) -> str:
    """Patient direction letters of an LPS vector, largest component first."""
    unit = vector / np.linalg.norm(vector)
    order = sorted(range(3), key=lambda axis: -abs(unit[axis]))
    return "".join(
        _LETTERS[axis][int(unit[axis] > 0)]
        for axis in order
        if abs(unit[axis]) >= LABEL_MIN_COMPONENT
    )


# PatientOrientation's letters (PS3.3 C.7.6.1.1.1) and their opposites.
_OPPOSITE = {"A": "P", "P": "A", "R": "L", "L": "R", "H": "F", "F": "H"}


def projection_labels(patient_orientation: list[str]) -> dict[str, str]:
    """Edge letters of an image without ImageOrientationPatient (a CR/DX projection) from its
    PatientOrientation (0020,0020): the directions of the rows (to the right edge) and of the
    columns (to the bottom edge), e.g. L\\F. Empty when it is missing or not in the human
    letters A/P/R/L/H/F: no letters rather than guessed ones."""
    if len(patient_orientation) != 2:
        return {}
    right, bottom = (value.strip().upper() for value in patient_orientation)
    if not right or not bottom or not set(right + bottom) <= set(_OPPOSITE):
        return {}
    opposite = {value: "".join(_OPPOSITE[c] for c in value) for value in (right, bottom)}
    return {"left": opposite[right], "right": right, "top": opposite[bottom], "bottom": bottom}


def orientation_labels(
    volume: Volume,
    plane: Plane,
    *,
    flip_h: bool = False,
    flip_v: bool = False,
    rotate: int = 0,
) -> dict[str, str]:
    """Patient direction letters for the screen edges: keys left, right, top and bottom.

    Each letter names the patient direction the image points toward at that edge (LPS letters
    L/R, P/A, S/I), combined and ordered by size for oblique directions. `flip_h`, `flip_v` and
    `rotate` (degrees clockwise) describe display transforms applied to the slice: flips first,
    then the rotation, as `ViewerState` defines them. An image without patient geometry
    (`metadata["oriented"]` False) has PatientOrientation's letters (`projection_labels`) on
    its acquired plane, or none.
    """
    if rotate % 360 not in _ROTATIONS:
        raise ValueError(f"rotation must be a multiple of 90 degrees, got {rotate!r}")
    if volume.metadata.get("oriented", True):
        layout = _layout(volume, plane)
        down = volume.direction[:, layout.row] * (-1.0 if layout.flip_row else 1.0)
        right = volume.direction[:, layout.col] * (-1.0 if layout.flip_col else 1.0)
        labels = {
            "left": _direction_letters(-right),
            "right": _direction_letters(right),
            "top": _direction_letters(-down),
            "bottom": _direction_letters(down),
        }
    else:
        labels = projection_labels(volume.metadata.get("PatientOrientation") or [])
        if not labels or plane is not Plane.AXIAL:  # only the image as acquired has them
            return {}
    if flip_h:
        labels["left"], labels["right"] = labels["right"], labels["left"]
    if flip_v:
        labels["top"], labels["bottom"] = labels["bottom"], labels["top"]
    for _ in range(int(rotate % 360) // 90):
        # A quarter turn clockwise carries the left edge to the top, the top to the right, ...
        labels = {
            "top": labels["left"],
            "right": labels["top"],
            "bottom": labels["right"],
            "left": labels["bottom"],
        }
    return labels


def slice_pixel_to_voxel(
    volume: Volume, plane: Plane, index: float, row: float, col: float
) -> tuple[float, float, float]:
    """Voxel index (i, j, k) shown at pixel (row, col) of slice `index` of `plane`.

    Integers in give integers out; continuous positions map continuously (pixel centres at
    integer coordinates).
    """
    layout = _layout(volume, plane)
    ijk: list[float] = [0, 0, 0]
    ijk[layout.normal] = index
    ijk[layout.row] = _size(volume, layout.row) - 1 - row if layout.flip_row else row
    ijk[layout.col] = _size(volume, layout.col) - 1 - col if layout.flip_col else col
    return ijk[0], ijk[1], ijk[2]


def voxel_to_slice_pixel(
    volume: Volume, plane: Plane, ijk: tuple[float, float, float]
) -> tuple[float, float, float]:
    """(slice index, row, col) at which `plane` shows voxel `ijk`; inverse of
    `slice_pixel_to_voxel`."""
    layout = _layout(volume, plane)
    r, c = ijk[layout.row], ijk[layout.col]
    row = _size(volume, layout.row) - 1 - r if layout.flip_row else r
    col = _size(volume, layout.col) - 1 - c if layout.flip_col else c
    return ijk[layout.normal], row, col
