"""DICOM SEG: valid files (dciodvfy), exact round trips, fractional values, real SEGs, bad input."""

from __future__ import annotations

import highdicom as hd
import numpy as np
import pydicom
import pytest
from dicom_testing import dciodvfy_errors, ramp_volume, real_file

from medgui.core.dicom.write import SeriesInfo
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.labels import seg as dicom_seg
from medgui.core.labels.io import GeometryMismatchError
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.seg import export_seg
from medgui.core.labels.seg_read import import_seg, import_seg_probabilities


@pytest.fixture
def ct(make_series, tmp_path) -> Volume:
    """A generated 12-slice CT series, loaded the way the app loads it."""
    info = SeriesInfo(series_description="Axial CT")
    _, paths = make_series("ct", ramp_volume(shape=(12, 32, 24)), info=info, modality="CT")
    return load_volume(paths[0].parent)


def _overlapping(volume: Volume) -> LabelMap:
    """Liver on layer 0 and a lesion inside and beyond it on layer 1."""
    labelmap = LabelMap.empty_like(volume)
    labelmap.table.add("Liver", color=(201, 37, 45))
    lesion = labelmap.table.add("Lesion", color=(12, 250, 133), layer=1)
    lesion.category, lesion.type = "Morphologically Abnormal Structure", "Neoplasm"
    labelmap.ensure_layer(1)
    labelmap.layers[0][2:8, 4:20, 3:15] = 1
    labelmap.layers[1][6:10, 10:25, 10:20] = 2
    return labelmap


def _rows(labelmap: LabelMap) -> list[tuple]:
    """What a SEG keeps of the table (not visibility, opacity or lock)."""
    rows = labelmap.table.labels
    return [(lb.value, lb.name, lb.color, lb.layer, lb.category, lb.type) for lb in rows]


