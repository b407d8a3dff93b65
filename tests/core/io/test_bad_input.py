"""Bad input beside good series: good files still load, every bad one is named with a reason."""

from __future__ import annotations

import importlib
import os
import sqlite3
import struct
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_testing import PYDICOM_FILES, assert_each_file_once, assert_plausible, ramp_volume
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEG2000Lossless, RLELossless

from medgui.cli import main
from medgui.core import load_volume, scan
from medgui.core.dicom import pixels as px
from medgui.core.dicom.header import read_instance_header
from medgui.core.dicom.instance import DicomReadError
from medgui.core.dicom.write import SeriesInfo
from medgui.core.io import index as scan_index
from medgui.core.io.index import ScanIndex
from medgui.core.io.itk import write_itk_volume
from medgui.core.util.worker_pool import WorkerPool

load_module = importlib.import_module("medgui.core.io.load")  # the module, not the function
scan_module = importlib.import_module("medgui.core.io.scan")
ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(60)
HUGE = 0xFFFFFFF0


def _replace(path: Path, old: bytes, new: bytes) -> None:
    """Overwrite bytes in a file in place (same length, so every offset stays valid)."""
    assert len(old) == len(new)
    data = path.read_bytes()
    assert data.count(old) == 1, old
    path.write_bytes(data.replace(old, new))


def _cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _damage_codestream(path: Path) -> None:
    """Keep the DICOM structure, wreck the JPEG 2000 main header (SIZ segment)."""
    data = bytearray(path.read_bytes())
    start = data.find(b"\xff\x4f\xff\x51")
    assert start > 0
    data[start + 4 : start + 20] = bytes(16)
    path.write_bytes(bytes(data))


def _bare_dataset(source: Path, target: Path) -> None:
    """The same dataset without preamble or meta header (implicit VR little endian)."""
    ds = pydicom.dcmread(source)
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    del ds.file_meta
    ds.preamble = None
    ds.save_as(target, implicit_vr=True, little_endian=True)


def _huge_length(source: Path, target: Path) -> None:
    """A copy whose meta header declares a 4 GB value: (0002,0001) OB, 4-byte length."""
    data = bytearray(source.read_bytes())
    at = data.find(b"\x02\x00\x01\x00OB\x00\x00")
    data[at + 8 : at + 12] = struct.pack("<I", HUGE)
    target.write_bytes(bytes(data))


