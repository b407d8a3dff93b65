"""`deid` on bad input and failing disks (issues 13 and 21): every input is written or named with
its reason, one bad file never stops the rest, nothing is written outside OUT, and a failed write
leaves nothing behind."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pydicom
import pydicom.filebase
import pytest
from dicom_testing import ramp_volume
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from medgui.cli import main
from medgui.core.deid.export import deidentify_folder
from medgui.core.deid.mapping import MAPPING_FIELDS, Pseudonym, PseudonymMap

NESTING = 5000  # far past Python's recursion limit


@pytest.fixture
def series(make_series, tmp_path) -> list[Path]:
    """A small good CT series in tmp_path/src."""
    _, paths = make_series(folder=tmp_path / "src", modality="CT", volume=ramp_volume())
    return paths


def _nested_file(path: Path, depth: int = NESTING) -> Path:
    """A DICOM file whose ContentSequence nests `depth` levels deep (undefined lengths)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = SecondaryCaptureImageStorage, uid, "OT"
    ds.PatientName, ds.PatientID = "Doe^Jane", "PHI-1"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.save_as(path, enforce_file_format=True)
    opening = b"\x40\x00\x30\xa7SQ\x00\x00\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    closing = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    with open(path, "ab") as handle:
        handle.write(opening * depth + closing * depth)
    return path


def _outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


def test_deeply_nested_file_fails_alone(series, tmp_path):
    bad = _nested_file(series[0].parent / "nested.dcm")
    summary = deidentify_folder(series[0].parent, tmp_path / "out")
    assert len(summary.written) == len(series) == len(_outputs(tmp_path / "out"))
    assert [line for line in summary.errors if str(bad) in line and "nested" in line] != []
    assert len(summary.errors) == 1


def test_scan_reports_a_deeply_nested_file_per_file(series, tmp_path):
    from medgui.core import scan

    bad = _nested_file(series[0].parent / "nested.dcm")
    found = scan(series[0].parent, index=False)
    assert sum(s.number_of_images for s in found.series) == len(series)
    assert [Path(e.path) for e in found.errors] == [bad]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.timeout(60)  # reading the FIFO would block forever
def test_fifo_is_skipped_with_a_reason(series, tmp_path):
    fifo = series[0].parent / "pipe.dcm"
    os.mkfifo(fifo)
    summary = deidentify_folder(series[0].parent, tmp_path / "out")  # would hang reading it
    assert len(summary.written) == len(series)
    assert summary.skipped == [f"{fifo}: not a regular file (a FIFO)"]
    assert any("skipped" in line and "FIFO" in line for line in summary.lines())


def test_duplicate_instances_are_reported(series, tmp_path, capsys):
    folder = series[0].parent
    for n in range(4):
        shutil.copy(series[0], folder / f"copy{n}.dcm")
    out = tmp_path / "out"
    status = main(["deid", str(folder), str(out)])
    printed = capsys.readouterr().out
    assert status == 1
    assert len(_outputs(out)) == len(series)
    duplicates = [line for line in printed.splitlines() if "duplicate instance" in line]
    assert len(duplicates) == 4
    assert all(str(series[0]) in line for line in duplicates)  # names the file it duplicates


def test_truncated_file_is_an_error(series, tmp_path):
    data = series[1].read_bytes()
    series[1].write_bytes(data[: len(data) - 200])  # the pixel data is cut short
    summary = deidentify_folder(series[0].parent, tmp_path / "out")
    assert len(summary.written) == len(series) - 1
    (error,) = summary.errors
    assert str(series[1]) in error and "truncated" in error


def test_overflowing_rescale_is_a_warning(series, tmp_path):
    ds = pydicom.dcmread(series[2])
    ds.RescaleSlope = "1e308"
    ds.save_as(series[2], enforce_file_format=True)
    summary = deidentify_folder(series[0].parent, tmp_path / "out")
    assert len(summary.written) == len(series)
    (warning,) = summary.warnings
    assert str(series[2]) in warning and "overflow" in warning
    assert any(line.startswith("warning: ") for line in summary.lines())


