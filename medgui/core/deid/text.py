"""Identifiers in free text (report text, SR text items): replaced, and searched for.

`scrub_text` replaces the patient's own name (whole and each part), IDs and dates (in the
usual spellings: 20240305, 2024-03-05, 05/03/2024, 5 March 2024, March 5, 2024) and, by
pattern, any date, phone number, MRN-like number ("MRN: 12345", six or more digits) and
"Dr. Name" by bracketed placeholders ([NAME], [ID], [DATE], [PHONE]). Measurements ("2.5 cm",
"4 mm") and ordinary words are left alone.

`text_phi` is the verification: it lists which of the patient's own values, and which
patterns, a text still holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_PATTERNS: list[tuple[str, re.Pattern, str]] = [
    (
        "date",
        re.compile(
            r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
            rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
            rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
            r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\b",
            re.IGNORECASE,
        ),
        "[DATE]",
    ),
    (
        "phone number",
        re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b"),
        "[PHONE]",
    ),
    (
        "MRN-like number",
        re.compile(
            r"\b(?:MRN|MR#|medical record(?: number)?|patient id|id"
            r"|acc(?:ession)?(?: no\.?| number| #)?)\s*[:#]?\s*[A-Z0-9][A-Z0-9-]{3,}\b"
            r"|\b[A-Z]{0,3}-?\d{6,}\b",
            re.IGNORECASE,
        ),
        "[ID]",
    ),
    (
        "doctor's name",
        re.compile(r"\b(Dr|Doctor|Prof)\.?\s+[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+)?"),
        r"\1. [NAME]",
    ),
]


@dataclass(frozen=True)
class KnownIdentifiers:
    """The patient's own values: name (DICOM "Family^Given" or plain), IDs, dates (YYYYMMDD)."""

    name: str = ""
    ids: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    @classmethod
    def from_metadata(cls, meta, names: Iterable[str] = ()) -> KnownIdentifiers:
        """From DICOM-keyword values (a dataset or a volume's metadata) and extra `names`."""

        def get(key: str) -> str:
            return str(meta.get(key) or "").strip()

        ids = tuple(
            v for v in (get("PatientID"), get("AccessionNumber"), get("OtherPatientIDs")) if v
        )
        keys = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
        dates = tuple(dict.fromkeys(v for v in map(get, keys) if v))
        name = " ".join(n for n in (get("PatientName"), *names) if n)
        return cls(name, ids, dates)

    def name_parts(self) -> list[str]:
        """The name's parts of two letters or more (the whole name too)."""
        parts = re.split(r"[\^=,\s]+", self.name)
        return sorted({p for p in parts if len(p) >= 2 and not p.isdigit()}, key=len, reverse=True)

    def date_spellings(self) -> list[str]:
        """Each known date in the spellings a report may use."""
        out = []
        for value in self.dates:
            digits = value.replace("-", "").replace(".", "")[:8]
            try:
                day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
            except ValueError:
                continue
            out += [
                day.strftime("%Y%m%d"), day.isoformat(), day.strftime("%d/%m/%Y"),
                day.strftime("%m/%d/%Y"), day.strftime("%d.%m.%Y"),
                f"{day.day} {day.strftime('%B')} {day.year}",
                f"{day.strftime('%B')} {day.day}, {day.year}",
            ]  # fmt: skip
        return out


def _known(known: KnownIdentifiers) -> list[tuple[str, re.Pattern, str]]:
    rules = []
    for value in known.date_spellings():
        rules.append(("date of the patient's", re.compile(re.escape(value), re.I), "[DATE]"))
    for value in known.ids:
        rules.append(
            ("patient's ID", re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.I), "[ID]")
        )
    for part in known.name_parts():
        rules.append(("patient's name", re.compile(rf"\b{re.escape(part)}\b", re.I), "[NAME]"))
    return rules


def scrub_text(text: str, known: KnownIdentifiers | None = None) -> str:
    """`text` with identifiers replaced (see the module docstring)."""
    for _what, pattern, replacement in [*_known(known or KnownIdentifiers()), *_PATTERNS]:
        text = pattern.sub(replacement, text)
    return text


def text_phi(text: str, known: KnownIdentifiers | None = None) -> list[str]:
    """What identifying content `text` still holds ("patient's name", "date", ...), once each."""
    found = []
    for what, pattern, _replacement in [*_known(known or KnownIdentifiers()), *_PATTERNS]:
        if what not in found and pattern.search(text):
            found.append(what)
    return found
