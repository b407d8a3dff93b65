"""Generated series with known geometry and pixels: order, gaps, spacing, orientation, encodings."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_testing import (
    assert_each_file_once,
    assert_geometry_matches_files,
    patch_files,
    ramp_volume,
    rotation,
    set_positions,
)
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    generate_uid,
)

from medgui.core import load_volume, scan
from medgui.core.dicom import pixels as px
from medgui.core.dicom.write import SeriesInfo

pytestmark = pytest.mark.timeout(60)
scan_module = importlib.import_module("medgui.core.io.scan")  # the module, not the function


def _only_image_series(folder):
    found = scan(folder)
    [series] = found.image_series
    return found, series


def test_shuffled_names_are_ordered_by_position(make_series):
    source, paths = make_series("shuffled", shuffle_names=True)
    volume = load_volume(paths[0].parent)
    np.testing.assert_array_equal(volume.array, source.array)
    assert [p for p, _ in volume.slice_sources] == [str(p) for p in paths]
    np.testing.assert_allclose(volume.origin, source.origin, atol=1e-4)
    np.testing.assert_allclose(volume.spacing_mm, source.spacing_mm, atol=1e-4)
    assert volume.warnings == []
    assert_geometry_matches_files(volume)


def test_ct_is_in_hounsfield_units(make_series):
    source = ramp_volume(shape=(16, 16, 16), start=-1024)  # every HU from -1024 to 3071
    _, paths = make_series("ct", source, modality="CT")
    volume = load_volume(paths[0].parent)
    np.testing.assert_array_equal(volume.array, source.array)
    assert volume.array.min() == -1024 and volume.array.max() == 3071


def test_descending_positions_come_out_ascending(make_series):
    # Slice k of the written volume lies *below* slice k-1: the normal is -z.
    source = ramp_volume(direction=np.diag([1.0, 1.0, -1.0]))
    _, paths = make_series("descending", source)
    volume = load_volume(paths[0].parent)
    np.testing.assert_array_equal(volume.array, source.array[::-1])
    assert volume.slice_sources[0][0] == str(paths[-1])
    np.testing.assert_allclose(volume.direction[:, 2], [0, 0, 1], atol=1e-6)
    assert_geometry_matches_files(volume)


def test_oblique_geometry_is_exact(make_series):
    source = ramp_volume(direction=rotation(25, -10, 40), origin=(101.5, -37.25, 12.0))
    _, paths = make_series("oblique", source, shuffle_names=True)
    volume = load_volume(paths[0].parent)
    np.testing.assert_array_equal(volume.array, source.array)
    np.testing.assert_allclose(volume.direction, source.direction, atol=1e-6)
    assert_geometry_matches_files(volume, samples=30)
    # voxel ↔ world round trip through the one place that defines it
    ijk = np.array([[3.0, 7.0, 11.0], [31.0, 0.0, 19.0]])
    np.testing.assert_allclose(volume.world_to_voxel(volume.voxel_to_world(ijk)), ijk, atol=1e-9)


def test_gap_keeps_true_positions(make_series):
    source, paths = make_series("gap")
    for path in paths[7:9]:
        path.unlink()
    volume = load_volume(paths[0].parent)
    assert volume.shape_zyx == source.shape_zyx
    assert any("2 missing slice" in w for w in volume.warnings), volume.warnings
    kept = [k for k in range(20) if k not in (7, 8)]
    np.testing.assert_array_equal(volume.array[kept], source.array[kept])
    assert [volume.slice_sources[k] for k in (7, 8)] == [("", -1), ("", -1)]
    assert volume.array[7].max() == volume.array[kept].min()  # blank, at the lowest value
    assert_geometry_matches_files(volume)


def test_uneven_spacing_is_resampled(make_series):
    source, paths = make_series("uneven", ramp_volume(shape=(8, 16, 16)))
    z = [0.0, 2.0, 4.0, 6.0, 9.0, 12.0, 15.0, 18.0]  # 2 mm, then 3 mm
    set_positions(paths, [(0.0, 0.0, v) for v in z])
    volume = load_volume(paths[0].parent)
    assert any("uneven slice spacing" in w and "resampled" in w for w in volume.warnings)
    assert volume.spacing_mm[2] == pytest.approx(2.0)
    assert volume.shape_zyx[0] == 10  # 0, 2, ..., 18 mm
    for k, position in enumerate(z):
        if position % 2 == 0:  # on the new grid: the acquired slice itself
            kk = int(position // 2)
            np.testing.assert_array_equal(volume.array[kk], source.array[k])
            assert volume.slice_sources[kk][0] == str(paths[k])
    # 8 mm lies between the slices at 6 and 9 mm, two thirds of the way
    a, b = source.array[3].astype(float), source.array[4].astype(float)
    np.testing.assert_array_equal(volume.array[4], np.rint(a + (b - a) * 2 / 3))
    assert volume.slice_sources[4] == ("", -1)  # interpolated: from no single file
    assert len(volume.slice_sources) == volume.shape_zyx[0]


def test_two_series_in_one_folder(make_series, tmp_path):
    folder = tmp_path / "mixed"
    make_series("one", folder=folder)
    make_series("two", ramp_volume(shape=(5, 32, 32)), folder=folder / "more")
    found = scan(folder)
    assert sorted(s.shape_zyx[0] for s in found.image_series) == [5, 20]
    with pytest.raises(ValueError, match=r"holds 2 series") as caught:
        load_volume(folder)
    assert str(folder) in str(caught.value)
    # each series on its own loads
    assert sorted(load_volume(s).shape_zyx[0] for s in found.image_series) == [5, 20]


def test_localizer_is_split_into_a_part(make_series, tmp_path):
    folder = tmp_path / "with-scout"
    info = SeriesInfo(series_description="axial", window_center=None)
    source, axial = make_series("axial", info=info, folder=folder)
    scout = ramp_volume(shape=(3, 32, 32), direction=rotation(0, 90, 0), start=-5000)
    write_info = SeriesInfo(**{**info.__dict__, "series_description": "scout"})
    _, scouts = make_series("scout", scout, info=write_info, folder=folder / "scout")
    found = scan(folder)
    assert_each_file_once(found, axial + scouts)
    main, part = sorted(found.image_series, key=lambda s: s.uid)
    assert part.uid == f"{main.uid}#part2" and len(part.files) == 3
    assert "different orientation" in part.description
    volume = load_volume(main)
    np.testing.assert_array_equal(volume.array, source.array)
    assert any("1 other part" in w for w in volume.warnings), volume.warnings
    localizer = load_volume(part)
    np.testing.assert_array_equal(localizer.array, scout.array)
    assert_geometry_matches_files(localizer)
    # the folder holds one series (in two parts): loading it picks the main part
    assert load_volume(folder).shape_zyx == source.shape_zyx


def test_monochrome1_is_inverted(make_series):
    source, paths = make_series("mono1", info=SeriesInfo(window_center=100.0, window_width=50.0))
    patch_files(paths, PhotometricInterpretation="MONOCHROME1")
    volume = load_volume(paths[0].parent)
    # signed 16-bit stored values: lowest + highest = -1, so v becomes -1 - v
    np.testing.assert_array_equal(volume.array, -1 - source.array)
    assert volume.metadata["WindowCenter"] == -1 - 100.0


def _write_multiframe(path, volume, order) -> None:
    """An enhanced MR object holding the slices of `volume` in `order`, positioned per frame."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientID, ds.PatientName = "MR", "MF-1", "Multi^Frame"
    ds.NumberOfFrames = len(order)
    ds.Rows, ds.Columns = volume.array.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    orientation, measures, shared = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = [f"{v:.8f}" for v in volume.direction[:, :2].T.ravel()]
    measures.PixelSpacing = [volume.spacing_mm[1], volume.spacing_mm[0]]
    measures.SliceThickness = volume.spacing_mm[2]
    shared.PlaneOrientationSequence, shared.PixelMeasuresSequence = [orientation], [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for k in order:
        position, frame = Dataset(), Dataset()
        position.ImagePositionPatient = [f"{v:.6f}" for v in volume.voxel_to_world((0, 0, k))]
        frame.PlanePositionSequence = [position]
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.PixelData = volume.array[order].astype("<i2").tobytes()
    ds.save_as(path, enforce_file_format=True)


def test_multi_frame_frames_become_positioned_slices(tmp_path):
    source = ramp_volume(shape=(12, 24, 20), direction=rotation(0, 0, 30))
    order = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6]  # frames stored out of position order
    path = tmp_path / "enhanced.dcm"
    _write_multiframe(path, source, order)
    volume = load_volume(path)
    np.testing.assert_array_equal(volume.array, source.array)
    assert [frame for _, frame in volume.slice_sources] == [order.index(k) for k in range(12)]
    np.testing.assert_allclose(volume.spacing_mm, source.spacing_mm, atol=1e-5)
    assert not volume.metadata["frames_are_time"]
    assert_geometry_matches_files(volume)


