"""The reports medgui itself writes (`medgui.reports`: HTML and PDF) read back as report text:
their Findings and Impression, and the study they name in their header (patient ID, study date,
accession number)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from medgui.core.text.report import ReportText, StudyRef, derived_id

_HEADER_KEYS = {
    "Patient name": "patient_name",
    "Patient ID": "patient_id",
    "Study date": "study_date",
    "Accession number": "accession",
}
_SECTIONS = ("Findings", "Impression")
# What follows the Impression in a medgui report.
_AFTER = ("Key images", "Measurements and labels", "Model results", "Notes", "Made ")
_NONE_WRITTEN = "(none written)"
_DASH = "\u2013"


def is_medgui_html(text: str) -> bool:
    """Whether `text` is a report medgui wrote (its closing "Made ... with medgui" line)."""
    return bool(re.search(r'<p class="small">Made [^<]* with medgui', text))


def is_medgui_pdf(data: bytes) -> bool:
    """Whether a PDF names medgui as its creator (reportlab writes it into the info)."""
    return b"/Creator (medgui" in data


class _ReportHTML(HTMLParser):
    """Collects the header table's rows and the text under each h2."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.sections: dict[str, str] = {}
        self._tag, self._cell, self._row, self._section = "", "", [], ""

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag in ("th", "td", "h2", "div"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._row.append(self._cell.strip())
        elif tag == "tr":
            if len(self._row) == 2 and not self.fields.get(self._row[0]):
                self.fields[self._row[0]] = self._row[1]
            self._row = []
        elif tag == "h2":
            self._section = self._cell.strip()
        elif tag == "div" and self._section in _SECTIONS and self._section not in self.sections:
            self.sections[self._section] = self._cell.strip()
        self._tag = ""

    def handle_data(self, data):
        self._cell += data


def _report(fields: dict[str, str], sections: dict[str, str], path: Path, kind: str) -> ReportText:
    values = {key: fields.get(name, "").strip() for name, key in _HEADER_KEYS.items()}
    values = {k: "" if v == _DASH else v for k, v in values.items()}
    parts = [
        f"{name}:\n{sections[name].strip()}"
        for name in _SECTIONS
        if sections.get(name, "").strip() and sections[name].strip() != _NONE_WRITTEN
    ]
    if not parts:
        raise ValueError(f"{path}: the medgui report has no findings or impression written")
    study = StudyRef("", values["accession"], values["patient_id"], values["study_date"])
    return ReportText(
        derived_id(str(path)), "\n\n".join(parts), str(path), kind, study, values["patient_name"]
    )


def parse_medgui_html(text: str, path: str | Path) -> ReportText:
    """The report in an HTML file medgui wrote."""
    parser = _ReportHTML()
    parser.feed(text)
    return _report(parser.fields, parser.sections, Path(path), "medgui-html")


def parse_medgui_pdf(text: str, path: str | Path) -> ReportText:
    """The report in the text layer of a PDF medgui wrote."""
    lines = [line.strip() for line in text.splitlines()]
    fields: dict[str, str] = {}
    # pypdf gives the header table's cells a line each (name, then value), or a row a line.
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        for name in _HEADER_KEYS:
            if name in fields:
                continue
            if line == name:
                fields[name] = following
            elif line.startswith(name + " "):
                fields[name] = line[len(name) :].strip()
    sections, current = {}, None
    for line in lines:
        if line in _SECTIONS:
            current = line
            sections[current] = ""
        elif current and (line.startswith(_AFTER) or line in _AFTER):
            current = None if current == "Impression" else current
        elif current:
            sections[current] += line + "\n"
    return _report(fields, sections, Path(path), "medgui-pdf")
