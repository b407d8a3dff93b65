"""DICOM SEG export (highdicom), binary and fractional; reading them back is `seg_read`.

Export: one segment per label (numbers 1..N in value order) with its name, CIELab colour,
category/type codes and algorithm type MANUAL (AUTOMATIC when an algorithm is named). Labels on
different layers may overlap (SegmentsOverlap YES). Each segment description ends "(medgui label
V, layer L)" so that medgui's own SEGs re-import with the same values and layers.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

import medgui
from medgui.core.image.volume import Volume
from medgui.core.labels.io import (
    GeometryMismatchError,
    describe_grid,
    painted_values,
)
from medgui.core.labels.labelmap import Label, LabelMap
from medgui.core.util.atomic import atomic_writer

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
_MEDGUI_TAG = re.compile(r"\(medgui label ([1-9]\d*), layer (\d+)\)$")
# UTF-8 so that any label name can be stored.
_FIXED = dict(instance_number=1, manufacturer="medgui", manufacturer_model_name="medgui",
              device_serial_number="none", fractional_type="PROBABILITY", content_label="MEDGUI",
              specific_character_set="ISO_IR 192")  # fmt: skip


def _code(text: str, default: Code) -> Code:
    """The SNOMED CT code whose pydicom keyword spells `text` ("soft tissue" → SoftTissue), else a
    private-scheme code that keeps the user's words (99xxx schemes are the standard's escape)."""
    keyword = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)
    if not keyword:
        return default
    try:
        return getattr(codes.SCT, keyword)
    except AttributeError:
        # crc32, not hash(): the same words must give the same code in every run.
        return Code(f"M{zlib.crc32(keyword.encode()):010d}", "99MEDGUI", text[:64])


def _description(number: int, label: Label, algorithm: tuple[str, str] | None):
    family = codes.cid7162.ArtificialIntelligence
    name, version = algorithm or ("", "")
    identification = hd.AlgorithmIdentificationSequence(name, family, version) if name else None
    description = hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label.name[:64],
        segmented_property_category=_code(label.category, codes.SCT.Tissue),
        segmented_property_type=_code(label.type, codes.SCT.Tissue),
        algorithm_type="AUTOMATIC" if name else "MANUAL",
        algorithm_identification=identification,
        display_color=hd.color.CIELabColor.from_rgb(*label.color),
    )
    description.SegmentDescription = f"(medgui label {label.value}, layer {label.layer})"
    return description


def _source_files(volume: Volume) -> tuple[list[str], list[int] | None]:
    """The file of each slice (single-frame sources), or one multi-frame file plus the volume
    slice shown by each of its frames (highdicom pairs plane i with frame i)."""
    sources = volume.slice_sources
    if len(sources) != volume.shape_zyx[0] or any(not path for path, _ in sources):
        raise ValueError("DICOM SEG needs each slice's DICOM file: not a resampled/NIfTI volume")
    files = [path for path, _ in sources]
    if len(set(files)) == len(files):
        return files, None
    frames = [frame for _, frame in sources]
    if len(set(files)) > 1 or sorted(frames) != list(range(len(frames))):
        raise ValueError("DICOM SEG export needs single-frame slices or all frames of one file")
    return files[:1], np.argsort(frames).tolist()


class _OverlapKnownSegmentation(hd.seg.Segmentation):
    """highdicom sums the segment stack into a uint64 array (8 bytes a voxel) to find overlaps;
    `_binary_pixels` only stacks after finding one. Tests prove both paths write the same SEG."""

    @classmethod
    def _check_and_cast_pixel_array(cls, pixel_array, numbers, kind, dtype):
        known = isinstance(pixel_array, np.ndarray) and pixel_array.ndim == 4
        if known and pixel_array.dtype == np.uint8 and kind.value == "BINARY":
            return pixel_array, hd.seg.SegmentsOverlapValues.YES
        return super()._check_and_cast_pixel_array(pixel_array, numbers, kind, dtype)


def _binary_pixels(layers: list[np.ndarray], numbers: dict[int, int]) -> np.ndarray:
    """Segment numbers per voxel (3-D, one copy) when no segments overlap, else the (planes,
    rows, columns, segments) 0/1 stack that only an overlap needs."""
    lut = np.zeros(max(numbers) + 1, np.uint8 if len(numbers) < 256 else np.uint16)
    lut[list(numbers)] = list(numbers.values())
    flat = lut[layers[0]]
    for layer in layers[1:]:
        part = lut[layer]
        painted = part > 0
        if np.any(painted & (flat > 0)):
            del flat, part, painted
            stack = np.zeros((*layers[0].shape, len(numbers)), np.uint8)
            for layer in layers:
                for value in painted_values(layer):
                    stack[..., numbers[value] - 1] |= layer == value
            return stack
        np.copyto(flat, part, where=painted)
    return flat


def _fractional_pixels(labelmap, planes, numbers, probabilities) -> np.ndarray:
    """(planes, rows, columns, segments) float32: given probabilities, else the label's mask."""
    count = np.arange(labelmap.shape_zyx[0])[planes].size
    stack = np.zeros((count, *labelmap.shape_zyx[1:], len(numbers)), np.float32)
    for value, number in numbers.items():
        given = probabilities.get(value)
        mask = given[planes] if given is not None else labelmap.layer_of(value)[planes] == value
        stack[..., number - 1] = mask
    return stack