def test_gantry_tilt_keeps_exact_positions(make_series):
    source, paths = make_series("tilt", ramp_volume(shape=(10, 16, 16)))
    positions = [source.voxel_to_world((0, 0, k)) + (0.0, 0.4 * k, 0.0) for k in range(10)]
    set_positions(paths, positions)
    volume = load_volume(paths[0].parent)
    assert any("gantry tilt" in w for w in volume.warnings), volume.warnings
    np.testing.assert_array_equal(volume.array, source.array)
    for k, position in enumerate(positions):
        np.testing.assert_allclose(volume.voxel_to_world((0, 0, k)), position, atol=1e-4)
    assert_geometry_matches_files(volume)


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, RLELossless], ids=["j2k", "rle"])
def test_compressed_series_equal_the_uncompressed(make_series, monkeypatch, syntax):
    pools = []
    real_pool = px.decode_pool
    monkeypatch.setattr(px, "decode_pool", lambda: pools.append(1) or real_pool())
    source = ramp_volume(shape=(10, 32, 32), start=-3000)
    _, plain = make_series("plain", source)
    _, packed = make_series("packed", source, transfer_syntax=syntax)
    assert pydicom.dcmread(packed[0]).file_meta.TransferSyntaxUID == syntax
    expected, volume = load_volume(plain[0].parent), load_volume(packed[0].parent)
    assert pools, "10 compressed files should decode in the worker pool"
    np.testing.assert_array_equal(volume.array, expected.array)
    np.testing.assert_array_equal(volume.array, source.array)
    assert volume.warnings == [] and "incomplete" not in volume.metadata