def _write_map(path: Path, pseudonym: str, offset: str = "-400", key: str = "ab" * 32) -> Path:
    path.write_text(f"{','.join(MAPPING_FIELDS)}\nPHI-OK,ANON-1,-500,{'cd' * 32}\n"
                    f"MEDGUI-DEMO-001,{pseudonym},{offset},{key}\n", encoding="utf-8")  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("pseudonym", "offset", "key", "reason"),
    [
        ("/abs/path", "-400", "ab" * 32, "pseudonym"),
        ("../../x", "-400", "ab" * 32, "pseudonym"),
        ("..", "-400", "ab" * 32, "pseudonym"),
        ("A" * 65, "-400", "ab" * 32, "pseudonym"),
        ("ANON-2", "-99999999", "ab" * 32, "date_offset_days"),
        ("ANON-2", "-400", "abc", "uid_key"),
        ("ANON-1", "-400", "ab" * 32, "two patients"),
    ],
)
def test_bad_mapping_rows_are_refused_with_their_line(
    series, tmp_path, pseudonym, offset, key, reason, capsys
):
    mapping = _write_map(tmp_path / "map.csv", pseudonym, offset, key)
    with pytest.raises(ValueError, match=rf"map\.csv: line 3: .*{reason}"):
        PseudonymMap.load(mapping)
    out = tmp_path / "work" / "out"
    status = main(["deid", str(series[0].parent), str(out), "--map", str(mapping)])
    assert status == 1 and "line 3" in capsys.readouterr().err
    written = [p for p in tmp_path.rglob("*.dcm") if not p.is_relative_to(series[0].parent)]
    assert written == []


def test_every_output_stays_inside_out(series, tmp_path):
    """Even a pseudonym that bypassed the mapping file's checks cannot write outside OUT."""
    escape = Pseudonym("MEDGUI-DEMO-001", "../../escaped", -400, "ab" * 32)
    pseudonyms = PseudonymMap({escape.original_patient_id: escape})
    out = tmp_path / "a" / "out"
    summary = deidentify_folder(series[0].parent, out, pseudonyms=pseudonyms)
    assert summary.written == {}
    assert len(summary.errors) == len(series)
    assert all("outside the output folder" in line for line in summary.errors)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "a" / "escaped").exists()


def _full_disk(monkeypatch, after_files: int) -> None:
    """pydicom's file writes fail with ENOSPC from the (after_files + 1)-th file on, after a
    part of it was written, as on a disk that fills up."""
    real_open = open
    opened = [0]

    class Filling:
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            self._handle.write(bytes(data)[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self._handle, name)

    def filling_open(*args, **kwargs):
        opened[0] += 1
        handle = real_open(*args, **kwargs)
        return handle if opened[0] <= after_files else Filling(handle)

    monkeypatch.setattr(pydicom.filebase, "open", filling_open, raising=False)


def test_full_disk_names_files_and_leaves_no_empty_folders(series, tmp_path, monkeypatch):
    _full_disk(monkeypatch, after_files=0)
    out = tmp_path / "out"
    summary = deidentify_folder(series[0].parent, out)
    assert summary.written == {}
    assert len(summary.errors) == len(series)
    for source, line in zip(series, summary.errors, strict=True):
        assert line.startswith(str(source)) and "No space left on device" in line
        assert "Traceback" not in line
        assert str(out) in line  # and where it was going
    assert list(out.rglob("*")) == []  # no half-written file, no empty folder tree


def test_full_disk_midway_keeps_the_good_files(series, tmp_path, monkeypatch):
    _full_disk(monkeypatch, after_files=2)
    summary = deidentify_folder(series[0].parent, tmp_path / "out")
    assert len(summary.written) == 2 == len(_outputs(tmp_path / "out"))
    assert len(summary.errors) == len(series) - 2
    for target in summary.written:
        assert pydicom.dcmread(target).PatientIdentityRemoved == "YES"


def test_failed_export_leaves_no_folder_tree(series, tmp_path):
    """A verification failure (here: a cancel) removes the folders it made, not only files."""
    out = tmp_path / "new" / "out"

    def cancel(done, total):
        if done == len(series):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deidentify_folder(series[0].parent, out, progress=cancel)
    assert not out.exists()


def test_mapping_round_trips_any_original_id(tmp_path):
    """The checks refuse unsafe pseudonyms, not odd IDs found in the source files."""
    pseudonyms = PseudonymMap()
    pseudonyms.for_patient("Doe, Jane\t" + "9" * 80)
    pseudonyms.for_patient("")
    path = pseudonyms.save(tmp_path / "map.csv")
    assert PseudonymMap.load(path).entries == pseudonyms.entries