def _check_inputs(labelmap, numbers, probabilities) -> np.ndarray:
    """Which slices hold anything; ValueError for unknown values or bad probabilities."""
    unknown = {v for layer in labelmap.layers for v in painted_values(layer)} - set(numbers)
    if unknown:
        raise ValueError(f"painted label values {sorted(unknown)} have no row in the table")
    for value, array in probabilities.items():
        if value not in numbers or array.shape != labelmap.shape_zyx:
            raise ValueError(f"probabilities for label {value}: no such label, or wrong shape")
        if array.size and not (array.min() >= 0.0 and array.max() <= 1.0):  # NaN fails too
            raise ValueError(f"probabilities for label {value} must lie within 0..1 (no NaN)")
    used = np.zeros(labelmap.shape_zyx[0], bool)
    for array in [*labelmap.layers, *probabilities.values()]:
        used |= array.reshape(array.shape[0], -1).any(axis=1)
    if not used.any():
        raise ValueError("nothing to export: the label map is empty")
    return used


def export_seg(
    labelmap: LabelMap,
    source_volume: Volume,
    out_path: str | Path,
    *,
    fractional: bool = False,
    probabilities: Mapping[int, np.ndarray] | None = None,
    algorithm: tuple[str, str] | None = None,
    series_description: str = "Segmentation",
    series_number: int = 300,
) -> Path:
    """Write `labelmap` atomically as a DICOM SEG referencing `source_volume`'s DICOM images.

    `fractional` writes FRACTIONAL PROBABILITY segments (steps of 1/255) from `probabilities`
    (label value → float (z, y, x) within 0..1), or the label's mask where none is given.
    `algorithm` = (name, version) marks segments AUTOMATIC (a model's) instead of MANUAL.
    `GeometryMismatchError` when the map is off the volume's grid; ValueError when the volume
    has no DICOM sources, the map is empty or a painted value has no table row."""
    out_path = Path(out_path)
    if not labelmap.matches(source_volume):
        raise GeometryMismatchError(
            f"{out_path}: the label map is not on the image's grid\n"
            f"  label map: {describe_grid(labelmap)}\n  image:     {describe_grid(source_volume)}"
        )
    labels = sorted(labelmap.table.labels, key=lambda label: label.value)
    numbers = {label.value: n for n, label in enumerate(labels, start=1)}
    probabilities = dict(probabilities or {})
    used = _check_inputs(labelmap, numbers, probabilities)
    files, frame_order = _source_files(source_volume)
    if frame_order is None:
        # Only the span that holds anything: a view, and highdicom drops empty frames anyway.
        hits = np.flatnonzero(used)
        planes = slice(int(hits[0]), int(hits[-1]) + 1)
        files = files[planes]
    else:
        planes = np.asarray(frame_order)
    datasets = [pydicom.dcmread(path, stop_before_pixels=True) for path in files]
    if fractional:
        pixels = _fractional_pixels(labelmap, planes, numbers, probabilities)
    else:
        pixels = _binary_pixels([layer[planes] for layer in labelmap.layers], numbers)
    try:
        seg = _OverlapKnownSegmentation(
            source_images=datasets,
            pixel_array=pixels,
            segmentation_type="FRACTIONAL" if fractional else "BINARY",
            segment_descriptions=[_description(numbers[lb.value], lb, algorithm) for lb in labels],
            series_instance_uid=hd.UID(),
            series_number=series_number,
            sop_instance_uid=hd.UID(),
            series_description=series_description,
            software_versions=medgui.__version__,
            **_FIXED,
        )
    except ValueError as error:  # e.g. sources without a Frame of Reference
        raise ValueError(f"{out_path}: cannot build a DICOM SEG: {error}") from error
    del pixels
    with atomic_writer(out_path) as temporary:
        seg.save_as(temporary, enforce_file_format=True)
    return out_path
