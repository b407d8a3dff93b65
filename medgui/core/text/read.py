"""Report text read from files: DICOM SR (its TEXT content items, walked recursively), DICOM
Encapsulated PDF, PDF, plain text, CSV (``id,text``, optionally ``study_uid``, ``accession``,
``patient_id``, ``study_date``, ``patient_name``) and the HTML/PDF reports medgui writes.

Text files are UTF-8 (with or without a byte-order mark) or UTF-16 with one; Latin-1 is taken
only when every byte decodes to a printable character, so a file in another encoding is refused
with a clear error rather than read as garbage. Every error is a ValueError that names the file
and the reason; `read_reports` carries on past a bad file (or a bad CSV row) and lists it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from medgui.core.text.medgui_reports import (
    is_medgui_html,
    is_medgui_pdf,
    parse_medgui_html,
    parse_medgui_pdf,
)
from medgui.core.text.report import ReportText, StudyRef, derived_id

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
TEXT_SUFFIXES = (".txt", ".text", ".rpt")
# Control characters that clean Latin-1 text never holds (C0 bar tab/newlines, DEL, C1).
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_CSV_ALIASES = {
    "study_uid": ("study_uid", "studyinstanceuid", "study_instance_uid"),
    "accession": ("accession", "accession_number", "accessionnumber"),
    "patient_id": ("patient_id", "patientid", "mrn"),
    "study_date": ("study_date", "studydate", "date"),
    "patient_name": ("patient_name", "patientname"),
}


@dataclass
class ReadResult:
    """The reports read and the problems met (one line each, naming the file)."""

    reports: list[ReportText] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def decode_text(data: bytes, source: str | Path) -> str:
    """`data` as text (see the module docstring); ValueError naming `source` otherwise."""
    boms = {b"\xef\xbb\xbf": "utf-8-sig", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
    marked = next((enc for bom, enc in boms.items() if data.startswith(bom)), None)
    try:
        return data.decode(marked or "utf-8")
    except UnicodeDecodeError as error:
        if marked:  # a byte-order mark promises the encoding: no guessing past it
            raise ValueError(f"{source}: not valid {marked} text ({error.reason})") from error
    text = data.decode("latin-1")  # only reached when UTF-8 failed: no exception possible
    bad = _UNCLEAN.search(text)
    if bad is not None:
        raise ValueError(
            f"{source}: unknown text encoding: not UTF-8, and byte 0x{ord(bad.group()):02x} at "
            f"offset {bad.start()} is no Latin-1 text character; save the file as UTF-8"
        )
    return text


def _is_dicom(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".dcm" or head[128:132] == b"DICM"


def _study(dataset) -> StudyRef:
    return StudyRef.from_metadata(
        {
            k: dataset.get(k, "")
            for k in ("StudyInstanceUID", "AccessionNumber", "PatientID", "StudyDate")
        }
    )


def sr_text(items: Iterable) -> list[str]:
    """The TextValue of every TEXT content item under `items`, depth first, in order."""
    out = []
    for item in items:
        if str(item.get("ValueType", "")).upper() == "TEXT":
            value = str(item.get("TextValue", "")).strip()
            if value:
                out.append(value)
        if "ContentSequence" in item:
            out += sr_text(item.ContentSequence)
    return out


def pdf_text(data: bytes, source: str | Path) -> str:
    """The text layer of a PDF; ValueError naming `source` when it has none or is unreadable."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError(f"{source}: the PDF is encrypted")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, KeyError, TypeError) as error:
        raise ValueError(f"{source}: not a readable PDF ({error})") from error
    if not text.strip():
        raise ValueError(f"{source}: the PDF has no text layer (a scanned image?)")
    return text