@pytest.fixture
def messy_folder(make_series, tmp_path):
    """Good series A (uncompressed) and B (JPEG 2000) with one bad slice each, and junk."""
    folder = tmp_path / "messy"
    a_source, a = make_series("A", ramp_volume(shape=(6, 32, 32)), folder=folder / "a")
    b_source, b = make_series(
        "B", ramp_volume(shape=(8, 32, 32), start=-900), folder=folder / "b",
        transfer_syntax=JPEG2000Lossless,
    )  # fmt: skip
    _cut(a[4], a[4].stat().st_size - 100)  # pixel data cut short
    _damage_codestream(b[3])
    junk = folder / "junk"
    junk.mkdir()
    (junk / "header_cut.dcm").write_bytes(a[0].read_bytes()[:300])
    (junk / "notes.txt").write_text("not an image\n")
    (junk / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (junk / "empty.dcm").write_bytes(b"")
    _huge_length(a[1], junk / "huge_length.dcm")
    _bare_dataset(a[2], folder / "raw.dcm")
    c_source, (garbage,) = make_series("C", ramp_volume(shape=(1, 32, 32)), folder=folder / "c")
    _replace(garbage, b"-11\\-12.5\\30", b"abc\\de\\fghij")  # ImagePositionPatient
    _replace(garbage, b"0.8\\0.7", b"0.0\\-.7")  # PixelSpacing: zero and negative
    _replace(garbage, b"\x18\x00\x50\x00DS", b"\x18\x00\x50\x00ZZ")  # SliceThickness: bad VR
    _, (unsupported,) = make_series("D", ramp_volume(shape=(1, 32, 32)), folder=folder / "d")
    ds = pydicom.dcmread(unsupported)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder
    ds.PixelData = encapsulate([b"not really mpeg" * 8])
    ds.save_as(unsupported, enforce_file_format=True)
    return {
        "folder": folder,
        "a": (a_source, a),
        "b": (b_source, b),
        "c": (c_source, garbage),
        "raw": folder / "raw.dcm",
        "junk": junk,
        "unsupported": unsupported,
    }


def _series_of(found, path: Path):
    [series] = [s for s in found.series if str(path) in s.files]
    return series


def test_every_file_is_placed_and_junk_is_named(messy_folder):
    folder, junk = messy_folder["folder"], messy_folder["junk"]
    found = scan(folder)
    assert_each_file_once(found, [p for p in folder.rglob("*") if p.is_file()])
    reasons = {Path(e.path).name: e.reason for e in found.errors}
    assert set(reasons) == {p.name for p in junk.iterdir()}
    assert reasons["notes.txt"] == reasons["picture.png"] == "not a DICOM file"
    assert reasons["empty.dcm"] == "not a DICOM file"
    assert "past the end of the file" in reasons["huge_length.dcm"]
    # The fast header walker reports a header cut between elements as what it sees.
    header_cut = reasons["header_cut.dcm"]
    assert "truncated" in header_cut or header_cut == "image object without pixel data"
    with pytest.raises(DicomReadError, match="truncated file"):  # the pydicom reader says why
        read_instance_header(junk / "header_cut.dcm", fast=False)


def test_uncompressed_series_with_a_cut_slice_loads_incomplete(messy_folder):
    source, paths = messy_folder["a"]
    volume = load_volume(_series_of(scan(messy_folder["folder"]), paths[0]))
    assert volume.metadata["incomplete"] is True
    [warning] = [w for w in volume.warnings if w.startswith("incomplete: ")]
    assert paths[4].name in warning and "truncated pixel data" in warning
    good = [0, 1, 2, 3, 5]
    np.testing.assert_array_equal(volume.array[good], source.array[good])


def test_compressed_series_with_a_damaged_frame_loads_incomplete(messy_folder):
    source, paths = messy_folder["b"]
    volume = load_volume(_series_of(scan(messy_folder["folder"]), paths[0]))  # 8 files: pool
    assert volume.metadata["incomplete"] is True
    [warning] = [w for w in volume.warnings if w.startswith("incomplete: ")]
    assert paths[3].name in warning and "cannot decode JPEG 2000" in warning
    assert "unsupported" not in warning  # the syntax is supported; this frame is damaged
    good = [k for k in range(8) if k != 3]
    np.testing.assert_array_equal(volume.array[good], source.array[good])


def test_bare_dataset_without_meta_header_loads(messy_folder):
    source, _ = messy_folder["a"]
    with open(messy_folder["raw"], "rb") as fh:
        assert fh.read(132)[128:] != b"DICM"
    volume = load_volume(messy_folder["raw"])
    np.testing.assert_array_equal(volume.array[0], source.array[2])


def test_garbage_values_load_with_warnings(messy_folder):
    source, path = messy_folder["c"]
    volume = load_volume(path)
    assert_plausible(volume)
    np.testing.assert_array_equal(volume.array, source.array)
    assert any("invalid PixelSpacing" in w for w in volume.warnings), volume.warnings
    assert any("no usable ImagePositionPatient" in w for w in volume.warnings)


def test_unsupported_compression_is_named(messy_folder):
    with pytest.raises(DicomReadError) as caught:
        load_volume(messy_folder["unsupported"])
    assert "unsupported transfer syntax MPEG2" in caught.value.reason
    assert caught.value.path == str(messy_folder["unsupported"])


def test_nonexistent_path_and_junk_folder(tmp_path, messy_folder):
    with pytest.raises(FileNotFoundError):
        load_volume(tmp_path / "nowhere")
    junk = messy_folder["junk"]
    with pytest.raises(ValueError, match="no loadable image series") as caught:
        load_volume(junk)
    assert str(junk) in str(caught.value) and "not a DICOM file" in str(caught.value)


@pytest.mark.parametrize("where", ["meta", "implicit"])
def test_declared_huge_length_allocates_nothing(make_series, tmp_path, where):
    _, (path,) = make_series("E", ramp_volume(shape=(1, 32, 32)))
    bad = tmp_path / "huge.dcm"
    if where == "meta":
        _huge_length(path, bad)
    else:  # implicit VR: every element has a 4-byte length; wreck PatientName's
        ds = pydicom.dcmread(path)
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
        ds.save_as(bad, enforce_file_format=True)
        data = bytearray(bad.read_bytes())
        at = data.find(b"\x10\x00\x10\x00", 132)
        data[at + 4 : at + 8] = struct.pack("<I", HUGE)
        bad.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(DicomReadError, match="past the end of the file"):
            read_instance_header(bad, fast=False)  # the pydicom reader, the reference
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6, f"{peak / 1e6:.0f} MB"


def test_scan_of_declared_huge_length_allocates_nothing(make_series, tmp_path):
    _, (path,) = make_series("E", ramp_volume(shape=(1, 32, 32)))
    _huge_length(path, tmp_path / "huge.dcm")
    tracemalloc.start()
    try:
        found = scan(tmp_path / "huge.dcm", index=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "past the end of the file" in found.errors[0].reason
    assert peak < 200e6, f"{peak / 1e6:.0f} MB"


def _die(path: str):
    os._exit(3)  # a decoder that takes its worker process down


def test_a_dying_decoder_worker_is_named_not_raised(make_series, monkeypatch):
    source = ramp_volume(shape=(8, 32, 32))
    _, paths = make_series("F", source, transfer_syntax=JPEG2000Lossless)
    # A pool of our own: the crash must not break the session's pool for other tests.
    pool = WorkerPool(2)
    monkeypatch.setattr(px, "decode_pool", lambda: pool)
    try:
        with monkeypatch.context() as dying:
            dying.setattr(load_module, "_decode_guarded", _die)
            with pytest.raises(DicomReadError, match="decoding process died"):
                load_volume(paths[0].parent)
        # The same pool serves the next load: it replaced its broken processes itself.
        np.testing.assert_array_equal(load_volume(paths[0].parent).array, source.array)
    finally:
        pool.shutdown()


def test_a_series_with_no_readable_slice_raises(make_series):
    # A blank volume would pass for an image: the reason is raised instead.
    info = SeriesInfo(series_description="lonely")
    _, (path,) = make_series("G", ramp_volume(shape=(1, 32, 32)), info=info)
    _cut(path, path.stat().st_size - 10)
    with pytest.raises(DicomReadError, match="truncated pixel data"):
        load_volume(path)


def test_a_folder_series_with_no_readable_slice_names_its_files(make_series):
    _, paths = make_series("H", ramp_volume(shape=(2, 32, 32)))
    for path in paths:
        _cut(path, path.stat().st_size - 10)
    with pytest.raises(DicomReadError, match="none of its 2 image files is readable") as caught:
        load_volume(paths[0].parent)
    assert caught.value.path == str(paths[0].parent)
    assert paths[0].name in caught.value.reason and paths[1].name in caught.value.reason


def test_rle_decoder_panic_is_a_reason(tmp_path):
    """pylibjpeg-rle panics (pyo3 PanicException, a BaseException) on runs that overflow."""
    ds = pydicom.dcmread(PYDICOM_FILES / "MR_small_RLE.dcm")
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    second_segment = struct.unpack_from("<I", frame, 8)[0]
    overflow = b"\x81\x00" * 40  # 40 runs of 128 bytes into a 4096-byte segment
    header = bytearray(frame[:64])
    struct.pack_into("<I", header, 8, 64 + len(overflow))
    ds.PixelData = encapsulate([bytes(header) + overflow + frame[second_segment:]])
    ds.save_as(tmp_path / "rle.dcm")
    with pytest.raises(DicomReadError, match="cannot decode RLE Lossless") as caught:
        load_volume(tmp_path / "rle.dcm")
    assert "index out of bounds" in caught.value.reason


# Files that hung or crashed the commands that read folders: scan, convert, view --screenshot.
# (The io helper's cases: pipes, absurd declared sizes, non-UTF-8 names, a failing index.)


def _medgui(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    """The command in a child process: SimpleITK aborting must not take pytest down with it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env["MEDGUI_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "medgui", *args],
        capture_output=True, text=True, env=env, timeout=120, errors="backslashreplace",
    )  # fmt: skip


def _every_command(folder: Path, tmp_path: Path) -> dict[str, subprocess.CompletedProcess]:
    data = tmp_path / "data"
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return {
        "scan": _medgui("scan", str(folder), data_dir=data),
        "convert": _medgui("convert", str(folder), str(out / "v.nii.gz"), data_dir=data),
        "view": _medgui(
            "view",
            str(folder),
            "--screenshot",
            str(out / "v.png"),
            "--size",
            "64x64",
            data_dir=data,
        ),  # fmt: skip
    }


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_a_folder_is_skipped_not_read(make_series, tmp_path):
    _, paths = make_series("P", ramp_volume(shape=(3, 16, 16)))
    pipe = paths[0].parent / "IM99999.dcm"
    os.mkfifo(pipe)
    found = scan(paths[0].parent)
    [problem] = found.errors
    assert problem.path == str(pipe) and "not a regular file (a named pipe)" in problem.reason
    assert [s.number_of_images for s in found.image_series] == [3]
    for command, result in _every_command(paths[0].parent, tmp_path).items():
        assert result.returncode == 0, (command, result.stderr)
    assert (
        "IM99999.dcm: not a regular file"
        in _medgui("scan", str(pipe.parent), data_dir=tmp_path / "data").stdout
    )


def _declare_frames(path: Path, frames: int, rows: int, columns: int) -> None:
    ds = pydicom.dcmread(path)
    ds.NumberOfFrames, ds.Rows, ds.Columns = frames, rows, columns
    ds.save_as(path)


@pytest.mark.slow
@pytest.mark.parametrize("syntax", ["uncompressed", "rle"])
def test_a_header_declaring_petabytes_is_refused_before_allocating(make_series, tmp_path, syntax):
    options = {"transfer_syntax": RLELossless} if syntax == "rle" else {}
    _, (path,) = make_series("X", ramp_volume(shape=(1, 16, 16)), **options)
    _declare_frames(path, 65535, 65535, 65535)
    tracemalloc.start()
    try:
        with pytest.raises(DicomReadError) as caught:
            load_volume(path.parent)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.path == str(path)
    assert peak < 200 * 2**20
    expected = "truncated pixel data" if syntax == "uncompressed" else "of memory"
    assert expected in caught.value.reason
    results = _every_command(path.parent, tmp_path)
    for command in ("convert", "view"):
        result = results[command]
        assert result.returncode == 1, (command, result.stderr)
        assert path.name in result.stderr and "Unable to allocate" not in result.stderr
        assert "Traceback" not in result.stderr


LATIN1 = os.fsdecode(b"caf\xe9")  # a Latin-1 name from an old CD: not valid UTF-8


@pytest.mark.slow
def test_a_name_that_is_not_utf8_never_fails_the_rest(make_series, tmp_path):
    _, paths = make_series("L", ramp_volume(shape=(3, 16, 16)))
    odd = paths[1].with_name(f"{LATIN1}.dcm")
    paths[1].rename(odd)
    nifti = paths[0].parent / f"{LATIN1}.nii.gz"
    write_itk_volume(load_volume(paths[0]), nifti)  # an image file with such a name too
    found = scan(paths[0].parent)
    assert not found.errors
    dicom = [s for s in found.image_series if s.format == "dicom"]
    assert [s.number_of_images for s in dicom] == [3] and odd.as_posix() in dicom[0].files
    assert scan(paths[0].parent).series[0].uid  # second scan: served by the index
    results = _every_command(paths[0].parent, tmp_path)
    assert results["scan"].returncode == 0, results["scan"].stderr
    assert "\\udce9" in results["scan"].stdout or "caf" in results["scan"].stdout
    # Several series (the DICOM and the odd-named NIfTI, a 1-slice copy): named one by one.
    data = tmp_path / "data"
    converted = tmp_path / f"{LATIN1}-out.nii.gz"
    result = _medgui("convert", str(nifti), str(converted), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert converted.is_file() and not list(tmp_path.glob(".medgui-*"))
    result = _medgui("convert", str(paths[0].parent), str(tmp_path / "d.nii.gz"), "--series",
                     "L", data_dir=data)  # fmt: skip
    assert result.returncode == 0, result.stderr
    shot = _medgui("view", str(nifti), "--screenshot", str(tmp_path / "n.png"), data_dir=data)
    assert shot.returncode == 0, shot.stderr


def test_a_failing_study_index_does_not_fail_the_scan(make_series, monkeypatch, capsys):
    _, paths = make_series("F", ramp_volume(shape=(3, 16, 16)))

    def full(*_args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ScanIndex, "store", full)
    monkeypatch.setattr(scan_module, "_warned_about_index", [])
    with pytest.warns(RuntimeWarning, match="study index is unavailable.*disk is full"):
        assert main(["scan", str(paths[0].parent)]) == 0
    assert "1 series" in capsys.readouterr().out
    monkeypatch.setattr(scan_index, "default_index", full)
    monkeypatch.setattr(scan_module, "default_index", full)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process, not on every scan
        assert len(scan(paths[0].parent).image_series) == 1