def test_scan_index_rereads_only_what_changed(make_series, monkeypatch):
    _, paths = make_series("indexed", ramp_volume(shape=(6, 16, 16)))
    folder = paths[0].parent
    read = []
    real_reader = scan_module.read_instance_header
    monkeypatch.setattr(
        scan_module, "read_instance_header", lambda p: read.append(p) or real_reader(p)
    )
    first = scan(folder)
    assert len(read) == 6
    index_file = importlib.import_module("medgui.core.io.index").default_index().path
    assert index_file.is_file() and index_file.parent == Path(os.environ["MEDGUI_DATA_DIR"])
    read.clear()
    second = scan(folder)
    assert read == []
    assert [s.to_json() for s in second.series] == [s.to_json() for s in first.series]
    stat = paths[2].stat()
    os.utime(paths[2], ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    third = scan(folder)
    assert read == [str(paths[2])]
    assert third.image_series[0].shape_zyx == (6, 16, 16)
    # A private index (index=False) reads everything again.
    read.clear()
    scan(folder, index=False)
    assert len(read) == 6


def test_parallel_header_reading_equals_serial(make_series, monkeypatch):
    _, paths = make_series("parallel", ramp_volume(shape=(12, 16, 16)), shuffle_names=True)
    (paths[0].parent / "notes.txt").write_text("not DICOM")
    serial = scan(paths[0].parent, index=False)
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_FILES", 1)  # worker processes from 1 file
    parallel = scan(paths[0].parent, index=False)
    assert [s.to_json() for s in parallel.series] == [s.to_json() for s in serial.series]
    assert parallel.errors == serial.errors and len(parallel.errors) == 1
