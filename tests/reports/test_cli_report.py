"""`medgui report`, run on a workspace and on a series, as a user would run it."""

from __future__ import annotations

import re

import pytest
from report_testing import disk_full_for, poppler

from medgui.cli import main
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.store import Workspace


@pytest.fixture
def workspace(planted, card, tmp_path):
    """A workspace holding the planted series' work and an active classifier."""
    torch = pytest.importorskip("torch")
    from medgui.ml.models.registry import ModelRegistry

    root = tmp_path / "workspace"
    Workspace(root).save_series(planted.work)
    # As the app's training saves a model (workers.train_worker): the registry of the root.
    ModelRegistry(root).save_version("classify", {"w": torch.zeros(2)}, card)
    assert (root / "models" / "classify" / "v1" / "card.json").is_file()
    return root


def test_report_from_a_workspace(workspace, planted, tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert main(["report", str(workspace), "--out", str(out), "--page-size", "Letter"]) == 0
    said = capsys.readouterr().err
    assert planted.work.key in said and "1 active model(s): classify" in said
    text = re.sub(r"[ \t]+", " ", poppler("pdftotext", "-layout", str(out), "-"))
    assert "32.0 mm" in text and "Lesion 256 0.41" in text
    assert "classify v1 (small_cnn)" in text and "val_auc 0.8765" in text
    assert "Draft findings <kept>." in text  # the draft saved with the series
    assert re.search(r"Page size:\s+612 x 792", poppler("pdfinfo", str(out)))
    entry = AuditLog(workspace).read().entries[-1]
    assert entry.action == "report_written" and entry.details["series"] == planted.work.key


def test_report_from_a_series_path_pseudonymised(workspace, planted, tmp_path, capsys):
    out = tmp_path / "report.html"
    args = ["report", str(planted.dicom_dir), "--workspace", str(workspace), "--out", str(out)]
    assert main([*args, "--pseudonymise"]) == 0
    assert "saved work found" in capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    assert "32.0 mm" in html and "ANON-" in html and "Doe" not in html and "PID-4711" not in html


def test_report_names_what_is_missing(tmp_path, capsys):
    empty = tmp_path / "ws"
    empty.mkdir()  # a workspace with nothing saved in it
    (empty / "workspace.json").write_text('{"format": "medgui-workspace", "version": 1}')
    assert main(["report", str(empty), "--out", str(tmp_path / "r.pdf")]) == 1
    assert "holds no saved series" in capsys.readouterr().err
    assert main(["report", str(empty), "--out", str(tmp_path / "r.txt")]) == 1
    assert "as .pdf or .html" in capsys.readouterr().err


def test_pick_series_by_key_folder_or_most_recent(tmp_path):
    from medgui.cli.report import pick_series
    from medgui.core.workspace.store import SeriesWork, folder_name

    workspace = Workspace(tmp_path / "ws")
    for key in ("1.2.3", "/data/scan.nii.gz"):
        workspace.save_series(SeriesWork(key=key, description=key))
    assert pick_series(workspace, None).key == "/data/scan.nii.gz"  # saved last
    assert pick_series(workspace, "1.2.3").key == "1.2.3"
    assert pick_series(workspace, folder_name("/data/scan.nii.gz")).key == "/data/scan.nii.gz"
    with pytest.raises(ValueError, match="no series 'nope'"):
        pick_series(workspace, "nope")


@pytest.mark.filterwarnings("ignore:The (value|PN component) length:UserWarning")
def test_very_long_values_are_cut_not_fatal(planted, tmp_path, capsys):
    """A header with 10,000+ character attributes, a 50,000-letter word as findings and a
    measurement with a 20,000-letter name: the report is written (PDF and HTML), the long
    header values cut and saying so (reportlab used to stop with "Flowable too large")."""
    import pydicom

    from medgui.core.annotations.key_images import ReportDraft
    from medgui.core.annotations.model import SeriesAnnotations

    for path in sorted(planted.dicom_dir.iterdir()):
        ds = pydicom.dcmread(path)
        ds.StudyDescription = "chest " * 2000  # 12,000 characters (11,999 without the last space)
        ds.PatientName = "Doe^" + "J" * 11000
        ds.InstitutionName = "Hospital " * 1200
        ds.save_as(path)
    notes = SeriesAnnotations.from_json(planted.work.annotations)
    notes.report_draft = ReportDraft("w" * 50_000, "Impression " * 3000)
    planted.work.annotations = notes.to_json()
    planted.work.measurements[0]["label"] = "L" * 20_000
    root = tmp_path / "workspace"
    Workspace(root).save_series(planted.work)
    for name in ("long.pdf", "long.html"):
        assert main(["report", str(root), "--out", str(tmp_path / name)]) == 0, capsys.readouterr()
    html = (tmp_path / "long.html").read_text(encoding="utf-8")
    assert "[cut: 11999 characters in all]" in html and "[cut: 11004 characters in all]" in html
    assert "w" * 50_000 in html  # the findings are the user's own text: kept whole
    text = re.sub(r"\s+", "", poppler("pdftotext", str(tmp_path / "long.pdf"), "-"))
    assert "[cut:11999charactersinall]" in text and "w" * 1000 in text
    assert "[cut:20000charactersinall]" in text  # the measurement's name, in its table cell


@pytest.mark.parametrize("name", ["report.pdf", "report.html"])
def test_a_full_disk_names_the_report_and_leaves_nothing(workspace, tmp_path, capsys, name,
                                                         monkeypatch):  # fmt: skip
    out = tmp_path / "reports" / name
    out.parent.mkdir()
    disk_full_for(monkeypatch, name)
    assert main(["report", str(workspace), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert f"error: {out}: cannot write the report (No space left on device)" in error
    assert ".tmp-" not in error
    assert list(out.parent.iterdir()) == []  # no partial file, no temporary
    entry = AuditLog(workspace).read().entries[-1]
    assert entry.action == "report_failed" and entry.details["path"] == str(out.resolve())
    assert "No space left" in entry.details["error"]
