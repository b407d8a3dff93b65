"""Reports read from files: DICOM SR (pydicom's own SR files), Encapsulated PDF, PDF, text in
its encodings, CSV, and the HTML/PDF reports medgui writes; every bad input names the file."""

from __future__ import annotations

import pathlib

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from medgui.core.text.read import ENCAPSULATED_PDF, decode_text, read_report_file, read_reports
from medgui.core.text.report import ReportText, StudyRef
from medgui.reports.html import render_html
from medgui.reports.pdf import render_pdf
from medgui.reports.report_model import HeaderField, Report

PYDICOM_FILES = pathlib.Path(pydicom.__file__).parent / "data" / "test_files"
TEXT = "Findings: Small left pleural effusion. No pneumothorax.\nImpression: Effusion."


def medgui_report() -> Report:
    header = [
        HeaderField("Patient name", "Doe Jane"),
        HeaderField("Patient ID", "PID-4711"),
        HeaderField("Study date", "2024-03-05"),
        HeaderField("Accession number", "ACC-77"),
    ]
    return Report(
        "Report",
        header,
        findings="Small left pleural effusion.\nNo pneumothorax.",
        impression="Effusion.",
        software="medgui 0.3",
        created="2024-03-06",
    )


def test_sr_text_items_are_walked_recursively():
    (report,) = read_report_file(PYDICOM_FILES / "test-SR.dcm").reports
    assert report.kind == "sr"
    lines = report.text.splitlines()
    # Nested TEXT items in document order, the container's children included.
    assert lines[:4] == ["A mass of", "was detected.", "A mass of", "was detected."]
    assert "Inferred Sample Text" in report.text  # a TEXT item below a TEXT item
    source = pydicom.dcmread(PYDICOM_FILES / "test-SR.dcm")
    assert report.study.study_uid == source.StudyInstanceUID
    assert report.report_id == source.SOPInstanceUID
    assert report.patient_name == "Test S R"


def test_second_pydicom_sr_file():
    (report,) = read_report_file(PYDICOM_FILES / "reportsi.dcm").reports
    assert report.text.splitlines() == ["Enter text", "Enter text"]


def test_a_dicom_image_is_no_report():
    with pytest.raises(ValueError, match="CT_small.dcm: a DICOM file but neither"):
        read_report_file(PYDICOM_FILES / "CT_small.dcm")


def encapsulated_pdf(path: pathlib.Path, pdf: bytes) -> pathlib.Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ENCAPSULATED_PDF
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = ENCAPSULATED_PDF, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.AccessionNumber, ds.PatientID = "1.2.3.4", "ACC-9", "P9"
    ds.PatientName, ds.Modality, ds.MIMETypeOfEncapsulatedDocument = (
        "Roe^Richard",
        "DOC",
        "application/pdf",
    )
    ds.EncapsulatedDocument = pdf + (b"\0" if len(pdf) % 2 else b"")
    ds.save_as(path, enforce_file_format=True)
    return path


def test_encapsulated_pdf(tmp_path):
    path = encapsulated_pdf(tmp_path / "doc.dcm", render_pdf(medgui_report()))
    (report,) = read_report_file(path).reports
    assert report.kind == "dicom-pdf"
    assert "Small left pleural effusion." in report.text
    assert report.study == StudyRef("1.2.3.4", "ACC-9", "P9", "")
    assert report.patient_name == "Roe Richard"


@pytest.mark.parametrize("suffix", ["html", "pdf"])
def test_medgui_reports_read_back(tmp_path, suffix):
    report = medgui_report()
    path = tmp_path / f"report.{suffix}"
    if suffix == "html":
        path.write_text(render_html(report), encoding="utf-8")
    else:
        path.write_bytes(render_pdf(report))
    (read,) = read_report_file(path).reports
    assert read.kind == f"medgui-{suffix}"
    assert read.text == (
        "Findings:\nSmall left pleural effusion.\nNo pneumothorax.\n\nImpression:\nEffusion."
    )
    assert read.study == StudyRef("", "ACC-77", "PID-4711", "2024-03-05")
    assert read.patient_name == "Doe Jane"


def test_foreign_pdf_is_read_as_plain_text(tmp_path):
    report = medgui_report()
    path = tmp_path / "letter.pdf"
    path.write_bytes(render_pdf(report).replace(b"/Creator (medgui", b"/Creator (xxxxxx"))
    (read,) = read_report_file(path).reports
    assert read.kind == "pdf" and "No pneumothorax." in read.text


@pytest.mark.parametrize(
    "data",
    [TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT.encode("utf-16")],
    ids=["utf-8", "utf-8-bom", "utf-16"],
)
def test_text_encodings(tmp_path, data):
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    (report,) = read_report_file(path).reports
    assert report.text == TEXT and report.kind == "text"


def test_clean_latin1_is_read():
    assert decode_text("Épanchement pleural gauche.".encode("latin-1"), "r.txt") == (
        "Épanchement pleural gauche."
    )


def test_unknown_encoding_is_refused_with_the_file_named():
    data = "“No effusion”".encode("cp1252")  # 0x93/0x94: C1 controls in Latin-1
    with pytest.raises(ValueError, match=r"r\.txt: unknown text encoding.*0x93"):
        decode_text(data, "r.txt")


def test_empty_text_file(tmp_path):
    (tmp_path / "blank.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="blank.txt: the file is empty"):
        read_report_file(tmp_path / "blank.txt")


def test_csv_rows_with_links_and_problems(tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(
        "ID,Text,Accession\n"
        'a1,"No effusion, no pneumothorax.",ACC-1\n'
        "a2,,ACC-2\n"
        "a1,Repeated id.,ACC-3\n"
        "a3,Small effusion.,\n",
        encoding="utf-8",
    )
    result = read_report_file(path)
    assert [r.report_id for r in result.reports] == ["a1", "a3"]
    assert result.reports[0].study == StudyRef(accession="ACC-1")
    assert any("line 3 (id a2): the report text is empty" in p for p in result.problems)
    assert any("line 4: id 'a1' repeats" in p for p in result.problems)


def test_csv_without_the_columns_names_file_and_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("report,body\n1,No effusion.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv: .*'id' and 'text'; found 'report', 'body'"):
        read_report_file(path)


def test_a_batch_carries_on_past_a_bad_file(tmp_path):
    (tmp_path / "good.txt").write_text("No pneumothorax.", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("x,y\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG....")
    result = read_reports([tmp_path])
    assert [r.text for r in result.reports] == ["No pneumothorax."]
    assert len(result.problems) == 2 and any(
        "image.png: not a report file" in p for p in result.problems
    )


def test_report_json_round_trip_and_checks():
    report = ReportText("r1", "No effusion.", "x.txt", "text", StudyRef("1.2"), "Doe")
    assert ReportText.from_json(report.to_json()) == report
    with pytest.raises(ValueError, match="x.txt: the report text is empty"):
        ReportText("r1", " ", "x.txt")


def test_study_links_in_order():
    uid = StudyRef("1.2", "A", "P", "20240305")
    assert uid.matches(StudyRef("1.2"))
    assert not uid.matches(StudyRef("1.3", "A"))  # both have UIDs: they decide
    assert StudyRef(accession="A").matches(StudyRef("9.9", "A"))
    assert StudyRef(patient_id="P", study_date="2024-03-05").matches(uid)
    assert not StudyRef(patient_id="P").matches(uid)