def _assert_same(got: LabelMap, want: LabelMap) -> None:
    assert len(got.layers) == len(want.layers)
    for a, b in zip(got.layers, want.layers, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert _rows(got) == _rows(want)


def test_export_is_valid_dicom(ct, tmp_path):
    out = export_seg(_overlapping(ct), ct, tmp_path / "seg.dcm")
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.SegmentsOverlap == "YES" and ds.SegmentationType == "BINARY"
    assert [s.SegmentAlgorithmType for s in ds.SegmentSequence] == ["MANUAL", "MANUAL"]
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == ct.metadata["SeriesInstanceUID"]
    codes_ = [s.SegmentedPropertyTypeCodeSequence[0].CodeValue for s in ds.SegmentSequence]
    assert codes_ == ["91772007", "108369006"]  # SNOMED CT Organ, Neoplasm


def test_round_trip_is_identical(ct, tmp_path):
    labelmap = _overlapping(ct)
    back = import_seg(export_seg(labelmap, ct, tmp_path / "seg.dcm"), ct)
    _assert_same(back, labelmap)
    assert back.matches(ct)


def test_round_trip_without_the_image_series(ct, tmp_path):
    labelmap = _overlapping(ct)
    out = export_seg(labelmap, ct, tmp_path / "seg.dcm")
    ds = pydicom.dcmread(out)
    measures = ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    del measures.SpacingBetweenSlices  # optional: then the gaps between frames decide,
    measures.SliceThickness = 1.0  # not the (thinner) slice thickness
    ds.save_as(out)
    back = import_seg(out)
    # The SEG's own grid spans the slices it holds: 2..9 of the image's.
    assert back.shape_zyx == (8, 32, 24)
    assert np.allclose(back.origin, ct.voxel_to_world((0, 0, 2)))
    assert np.allclose(back.spacing_mm, ct.spacing_mm) and np.allclose(back.direction, ct.direction)
    for got, want in zip(back.layers, labelmap.layers, strict=True):
        assert np.array_equal(got, want[2:10])


def test_values_and_layers_survive_without_overlap(ct, tmp_path):
    labelmap = LabelMap.empty_like(ct)
    labelmap.table.add("A").value = 3
    labelmap.table.add("B ünïcode 肝", layer=1).value = 7
    labelmap.ensure_layer(1)
    labelmap.table.labels[0].category = "my own category"
    labelmap.layers[0][1:3, :5, :5] = 3
    labelmap.layers[1][1:3, 10:15, 10:15] = 7
    out = export_seg(labelmap, ct, tmp_path / "seg.dcm")
    assert pydicom.dcmread(out).SegmentsOverlap == "NO"
    assert dciodvfy_errors(out) == []
    _assert_same(import_seg(out, ct), labelmap)


def test_foreign_seg_gets_segment_numbers_and_packed_layers(ct, tmp_path):
    labelmap = LabelMap.empty_like(ct)
    labelmap.table.add("A").value = 3
    labelmap.table.add("B", layer=1).value = 7
    labelmap.ensure_layer(1)
    labelmap.layers[0][1:3, :5, :5] = 3
    labelmap.layers[1][1:3, 10:15, 10:15] = 7
    out = export_seg(labelmap, ct, tmp_path / "seg.dcm")
    ds = pydicom.dcmread(out)
    for item in ds.SegmentSequence:
        del item.SegmentDescription  # as another tool would write it
    ds.save_as(out)
    back = import_seg(out, ct)
    assert [(lb.value, lb.layer) for lb in back.table.labels] == [(1, 0), (2, 0)]
    assert len(back.layers) == 1
    assert np.array_equal(back.layers[0], (labelmap.layers[0] == 3) + 2 * (labelmap.layers[1] == 7))


def test_fast_overlap_path_writes_what_highdicom_writes(ct, tmp_path, monkeypatch):
    labelmap = _overlapping(ct)
    fast = pydicom.dcmread(export_seg(labelmap, ct, tmp_path / "fast.dcm"))
    monkeypatch.setattr(dicom_seg, "_OverlapKnownSegmentation", hd.seg.Segmentation)
    reference = pydicom.dcmread(export_seg(labelmap, ct, tmp_path / "reference.dcm"))
    assert fast.PixelData == reference.PixelData
    assert fast.SegmentsOverlap == reference.SegmentsOverlap == "YES"

    def frames(ds):
        return [
            (f.SegmentIdentificationSequence[0].ReferencedSegmentNumber,
             list(f.PlanePositionSequence[0].ImagePositionPatient),
             f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
            for f in ds.PerFrameFunctionalGroupsSequence
        ]  # fmt: skip

    assert frames(fast) == frames(reference)


def test_fractional_round_trip_within_quantisation(ct, tmp_path):
    labelmap = _overlapping(ct)
    rng = np.random.default_rng(3)
    probability = (rng.random(ct.shape_zyx) * (labelmap.layers[0] == 1)).astype(np.float32)
    out = export_seg(
        labelmap, ct, tmp_path / "f.dcm", fractional=True, probabilities={1: probability},
        algorithm=("medgui-unet", "1.0"),
    )  # fmt: skip
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.SegmentationType == "FRACTIONAL" and ds.SegmentationFractionalType == "PROBABILITY"
    assert ds.SegmentSequence[0].SegmentAlgorithmType == "AUTOMATIC"
    back, probabilities = import_seg_probabilities(out, ct)
    assert np.abs(probabilities[1] - probability).max() <= 0.5 / 255 + 1e-6
    assert np.array_equal(probabilities[2], (labelmap.layers[1] == 2).astype(np.float32))
    # Labels count from probability 0.5, as stored (8-bit steps).
    assert np.array_equal(back.layers[0] == 1, np.rint(probability * 255) >= 127.5)
    assert np.array_equal(back.layers[1], labelmap.layers[1])


def test_liver_seg_from_pydicom_data_imports():
    path = real_file("liver.dcm")
    labelmap = import_seg(path)
    (liver,) = labelmap.table.labels
    assert (liver.name, liver.category, liver.type) == ("Liver", "Tissue", "Liver")
    assert labelmap.shape_zyx == (3, 512, 512)
    assert np.allclose(labelmap.spacing_mm, (0.810547, 0.810547, 1.0))
    assert np.allclose(labelmap.direction, np.eye(3))
    # highdicom's own reading, which stacks the slices the other way along the normal.
    volume = hd.seg.segread(path).get_volume(segment_numbers=[1])
    assert np.allclose(labelmap.origin, volume.affine[:3, 3] + 2 * volume.affine[:3, 0])
    assert np.array_equal(labelmap.layers[0][::-1] == 1, volume.array[..., 0] == 1)
    assert 100_000 < np.count_nonzero(labelmap.layers[0]) < 120_000


def test_multiframe_source_in_reversed_frame_order(tmp_path):
    volume = load_volume(real_file("eCT_Supplemental.dcm"))
    assert [frame for _, frame in volume.slice_sources] == [1, 0]
    labelmap = LabelMap.empty_like(volume)
    labelmap.table.add("A")
    labelmap.layers[0][0, 10:20, 10:30] = 1
    out = export_seg(labelmap, volume, tmp_path / "seg.dcm")
    assert dciodvfy_errors(out) == []
    _assert_same(import_seg(out, volume), labelmap)


def test_seg_of_another_series_is_refused(ct, make_series, tmp_path):
    out = export_seg(_overlapping(ct), ct, tmp_path / "seg.dcm")
    info = SeriesInfo(series_description="Other CT")
    _, paths = make_series("other", ramp_volume(shape=(12, 32, 24)), info=info, modality="CT")
    other = load_volume(paths[0].parent)
    with pytest.raises(ValueError, match=r"seg.dcm: this SEG was made on series .*\('Other CT'\)"):
        import_seg(out, other)


def test_frames_off_the_reference_grid_state_both_grids(ct, tmp_path):
    out = export_seg(_overlapping(ct), ct, tmp_path / "seg.dcm")
    shifted = Volume(ct.array, ct.spacing_mm, (ct.origin[0] + 1.0, *ct.origin[1:]), ct.direction)
    with pytest.raises(
        GeometryMismatchError, match=r"(?s)SEG: +24×32×8 voxels.*reference: +24×32×12"
    ):
        import_seg(out, shifted)


def test_unreadable_and_non_seg_files_are_named(ct, tmp_path):
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match="junk.dcm: not a readable DICOM file"):
        import_seg(junk)
    with pytest.raises(ValueError, match="not a DICOM SEG"):
        import_seg(ct.slice_sources[0][0])
    with pytest.raises(ValueError, match="nope.dcm"):
        import_seg(tmp_path / "nope.dcm")


def test_export_refuses_what_it_cannot_write(ct, tmp_path):
    labelmap = _overlapping(ct)
    with pytest.raises(GeometryMismatchError, match="not on the image's grid"):
        export_seg(labelmap, ramp_volume(shape=(12, 32, 24), spacing=(1, 1, 1)), tmp_path / "a.dcm")
    no_sources = Volume(ct.array, ct.spacing_mm, ct.origin, ct.direction)
    with pytest.raises(ValueError, match="needs each slice's DICOM file"):
        export_seg(labelmap, no_sources, tmp_path / "a.dcm")
    with pytest.raises(ValueError, match="nothing to export"):
        export_seg(LabelMap.empty_like(ct), ct, tmp_path / "a.dcm")
    labelmap.layers[0][0, 0, 0] = 9
    with pytest.raises(ValueError, match=r"values \[9\] have no row"):
        export_seg(labelmap, ct, tmp_path / "a.dcm")
    with pytest.raises(ValueError, match="within 0..1"):
        bad = np.full(ct.shape_zyx, np.nan, np.float32)
        export_seg(
            _overlapping(ct), ct, tmp_path / "a.dcm", fractional=True, probabilities={1: bad}
        )
    assert not (tmp_path / "a.dcm").exists()
