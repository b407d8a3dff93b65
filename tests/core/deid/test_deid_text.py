"""Identifiers in report text: replaced in SR text items and in the reports of a de-identified
export, and found by the verification pass."""

from __future__ import annotations

import pathlib
from pathlib import Path

import pydicom
import pytest

from medgui.core.deid.clean import DeidOptions
from medgui.core.deid.export import deidentify_files
from medgui.core.deid.mapping import PseudonymMap
from medgui.core.deid.text import KnownIdentifiers, scrub_text, text_phi
from medgui.core.deid.verify import Originals, find_phi
from medgui.core.dicom.write import SeriesInfo
from medgui.core.io.load import load_volume
from medgui.core.text.report import ReportText, StudyRef
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.export import DeidCopy, SeriesExport, export_series

SR_FILE = pathlib.Path(pydicom.__file__).parent / "data" / "test_files" / "test-SR.dcm"
KNOWN = KnownIdentifiers("Doe^Jane", ("PID-4711", "ACC-77"), ("19610203", "20240305"))
TEXT = (
    "Jane Doe (MRN: 88812345), born 02/03/1961, seen 5 March 2024; compared with 2023-11-02. "
    "Discussed with Dr. Smith on 555-123-4567. ID PID-4711, accession ACC-77. "
    "A 2.5 cm nodule, tube tip 4 cm above the carina. Small left pleural effusion."
)


def test_scrub_replaces_identifiers_and_keeps_the_findings():
    text = scrub_text(TEXT, KNOWN)
    for gone in ("Jane", "Doe", "88812345", "1961", "2024", "2023-11-02", "Smith", "555", "4711",
                 "ACC-77"):  # fmt: skip
        assert gone not in text
    assert "[NAME] [NAME] ([ID])" in text and "Dr. [NAME]" in text and "[PHONE]" in text
    assert "A 2.5 cm nodule, tube tip 4 cm above the carina. Small left pleural effusion." in text
    assert text_phi(text, KNOWN) == []
    assert set(text_phi(TEXT, KNOWN)) >= {"patient's name", "patient's ID", "date", "phone number"}


@pytest.mark.parametrize("spelling", ["20240305", "2024-03-05", "05.03.2024", "March 5, 2024"])
def test_the_patients_own_dates_in_any_spelling(spelling):
    assert scrub_text(f"Study of {spelling}.", KNOWN) == "Study of [DATE]."


def _sr_with_phi(path: Path) -> Path:
    ds = pydicom.dcmread(SR_FILE)
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "Doe^Jane", "PID-4711", "19610203"
    item = ds.ContentSequence[1].ContentSequence[0]  # a TEXT item inside the container
    item.TextValue = "Jane Doe, MRN 88812345: a mass of 12 mm, seen by Dr. Smith on 2024-03-05."
    ds.save_as(path)
    return path


def test_sr_text_items_are_cleaned_and_verified(tmp_path):
    source = _sr_with_phi(tmp_path / "sr.dcm")
    summary = deidentify_files([source], tmp_path / "out", DeidOptions(), PseudonymMap())
    assert summary.verification.clean and not summary.errors
    (written,) = summary.written
    text = pydicom.dcmread(written).ContentSequence[1].ContentSequence[0].TextValue
    assert text == "[NAME] [NAME], [ID]: a mass of 12 mm, seen by Dr. [NAME] on [DATE]."


def test_verification_searches_text_for_name_parts_and_patterns(tmp_path):
    ds = pydicom.dcmread(_sr_with_phi(tmp_path / "sr.dcm"))
    originals = Originals.of(ds)
    ds.PatientName = ds.PatientID = ds.PatientBirthDate = ""
    found = {(f.where, f.what) for f in find_phi(ds, originals)}
    where = "ContentSequence[1]/ContentSequence[0]/TextValue"
    assert (where, "patient's name (in its text)") in found
    assert (where, "MRN-like number (in its text)") in found
    assert (where, "doctor's name (in its text)") in found


def test_the_deidentified_export_writes_the_studys_reports_cleaned(make_series, tmp_path):
    info = SeriesInfo(patient_name="Doe^Jane", patient_id="PID-4711", accession_number="ACC-77",
                      patient_birth_date="19610203", study_date="20240305")  # fmt: skip
    _volume, paths = make_series("ct", info=info, modality="CT")
    volume = load_volume(paths[0].parent)
    report = ReportText("r1", TEXT, "r.txt", "text", StudyRef(accession="ACC-77"), "Jane Doe")
    out = tmp_path / "export"
    out.mkdir()
    deid = DeidCopy(out / "copy", [Path(p) for p in paths], reports=[report])
    _written, summary = export_series(
        volume, None, [], SeriesExport(), AuditLog(tmp_path / "ws"), deid=deid
    )
    assert summary.reports == [out / "copy" / "reports" / "report-1.txt"]
    text = summary.reports[0].read_text(encoding="utf-8")
    assert "Jane" not in text and "PID-4711" not in text and "Small left pleural effusion." in text
    assert summary.reports[0].is_file()
    assert "1 report(s) written with names, IDs and dates replaced" in summary.lines()
    assert len(summary.written) == len(paths)
