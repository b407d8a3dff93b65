"""DICOM SR (Comprehensive 3D, TID 1500): valid (dciodvfy), and it reads back through highdicom
with the measurements, the regions on the source images and the references to the SEG."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from dicom_testing import dciodvfy_errors, ramp_volume
from pydicom.sr.codedict import codes

from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    RectangleROI,
    Ruler,
    roi_statistics,
)
from medgui.core.annotations.sr import export_sr
from medgui.core.deid.export import deidentify_folder
from medgui.core.dicom.write import SeriesInfo
from medgui.core.image.reformat import Plane, extract_slice, slice_pixel_to_voxel
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.seg import export_seg
from medgui.core.labels.stats import label_statistics
from medgui.core.workspace import export as dicom_export
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.export import DeidCopy, SeriesExport, export_series


@pytest.fixture
def ct(make_series) -> Volume:
    info = SeriesInfo(series_description="Axial CT")
    _, paths = make_series("ct", ramp_volume(shape=(10, 32, 24)), info=info, modality="CT")
    return load_volume(paths[0].parent)


@pytest.fixture
def labelled(ct, tmp_path):
    labelmap = LabelMap.empty_like(ct)
    labelmap.table.add("Liver")
    labelmap.table.add("Lesion", layer=1)
    labelmap.ensure_layer(1)
    labelmap.layers[0][2:7, 4:20, 3:15] = 1
    labelmap.layers[1][5:9, 10:25, 10:20] = 2
    seg = export_seg(labelmap, ct, tmp_path / "seg.dcm")
    return labelmap, seg


def _measurements(ct: Volume):
    spacing = (ct.spacing_mm[1], ct.spacing_mm[0])  # axial rows run along j, columns along i
    return [
        Ruler(plane=Plane.AXIAL, slice_index=3, spacing_mm=spacing, p0=(2, 3), p1=(12, 9),
              label="width"),
        Angle(plane=Plane.AXIAL, slice_index=3, spacing_mm=spacing, p0=(2, 2), vertex=(8, 8),
              p1=(2, 14)),
        EllipseROI(plane=Plane.AXIAL, slice_index=4, spacing_mm=spacing, center=(10, 8),
                   radii=(3, 5), label="blob"),
        RectangleROI(plane=Plane.CORONAL, slice_index=6, spacing_mm=(2.5, ct.spacing_mm[0]),
                     corner0=(1, 2), corner1=(4, 9)),
    ]  # fmt: skip


def _values(group) -> dict[str, tuple[float, str]]:
    return {m.name.meaning: (float(m.value), m.unit.value) for m in group.get_measurements()}


def test_sr_is_valid_and_round_trips(ct, labelled, tmp_path):
    labelmap, seg_path = labelled
    measurements = _measurements(ct)
    stats = label_statistics(labelmap, ct)
    out = export_sr(ct, measurements, stats, seg_path, tmp_path / "sr.dcm")
    assert dciodvfy_errors(out) == []
    sr = hd.sr.srread(out)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert sr.PatientID == pydicom.dcmread(ct.slice_sources[0][0]).PatientID
    planar = sr.content.get_planar_roi_measurement_groups()
    assert [g.tracking_identifier for g in planar] == ["width", "angle 2", "blob", "rectangle 4"]
    ruler, angle, ellipse, rectangle = planar
    assert _values(ruler)["Length"] == pytest.approx((measurements[0].length_mm, "mm"))
    assert _values(angle)["Angle"][0] == pytest.approx(measurements[1].degrees)
    want = roi_statistics(measurements[2], np.asarray(extract_slice(ct, Plane.AXIAL, 4)))
    got = _values(ellipse)
    assert got["Mean"] == pytest.approx((want.mean, "[hnsf'U]"))
    assert got["Area"][0] == pytest.approx(want.area_mm2)
    assert got["Standard Deviation"][0] == pytest.approx(want.sd)
    # Axial measurements lie on a source image: SCOORD on that file, pixel centres at +0.5.
    region = ruler.roi
    assert region.value_type.value == "SCOORD" and region.graphic_type.value == "POLYLINE"
    assert np.allclose(region.value, [[3.5, 2.5], [9.5, 12.5]])
    source = pydicom.dcmread(ct.slice_sources[3][0])
    selected_from = region.ContentSequence[0].ReferencedSOPSequence[0]
    assert selected_from.ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert ellipse.roi.graphic_type.value == "ELLIPSE"
    # The coronal rectangle is given in patient coordinates on the series' frame of reference.
    assert rectangle.roi.value_type.value == "SCOORD3D"
    assert rectangle.roi.frame_of_reference_uid == source.FrameOfReferenceUID
    corners = rectangle.roi.value
    assert np.allclose(corners[0], corners[-1]) and len(corners) == 5
    corner = ct.voxel_to_world(slice_pixel_to_voxel(ct, Plane.CORONAL, 6, 1, 2))
    assert np.allclose(corners[0], corner, atol=1e-4)
    volumetric = sr.content.get_volumetric_roi_measurement_groups()
    seg = pydicom.dcmread(seg_path)
    for group, stat, number in zip(volumetric, stats, (1, 2), strict=True):
        reference = group.referenced_segment
        assert reference.referenced_sop_instance_uid == seg.SOPInstanceUID
        assert reference.referenced_segment_numbers == [number]
        values = _values(group)
        assert values["Volume"] == pytest.approx((stat.volume_ml, "ml"))
        assert values["Mean"][0] == pytest.approx(stat.mean)
    assert len(volumetric) == 2
    # The SEG is part of the evidence of the report.
    evidence = {
        item.ReferencedSOPInstanceUID
        for study in sr.CurrentRequestedProcedureEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for item in series.ReferencedSOPSequence
    }
    assert seg.SOPInstanceUID in evidence and source.SOPInstanceUID in evidence


def test_measurements_only_without_seg(ct, tmp_path):
    out = export_sr(ct, _measurements(ct)[:1], [], None, tmp_path / "sr.dcm")
    assert dciodvfy_errors(out) == []
    sr = hd.sr.srread(out)
    assert sr.content.get_volumetric_roi_measurement_groups() == []
    (group,) = sr.content.get_planar_roi_measurement_groups()
    assert group.get_measurements(name=codes.SCT.Length)


def test_nothing_to_report_and_bad_input_are_refused(ct, labelled, tmp_path):
    labelmap, _ = labelled
    with pytest.raises(ValueError, match="nothing to report"):
        export_sr(ct, [], [], None, tmp_path / "sr.dcm")
    with pytest.raises(ValueError, match="need the DICOM SEG"):
        export_sr(ct, [], label_statistics(labelmap, ct), None, tmp_path / "sr.dcm")
    no_sources = Volume(ct.array, ct.spacing_mm, ct.origin, ct.direction)
    with pytest.raises(ValueError, match="needs the series' DICOM files"):
        export_sr(no_sources, _measurements(ct), [], None, tmp_path / "sr.dcm")
    other = LabelMap.empty_like(ct)
    other.table.add("Spleen").value = 5
    other.layers[0][1:3, 1:3, 1:3] = 5
    with pytest.raises(ValueError, match="label 5 .'Spleen'. has no segment"):
        export_sr(ct, [], label_statistics(other, ct), labelled[1], tmp_path / "sr.dcm")
    assert not (tmp_path / "sr.dcm").exists()


def test_sr_references_resolve_after_deid(ct, labelled, tmp_path):
    labelmap, seg_path = labelled
    study = tmp_path / "study"
    study.mkdir()
    for path, _ in ct.slice_sources:
        shutil.copy(path, study)
    shutil.copy(seg_path, study / "seg.dcm")
    stats = label_statistics(labelmap, ct)
    export_sr(ct, _measurements(ct), stats, seg_path, study / "sr.dcm")
    summary = deidentify_folder(study, tmp_path / "out")
    (sr_path,) = [p for p, source in summary.written.items() if source.name == "sr.dcm"]
    instances = {pydicom.dcmread(p).SOPInstanceUID for p in summary.written if p != sr_path}
    assert dciodvfy_errors(sr_path) == []
    sr = hd.sr.srread(sr_path)
    referenced = {
        element.value for element in sr.iterall() if element.keyword == "ReferencedSOPInstanceUID"
    }
    assert len(referenced) >= 3 and referenced <= instances
    groups = sr.content.get_volumetric_roi_measurement_groups()
    assert [g.referenced_segment.referenced_segment_numbers for g in groups] == [[1], [2]]


def test_a_slice_without_a_file_is_measured_in_patient_coordinates(ct, tmp_path):
    """A slice resampled between acquired ones has no file: SCOORD3D there, SCOORD elsewhere."""
    sources = list(ct.slice_sources)
    sources[3] = ("", -1)
    resampled = Volume(ct.array, ct.spacing_mm, ct.origin, ct.direction, metadata=ct.metadata,
                       slice_sources=sources)  # fmt: skip
    ruler, _, ellipse, _ = _measurements(ct)  # on slices 3 and 4
    out = export_sr(resampled, [ruler, ellipse], [], None, tmp_path / "sr.dcm")
    assert dciodvfy_errors(out) == []
    first, second = hd.sr.srread(out).content.get_planar_roi_measurement_groups()
    assert first.roi.value_type.value == "SCOORD3D"
    assert np.allclose(first.roi.value[0], ct.voxel_to_world((3, 2, 3)), atol=1e-4)
    assert second.roi.value_type.value == "SCOORD"


def test_a_rectangle_on_a_source_image_is_a_closed_polyline(ct, labelled, tmp_path):
    """An axial rectangle lies on a source image: SCOORD, whose graphic types have no POLYGON;
    the SR holds it as a closed POLYLINE (first corner repeated), with every other kind."""
    labelmap, seg_path = labelled
    spacing = (ct.spacing_mm[1], ct.spacing_mm[0])
    box = RectangleROI(plane=Plane.AXIAL, slice_index=4, spacing_mm=spacing,
                       corner0=(2, 3), corner1=(9, 11), label="box")  # fmt: skip
    measurements = [*_measurements(ct)[:3], box]
    out = export_sr(ct, measurements, label_statistics(labelmap, ct), seg_path, tmp_path / "s.dcm")
    assert dciodvfy_errors(out) == []
    *_, rectangle = hd.sr.srread(out).content.get_planar_roi_measurement_groups()
    region = rectangle.roi
    assert region.value_type.value == "SCOORD" and region.graphic_type.value == "POLYLINE"
    assert np.allclose(region.value, [[3.5, 2.5], [11.5, 2.5], [11.5, 9.5], [3.5, 9.5],
                                      [3.5, 2.5]])  # fmt: skip
    want = roi_statistics(box, np.asarray(extract_slice(ct, Plane.AXIAL, 4)))
    assert _values(rectangle)["Area"][0] == pytest.approx(want.area_mm2)


def _every_kind(ct: Volume):
    spacing = (ct.spacing_mm[1], ct.spacing_mm[0])
    box = RectangleROI(plane=Plane.AXIAL, slice_index=4, spacing_mm=spacing,
                       corner0=(2, 3), corner1=(9, 11), label="box")  # fmt: skip
    return [*_measurements(ct), box]  # ruler, angle, ellipse, coronal and axial rectangles


def test_export_with_every_measurement_kind_and_a_copy(ct, tmp_path):
    """SEG, SR and de-identified copy in one export: every file valid, audited once in place."""
    labelmap = LabelMap.empty_like(ct)
    labelmap.table.add("Liver")
    labelmap.layers[0][2:7, 4:20, 3:15] = 1
    out = tmp_path / "export"
    out.mkdir()
    audit = AuditLog(tmp_path / "workspace")
    targets = SeriesExport(out / "seg.dcm", out / "sr.dcm")
    files = [Path(path) for path, _ in ct.slice_sources]
    written, summary = export_series(
        ct, labelmap, _every_kind(ct), targets, audit, deid=DeidCopy(out / "copy", files)
    )
    assert written == [out / "seg.dcm", out / "sr.dcm"]
    assert dciodvfy_errors(out / "sr.dcm") == [] and dciodvfy_errors(out / "seg.dcm") == []
    planar = hd.sr.srread(out / "sr.dcm").content.get_planar_roi_measurement_groups()
    assert len(planar) == 5
    assert len(summary.written) == len(files) + 2 and not summary.errors
    assert sorted(p.name for p in out.iterdir()) == ["copy", "seg.dcm", "sr.dcm"]  # no .tmp-
    actions = [e.action for e in audit.read().entries]
    assert actions == ["seg_exported", "sr_exported", "deid_exported"]


def test_a_failed_export_leaves_nothing_and_is_logged(ct, tmp_path, monkeypatch):
    """The SR writer fails after the SEG was written: no SEG, no SR, no copy, no temporary is
    left; the audit log has the failure and no export; the error names the SR's path."""
    labelmap = LabelMap.empty_like(ct)
    labelmap.table.add("Liver")
    labelmap.layers[0][2:7, 4:20, 3:15] = 1
    out = tmp_path / "export"
    out.mkdir()
    (out / "sr.dcm").write_bytes(b"an earlier export")  # kept as it was

    def fail(volume, measurements, stats, seg, path):
        assert Path(seg).is_file()  # the SEG is written by now
        Path(path).write_bytes(b"half an SR")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(dicom_export, "export_sr", fail)
    audit = AuditLog(tmp_path / "workspace")
    targets = SeriesExport(out / "seg.dcm", out / "sr.dcm")
    files = [Path(path) for path, _ in ct.slice_sources]
    with pytest.raises(ValueError, match=r"sr\.dcm: cannot write it \(No space left") as caught:
        export_series(ct, labelmap, _every_kind(ct), targets, audit,
                      deid=DeidCopy(out / "copy", files))  # fmt: skip
    assert ".tmp-" not in str(caught.value)
    assert [p.name for p in out.iterdir()] == ["sr.dcm"]
    assert (out / "sr.dcm").read_bytes() == b"an earlier export"
    (entry,) = audit.read().entries
    assert entry.action == "export_failed" and "No space left" in entry.details["error"]
    assert str(out / "seg.dcm") in entry.details["outputs"]
