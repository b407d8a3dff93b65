"""`medgui deid` and `medgui sr`, run in-process as the console script runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from medgui.cli import main
from medgui.core.annotations.measurements import Ruler
from medgui.core.annotations.store import series_key
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.workspace.audit import read_audit
from medgui.core.workspace.store import SeriesWork, Workspace

NAME, PATIENT_ID = "Roe^Richard", "PID-778899"


@pytest.fixture
def series(tmp_path) -> Path:
    array = np.arange(6 * 16 * 12, dtype=np.int16).reshape(6, 16, 12)
    info = SeriesInfo(patient_name=NAME, patient_id=PATIENT_ID, accession_number="ACC-5566")
    paths = write_dicom_series(
        Volume(array, (0.8, 0.7, 2.0), (0, 0, 0), np.eye(3)), tmp_path / "ct", info, modality="CT"
    )
    return paths[0].parent


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.dcm"))


def test_deid_with_mapping_file_is_repeatable(series, tmp_path, capsys):
    mapping, workspace = tmp_path / "mapping.csv", tmp_path / "ws"
    args = ["--keep-dates-shifted", "--map", str(mapping), "--workspace", str(workspace)]
    assert main(["deid", str(series), str(tmp_path / "a"), *args]) == 0
    printed = capsys.readouterr().out
    assert "6 file(s) written in 1 series" in printed and "verification: no original" in printed
    (row,) = list(csv.DictReader(mapping.open()))
    assert row["original_patient_id"] == PATIENT_ID and row["pseudonym"].startswith("ANON-")
    for path in _files(tmp_path / "a"):
        data = path.read_bytes()
        assert b"Roe" not in data and PATIENT_ID.encode() not in data and b"ACC-5566" not in data
        ds = pydicom.dcmread(path)
        assert ds.PatientID == row["pseudonym"] and ds.StudyDate != ""
    assert main(["deid", str(series), str(tmp_path / "b"), *args]) == 0
    first = [p.relative_to(tmp_path / "a") for p in _files(tmp_path / "a")]
    assert first == [p.relative_to(tmp_path / "b") for p in _files(tmp_path / "b")]
    entries = read_audit(workspace / "audit.jsonl").entries
    assert [e.action for e in entries] == ["deid_exported", "deid_exported"]
    assert entries[0].details["files"] == 6 and entries[0].details["keep_dates_shifted"]


def test_deid_refuses_an_output_that_is_not_empty(series, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    assert main(["deid", str(series), str(tmp_path / "out")]) == 1
    assert "must be new or empty" in capsys.readouterr().err


def _saved_work(series, root) -> tuple[Workspace, Ruler]:
    """A workspace under `root` holding the series' work: a "Liver" box and one ruler."""
    volume = load_volume(series)
    labelmap = LabelMap.empty_like(volume)
    labelmap.table.add("Liver")
    labelmap.layers[0][1:4, 2:9, 3:8] = 1
    ruler = Ruler(plane=Plane.AXIAL, slice_index=2, spacing_mm=(0.7, 0.8), p0=(1, 1), p1=(5, 4))
    workspace = Workspace(root / "ws")
    key = series_key(volume)
    workspace.save_series(SeriesWork(key, labelmap=labelmap, measurements=[ruler.to_dict()]))
    return workspace, ruler


def test_sr_writes_seg_and_sr_from_the_workspace(series, tmp_path, capsys):
    workspace, ruler = _saved_work(series, tmp_path)
    out = tmp_path / "report.dcm"
    assert main(["sr", str(series), "--workspace", str(workspace.root), "--out", str(out)]) == 0
    seg = tmp_path / "report_seg.dcm"
    assert capsys.readouterr().out.split() == [str(seg), str(out)]
    sr = hd.sr.srread(out)
    (planar,) = sr.content.get_planar_roi_measurement_groups()
    assert planar.get_measurements()[0].value == pytest.approx(ruler.length_mm)
    (volumetric,) = sr.content.get_volumetric_roi_measurement_groups()
    assert volumetric.referenced_segment.referenced_sop_instance_uid == (
        pydicom.dcmread(seg).SOPInstanceUID
    )
    actions = [e.action for e in read_audit(workspace.root / "audit.jsonl").entries]
    assert actions == ["seg_exported", "sr_exported"]


def test_sr_without_saved_work_says_so(series, tmp_path, capsys):
    out = tmp_path / "report.dcm"
    assert main(["sr", str(series), "--workspace", str(tmp_path / "ws"), "--out", str(out)]) == 1
    assert "nothing to report" in capsys.readouterr().err and not out.exists()


def test_sr_into_a_missing_folder_names_it(series, tmp_path, capsys):
    """`--out NEWDIR/SR.dcm` with no NEWDIR: the error names the SR and says the folder does
    not exist (it used to name the hidden temporary file); nothing is written anywhere."""
    workspace, _ = _saved_work(series, tmp_path)
    out = tmp_path / "new" / "SR.dcm"
    assert main(["sr", str(series), "--workspace", str(workspace.root), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert f"error: {out}: the folder {out.parent} does not exist" in error
    assert ".tmp-" not in error and not out.parent.exists()
    (entry,) = read_audit(workspace.root / "audit.jsonl").entries
    assert entry.action == "export_failed" and str(out) in entry.details["outputs"]