def _read_dicom(path: Path) -> ReportText:
    try:
        dataset = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable DICOM file ({error})") from error
    sop_class = str(dataset.get("SOPClassUID", ""))
    name = str(dataset.get("PatientName", "")).replace("^", " ").strip()
    report_id = str(dataset.get("SOPInstanceUID", "")) or derived_id(str(path))
    if sop_class == ENCAPSULATED_PDF:
        if "EncapsulatedDocument" not in dataset:
            raise ValueError(f"{path}: Encapsulated PDF without its document")
        text = pdf_text(bytes(dataset.EncapsulatedDocument), path)
        return ReportText(report_id, text, str(path), "dicom-pdf", _study(dataset), name)
    if sop_class.startswith(_SR_PREFIX) or "ContentSequence" in dataset:
        text = "\n".join(sr_text(dataset.get("ContentSequence", [])))
        if not text:
            raise ValueError(f"{path}: the structured report holds no text content item")
        return ReportText(report_id, text, str(path), "sr", _study(dataset), name)
    raise ValueError(f"{path}: a DICOM file but neither a structured report nor a PDF")


def _column(header: list[str], name: str) -> int | None:
    for alias in _CSV_ALIASES.get(name, (name,)):
        if alias in header:
            return header.index(alias)
    return None


def read_csv(path: Path, text: str, result: ReadResult) -> None:
    """The rows of a reports CSV into `result`; ValueError naming the file and the columns
    found when ``id`` or ``text`` is missing. A row without text is a problem, not an error."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "id" not in header or "text" not in header:
        found = ", ".join(repr(h) for h in header) or "none"
        raise ValueError(f"{path}: a reports CSV needs the columns 'id' and 'text'; found {found}")
    columns = {name: _column(header, name) for name in (*_CSV_ALIASES, "id", "text")}
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], 2):
        cell = {
            n: row[i].strip() if i is not None and i < len(row) else "" for n, i in columns.items()
        }
        if not any(row):
            continue
        where = f"{path}, line {number}"
        if not cell["id"] or cell["id"] in seen:
            why = "no id" if not cell["id"] else f"id {cell['id']!r} repeats an earlier row"
            result.problems.append(f"{where}: {why}; left out")
            continue
        study = StudyRef(
            cell["study_uid"], cell["accession"], cell["patient_id"], cell["study_date"]
        )
        try:
            report = ReportText(
                cell["id"], cell["text"], str(path), "csv", study, cell["patient_name"]
            )
        except ValueError:
            result.problems.append(f"{where} (id {cell['id']}): the report text is empty; left out")
            continue
        seen.add(cell["id"])
        result.reports.append(report)


def read_report_file(path: str | Path) -> ReadResult:
    """The reports in one file (a CSV may hold many); ValueError naming the file when it
    cannot be read as a report at all."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from error
    result, suffix = ReadResult(), path.suffix.lower()
    if not data.strip():
        raise ValueError(f"{path}: the file is empty")
    if _is_dicom(path, data):
        result.reports.append(_read_dicom(path))
    elif data.startswith(b"%PDF"):
        text = pdf_text(data, path)
        if is_medgui_pdf(data):
            result.reports.append(parse_medgui_pdf(text, path))
        else:
            result.reports.append(ReportText(derived_id(str(path)), text, str(path), "pdf"))
    elif suffix == ".csv":
        read_csv(path, decode_text(data, path), result)
    elif suffix in (".html", ".htm"):
        text = decode_text(data, path)
        if not is_medgui_html(text):
            raise ValueError(f"{path}: an HTML file that medgui did not write")
        result.reports.append(parse_medgui_html(text, path))
    elif suffix in TEXT_SUFFIXES:
        text = decode_text(data, path)
        result.reports.append(ReportText(derived_id(str(path)), text, str(path), "text"))
    else:
        raise ValueError(
            f"{path}: not a report file (DICOM SR or PDF, PDF, .txt, .csv, or a medgui report)"
        )
    return result


def read_reports(
    paths: Iterable[str | Path], progress: Callable[[int, int], None] | None = None
) -> ReadResult:
    """The reports in every file of `paths` (folders are searched); a file that cannot be read
    is listed in `problems` and the rest are read. `progress(done, total)` after each file."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            files += sorted(found)
        else:
            files.append(path)
    result = ReadResult()
    for done, file in enumerate(files, 1):
        try:
            found = read_report_file(file)
        except ValueError as error:
            result.problems.append(str(error))
        else:
            result.reports += found.reports
            result.problems += found.problems
        if progress:
            progress(done, len(files))
    return result
