"""DICOM SEG import: frames are placed by plane position onto the reference volume's grid or,
without one, the grid of the SEG's own orientation, pixel spacing and positions (spanning its
frames). Segment k becomes label k; a segment overlapping one already placed goes to the next free
layer. medgui's own SEGs (segment descriptions ending "(medgui label V, layer L)", see `seg`)
re-import with the same values and layers.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from medgui.core.image.volume import Volume
from medgui.core.labels.io import (
    GeometryMismatchError,
    describe_grid,
    label_format,
)
from medgui.core.labels.labelmap import DEFAULT_COLORS, Label, LabelMap, LabelTable
from medgui.core.labels.seg import _MEDGUI_TAG, SEGMENTATION_STORAGE

# A frame is on a slice when it is within 1 % of a voxel of it (DICOM keeps ~6 digits).
_VOXEL_TOLERANCE = 0.01
_AXIS_TOLERANCE = 1e-4
_PER_FRAME, _SHARED = "PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"


def _read(path: Path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path}: not a readable DICOM file ({error})") from error
    if dataset.get("SOPClassUID") != SEGMENTATION_STORAGE:
        raise ValueError(f"{path}: not a DICOM SEG (SOP class {dataset.get('SOPClassUID')})")
    try:
        return hd.seg.Segmentation.from_dataset(dataset, copy=False)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: malformed DICOM SEG ({error})") from error


def _group(seg, index: int, name: str, path: Path):
    """The item of functional-group macro `name` for frame `index` (per-frame, else shared)."""
    for groups, at in ((_PER_FRAME, index), (_SHARED, 0)):
        item = seg[groups].value[at] if groups in seg else {}
        if name in item and len(item[name].value):
            return item[name].value[0]
    raise ValueError(f"{path}: frame {index + 1} has no {name}")


def _frames(seg, path: Path):
    """(segment number, position) per frame, the unit row/column axes (2, 3) and the (i, j)
    pixel spacing; frames in another orientation or spacing are refused."""
    first, frames = None, []
    for i in range(int(seg.get("NumberOfFrames", 1))):
        orientation = _group(seg, i, "PlaneOrientationSequence", path).ImageOrientationPatient
        pixel = _group(seg, i, "PixelMeasuresSequence", path).PixelSpacing
        plane = np.array([*orientation, *pixel], float)
        first = plane if first is None else first
        if not np.allclose(plane, first, atol=_AXIS_TOLERANCE, rtol=1e-4):
            raise ValueError(f"{path}: frames differ in orientation or pixel spacing")
        number = int(_group(seg, i, "SegmentIdentificationSequence", path).ReferencedSegmentNumber)
        position = _group(seg, i, "PlanePositionSequence", path).ImagePositionPatient
        frames.append((number, np.asarray(position, float)))
    if first is None:
        raise ValueError(f"{path}: the SEG holds no frames")
    axes = first[:6].reshape(2, 3)
    return frames, axes / np.linalg.norm(axes, axis=1, keepdims=True), (first[7], first[6])


def _own_grid(seg, frames, axes, spacing_ij, path: Path) -> Volume:
    """The regular grid along the slice normal that holds every frame (a SEG without its
    image series): from the first to the last frame, spaced by SpacingBetweenSlices or the
    smallest gap between frames."""
    normal = np.cross(axes[0], axes[1])
    positions = np.array([position for _, position in frames])
    levels = np.unique(np.round(positions @ normal, 4))
    in_plane = positions - np.outer(positions @ normal, normal)
    measures = _group(seg, 0, "PixelMeasuresSequence", path)
    gaps = np.diff(levels)
    gap = float(gaps.min()) if gaps.size else abs(float(measures.get("SliceThickness") or 1.0))
    step = abs(float(measures.get("SpacingBetweenSlices") or 0)) or gap
    offsets = (levels - levels[0]) / step
    if np.abs(in_plane - in_plane[0]).max() > _VOXEL_TOLERANCE * min(spacing_ij) or (
        np.abs(offsets - np.rint(offsets)).max() > _VOXEL_TOLERANCE
    ):
        raise ValueError(f"{path}: the frames do not form one evenly spaced stack")
    shape = (int(np.rint(offsets[-1])) + 1, int(seg.Rows), int(seg.Columns))
    return Volume(
        np.broadcast_to(np.zeros((), np.uint8), shape),  # geometry only: no voxels allocated
        (*spacing_ij, step),
        tuple(in_plane[0] + levels[0] * normal),
        np.column_stack([axes[0], axes[1], normal]),
    )


def _slices(grid: Volume, frames, axes, spacing_ij, seg, path: Path) -> np.ndarray:
    """The grid slice of every frame; `GeometryMismatchError` when a frame is not on the grid."""
    ijk = grid.world_to_voxel(np.array([position for _, position in frames]))
    k = np.rint(ijk[:, 2]).astype(int)
    if not (
        (int(seg.Rows), int(seg.Columns)) == grid.shape_zyx[1:]
        and np.allclose(spacing_ij, grid.spacing_mm[:2], rtol=1e-3)
        and np.allclose(axes.T, grid.direction[:, :2], atol=_AXIS_TOLERANCE)
        and np.abs(ijk[:, :2]).max() < _VOXEL_TOLERANCE
        and np.abs(ijk[:, 2] - k).max() < _VOXEL_TOLERANCE
        and 0 <= k.min()
        and k.max() < grid.shape_zyx[0]
    ):
        try:
            own = describe_grid(_own_grid(seg, frames, axes, spacing_ij, path))
        except ValueError as error:
            own = str(error)
        raise GeometryMismatchError(
            f"{path}: the SEG's frames do not lie on the reference grid\n"
            f"  SEG:       {own}\n  reference: {describe_grid(grid)}"
        )
    return k


def _label(item, value: int, layer: int) -> Label:
    color = DEFAULT_COLORS[(value - 1) % len(DEFAULT_COLORS)]
    if "RecommendedDisplayCIELabValue" in item:
        lab = hd.color.CIELabColor.from_dicom_value(item.RecommendedDisplayCIELabValue)
        color = tuple(int(c) for c in lab.to_rgb())
    category, kind = (
        str((item.get(f"SegmentedProperty{part}CodeSequence") or [{}])[0].get("CodeMeaning", ""))
        for part in ("Category", "Type")
    )
    name = str(item.get("SegmentLabel") or f"Segment {item.SegmentNumber}")
    return Label(value, name, color, layer=layer, category=category, type=kind)


def _medgui_places(items) -> dict[int, tuple[int, int]]:
    """Segment number → (label value, layer) when every segment carries medgui's note with
    distinct values; else {} (values become segment numbers, layers are packed)."""
    found = [_MEDGUI_TAG.search(str(item.get("SegmentDescription", ""))) for item in items]
    if not all(found) or len({match[1] for match in found}) != len(found):
        return {}
    return {int(i.SegmentNumber): (int(m[1]), int(m[2])) for i, m in zip(items, found, strict=True)}


def _import(path, reference: Volume | None, want_probabilities: bool):
    path = Path(path)
    seg = _read(path)
    frames, axes, spacing_ij = _frames(seg, path)
    wanted = str(reference.metadata.get("SeriesInstanceUID") or "") if reference else ""
    referenced = {str(item.SeriesInstanceUID) for item in seg.get("ReferencedSeriesSequence", [])}
    if wanted and referenced and wanted not in referenced:
        raise ValueError(
            f"{path}: this SEG was made on series {', '.join(sorted(referenced))}, not on the "
            f"reference series {wanted} ('{reference.metadata.get('SeriesDescription', '')}')"
        )
    grid = reference if reference is not None else _own_grid(seg, frames, axes, spacing_ij, path)
    slices = _slices(grid, frames, axes, spacing_ij, seg, path)
    by_segment: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, ((number, _), k) in enumerate(zip(frames, slices.tolist(), strict=True)):
        by_segment[number].append((k, index))
    items = sorted(seg.SegmentSequence, key=lambda item: int(item.SegmentNumber))
    if set(by_segment) - {int(item.SegmentNumber) for item in items}:
        raise ValueError(f"{path}: frames refer to segments the SEG does not describe")
    places = _medgui_places(items)
    fractional = seg.SegmentationType == "FRACTIONAL"
    scale = float(seg.get("MaximumFractionalValue", 1)) if fractional else 1.0
    top = max(value for value, _ in places.values()) if places else int(items[-1].SegmentNumber)
    dtype = np.uint8 if top <= 255 else np.uint16
    layers: list[np.ndarray] = []
    table, probabilities = LabelTable(), {}
    for item in items:
        number = int(item.SegmentNumber)
        value, wanted_layer = places.get(number, (number, 0))
        masks: dict[int, np.ndarray] = {}
        if want_probabilities:
            probabilities[value] = np.zeros(grid.shape_zyx, np.float32)
        for k, index in by_segment.get(number, []):
            stored = seg.get_stored_frame(index, as_index=True)
            # A fractional voxel is labelled from probability 0.5 up.
            mask = stored >= scale / 2 if fractional else stored > 0
            masks[k] = masks[k] | mask if k in masks else mask
            if want_probabilities:
                np.maximum(probabilities[value][k], stored / scale, out=probabilities[value][k])
        while len(layers) <= min(wanted_layer, len(items) - 1):  # never more layers than segments
            layers.append(np.zeros(grid.shape_zyx, dtype))
        # The layer it was saved on if that is free under its voxels, else the first free one.
        free = [
            i for i, lay in enumerate(layers) if not any(lay[k][m].any() for k, m in masks.items())
        ]
        layer = wanted_layer if wanted_layer in free else (free or [len(layers)])[0]
        if layer == len(layers):
            layers.append(np.zeros(grid.shape_zyx, dtype))
        for k, mask in masks.items():
            layers[layer][k][mask] = value
        table.labels.append(_label(item, value, layer))
    origin, direction = grid.origin, grid.direction.copy()
    return LabelMap(layers, grid.spacing_mm, origin, direction, table), probabilities


def is_seg_file(path: str | Path) -> bool:
    """Whether `path` is a DICOM SEG file (by its header; NIfTI/NRRD/MHA names are not read)."""
    from medgui.core.dicom.header import read_instance_header
    from medgui.core.dicom.instance import DicomReadError

    path = Path(path)
    if not path.is_file():
        return False
    try:
        if label_format(path) != "seg":
            return False
    except ValueError:
        pass  # a DICOM file's name may end in anything (".5" of a UID): its header decides
    try:
        return read_instance_header(path).kind == "SEG"
    except DicomReadError:
        return False


def import_seg(path: str | Path, reference_volume: Volume | None = None) -> LabelMap:
    """A DICOM SEG as a `LabelMap` on `reference_volume`'s grid (or its own frames' grid), with
    segment names, colours and category/type meanings; fractional segments count from 0.5.
    ValueError names the file when it is unreadable, not a SEG, or made on another series;
    `GeometryMismatchError` when its frames are not on the reference grid."""
    return _import(path, reference_volume, want_probabilities=False)[0]


def import_seg_probabilities(
    path: str | Path, reference_volume: Volume | None = None
) -> tuple[LabelMap, dict[int, np.ndarray]]:
    """`import_seg` plus each label's values as float32 (z, y, x) within 0..1 (fractional SEGs
    are quantised in steps of 1/MaximumFractionalValue; binary ones give 0 and 1)."""
    return _import(path, reference_volume, want_probabilities=True)
