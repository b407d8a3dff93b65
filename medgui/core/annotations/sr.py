"""DICOM SR export: a Comprehensive 3D SR holding a TID 1500 Measurement Report (highdicom).

* Each ruler, angle, ellipse and rectangle becomes a planar ROI measurement group (TID 1410)
  whose region is drawn on the source image (SCOORD, DICOM pixel coordinates: the first
  pixel's centre at (0.5, 0.5)) when the measurement lies on one of the series' single-frame
  slices, else in patient coordinates (SCOORD3D) on the series' frame of reference. Rulers give
  a length (mm), angles an angle (deg), ROIs mean, SD, minimum, maximum and area.
* Each label's statistics become a volumetric ROI measurement group (TID 1411) referencing its
  segment in the given DICOM SEG: volume (ml) and, with an image, mean, SD, minimum, maximum.

Intensities are in Hounsfield units for CT, else without a unit. The observer is the device
(medgui): no person's name is written.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

import medgui
from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    Measurement,
    RectangleROI,
    Ruler,
    roi_statistics,
)
from medgui.core.image.reformat import extract_slice, slice_pixel_to_voxel
from medgui.core.image.volume import Volume
from medgui.core.labels.stats import LabelStats
from medgui.core.util.atomic import atomic_writer

MILLILITER = Code("ml", "UCUM", "milliliter")
_SEGMENT_NOTE = re.compile(r"\(medgui label ([1-9]\d*), layer (\d+)\)$")
# k within this of a whole slice counts as lying on that slice.
_ON_SLICE = 1e-6


def _tracking(uid_hex: str, text: str) -> hd.sr.TrackingIdentifier:
    # The measurement's own uuid as the tracking UID: a re-export tracks the same finding.
    try:
        uid = f"2.25.{uuid.UUID(hex=uid_hex).int}"
    except ValueError:
        uid = hd.UID()
    return hd.sr.TrackingIdentifier(uid=uid, identifier=text[:64] or "measurement")


def _points(m: Measurement) -> tuple[str, list[tuple[float, float]]]:
    """Graphic type and (row, col) points of a measurement's outline."""
    if isinstance(m, Ruler):
        return "POLYLINE", [m.p0, m.p1]
    if isinstance(m, Angle):
        return "POLYLINE", [m.p0, m.vertex, m.p1]
    if isinstance(m, EllipseROI):
        (r, c), (rr, rc) = m.center, m.radii
        along_rows = [(r - rr, c), (r + rr, c)]
        along_cols = [(r, c - rc), (r, c + rc)]
        # Major axis first, as SCOORD ELLIPSE requires (in mm: pixels may be anisotropic).
        if rr * m.spacing_mm[0] >= rc * m.spacing_mm[1]:
            return "ELLIPSE", along_rows + along_cols
        return "ELLIPSE", along_cols + along_rows
    if isinstance(m, RectangleROI):
        (r0, c0), (r1, c1) = m.corner0, m.corner1
        # SCOORD knows no POLYGON: a closed POLYLINE (first point repeated) is TID 1500's area.
        return "POLYLINE", [(r0, c0), (r0, c1), (r1, c1), (r1, c0), (r0, c0)]
    raise TypeError(f"not a measurement medgui can export: {type(m).__name__}")


class _Sources:
    """The series' source instances: headers read once, and which slice lies in which file."""

    def __init__(self, volume: Volume) -> None:
        sources = volume.slice_sources
        if len(sources) != volume.shape_zyx[0] or not any(path for path, _ in sources):
            raise ValueError("DICOM SR needs the series' DICOM files: not a NIfTI volume")
        # A slice resampled between acquired ones has no file ("").
        self.files = [str(path) for path, _ in sources]
        named = [f for f in self.files if f]
        self.single_frame = len(set(named)) == len(named)
        self._headers: dict[str, pydicom.Dataset] = {}

    def header(self, path: str) -> pydicom.Dataset:
        if path not in self._headers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._headers[path] = pydicom.dcmread(path, stop_before_pixels=True)
        return self._headers[path]

    @property
    def first(self) -> str:
        """The first slice's file (its patient, study and frame of reference are the series')."""
        return next(f for f in self.files if f)

    def evidence(self) -> list[pydicom.Dataset]:
        return list(self._headers.values())


def _region(volume: Volume, sources: _Sources, m: Measurement):
    graphic, points = _points(m)
    ijk = np.array([slice_pixel_to_voxel(volume, m.plane, m.slice_index, r, c) for r, c in points])
    k = ijk[0, 2]
    on_slice = np.allclose(ijk[:, 2], k, atol=_ON_SLICE) and k == int(k)
    if sources.single_frame and on_slice and sources.files[int(k)]:
        header = sources.header(sources.files[int(k)])
        source = hd.sr.SourceImageForRegion(header.SOPClassUID, header.SOPInstanceUID)
        return hd.sr.ImageRegion(graphic, ijk[:, :2] + 0.5, source)
    frame_of_reference = str(sources.header(sources.first).FrameOfReferenceUID)
    return hd.sr.ImageRegion3D(graphic, volume.voxel_to_world(ijk), frame_of_reference)


def _intensity_unit(volume: Volume) -> Code:
    return codes.UCUM.HounsfieldUnit if volume.modality == "CT" else codes.UCUM.NoUnits


def _statistics(values, unit: Code) -> list[hd.sr.Measurement]:
    names = (codes.SCT.Mean, codes.SCT.StandardDeviation, codes.SCT.Minimum, codes.SCT.Maximum)
    return [
        hd.sr.Measurement(name=name, value=float(value), unit=unit)
        for name, value in zip(names, values, strict=True)
        if value is not None and np.isfinite(value)
    ]


def _planar_group(volume: Volume, sources: _Sources, m: Measurement, number: int):
    """The TID 1410 group of one measurement; None for an angle with a zero-length arm."""
    if isinstance(m, Ruler):
        values = [hd.sr.Measurement(codes.SCT.Length, m.length_mm, codes.UCUM.Millimeter)]
    elif isinstance(m, Angle):
        if not np.isfinite(m.degrees):
            return None
        values = [hd.sr.Measurement(codes.SCT.Angle, m.degrees, codes.UCUM.Degree)]
    else:
        stats = roi_statistics(m, np.asarray(extract_slice(volume, m.plane, m.slice_index)))
        area = hd.sr.Measurement(codes.SCT.Area, stats.area_mm2, codes.UCUM.SquareMillimeter)
        values = [*_statistics((stats.mean, stats.sd, stats.min, stats.max),
                               _intensity_unit(volume)), area]  # fmt: skip
    label = m.label or f"{m.KIND} {number}"
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(m.uid, label),
        referenced_region=_region(volume, sources, m),
        measurements=values,
    )


def _segment_numbers(seg: pydicom.Dataset) -> dict[tuple[int, int], int]:
    """(label value, layer) → segment number, from medgui's note or else the segment label."""
    found = {}
    for item in seg.SegmentSequence:
        match = _SEGMENT_NOTE.search(str(item.get("SegmentDescription", "")))
        if match:
            found[(int(match[1]), int(match[2]))] = int(item.SegmentNumber)
    return found


def _volumetric_groups(volume, stats: Sequence[LabelStats], seg) -> list:
    if not stats:
        return []
    if seg is None:
        raise ValueError("label statistics need the DICOM SEG whose segments they describe")
    numbers = _segment_numbers(seg)
    by_label = {str(item.SegmentLabel): int(item.SegmentNumber) for item in seg.SegmentSequence}
    series = hd.sr.SourceSeriesForSegmentation(seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
    groups = []
    for stat in stats:
        if stat.voxel_count == 0:
            continue
        number = numbers.get((stat.value, stat.layer), by_label.get(stat.name))
        if number is None:
            raise ValueError(f"label {stat.value} ({stat.name!r}) has no segment in the SEG")
        segment = hd.sr.ReferencedSegment(
            seg.SOPClassUID, seg.SOPInstanceUID, number, source_series=series
        )
        values = [hd.sr.Measurement(codes.SCT.Volume, stat.volume_ml, MILLILITER)]
        values += _statistics((stat.mean, stat.sd, stat.min, stat.max), _intensity_unit(volume))
        groups.append(
            hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=hd.UID(), identifier=f"segment {number}: {stat.name}"[:64]
                ),
                referenced_segment=segment,
                measurements=values,
            )
        )
    return groups


def _read_seg(seg: str | Path | pydicom.Dataset | None) -> pydicom.Dataset | None:
    if seg is None or isinstance(seg, pydicom.Dataset):
        return seg
    try:
        return pydicom.dcmread(seg, stop_before_pixels=True)
    except (OSError, ValueError, pydicom.errors.InvalidDicomError) as error:
        raise ValueError(f"{seg}: not a readable DICOM SEG ({error})") from error


def export_sr(
    volume: Volume,
    measurements: Sequence[Measurement],
    labelmap_stats: Sequence[LabelStats],
    seg: str | Path | pydicom.Dataset | None,
    out_path: str | Path,
    *,
    series_number: int = 400,
    series_description: str = "medgui measurements",
) -> Path:
    """Write the measurements of `volume` (a DICOM series) and the per-label statistics of its
    label map, whose segments are in `seg` (a SEG file or dataset; None when there are no
    statistics), atomically as a Comprehensive 3D SR. ValueError when there is nothing to
    report, the volume has no DICOM sources, or a label has no segment."""
    out_path = Path(out_path)
    sources = _Sources(volume)
    seg_ds = _read_seg(seg)
    groups = [
        group
        for n, m in enumerate(measurements, start=1)
        if (group := _planar_group(volume, sources, m, n)) is not None
    ]
    groups += _volumetric_groups(volume, labelmap_stats, seg_ds)
    if not groups:
        raise ValueError(f"{out_path}: nothing to report (no measurements, no labelled voxels)")
    sources.header(sources.first)  # the patient and study modules come from the images
    device = hd.sr.ObserverContext(
        observer_type=codes.cid270.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="medgui", manufacturer_name="medgui"
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=device),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=groups,
    )
    evidence = sources.evidence() + ([seg_ds] if seg_ds is not None else [])
    try:
        sr = hd.sr.Comprehensive3DSR(
            evidence=evidence,
            content=report,
            series_instance_uid=hd.UID(),
            series_number=series_number,
            sop_instance_uid=hd.UID(),
            instance_number=1,
            manufacturer="medgui",
            series_description=series_description,
            software_versions=medgui.__version__,
        )
    except (ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{out_path}: cannot build a DICOM SR: {error}") from error
    with atomic_writer(out_path) as temporary:
        sr.save_as(temporary, enforce_file_format=True)
    return out_path
