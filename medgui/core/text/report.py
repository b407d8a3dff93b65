"""`ReportText`: one report's text, where it came from, and the study it belongs to.

A report is linked to a study by the study's UID, else its accession number, else the patient
ID and the study date (what each kind of source carries: an SR names the study UID, a CSV row
or a referral letter often only the accession number or the patient and date). `StudyRef` is
what a study offers to match against: `matches` tries the three in that order.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

KINDS = ("sr", "dicom-pdf", "pdf", "text", "csv", "medgui-html", "medgui-pdf")


@dataclass(frozen=True)
class StudyRef:
    """What identifies a study: its UID, accession number, patient ID and date (YYYYMMDD)."""

    study_uid: str = ""
    accession: str = ""
    patient_id: str = ""
    study_date: str = ""

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> StudyRef:
        """From DICOM-keyword metadata (a volume's, a header's)."""

        def get(key: str) -> str:
            return str(meta.get(key) or "").strip()

        return cls(
            get("StudyInstanceUID"), get("AccessionNumber"), get("PatientID"), get("StudyDate")
        )

    def is_empty(self) -> bool:
        """Whether nothing links it to a study."""
        return not (self.study_uid or self.accession or (self.patient_id and self.study_date))

    def matches(self, other: StudyRef) -> bool:
        """Whether both name the same study: the same study UID when both have one, else the
        same accession number when both have one, else the same patient ID and date."""
        if self.study_uid and other.study_uid:
            return self.study_uid == other.study_uid
        if self.accession and other.accession:
            return self.accession == other.accession
        return bool(
            self.patient_id
            and self.study_date
            and (self.patient_id, _date(self.study_date))
            == (other.patient_id, _date(other.study_date))
        )

    def describe(self) -> str:
        """The link in words, for lists and errors."""
        if self.study_uid:
            return f"study {self.study_uid}"
        if self.accession:
            return f"accession {self.accession}"
        if self.patient_id and self.study_date:
            return f"patient {self.patient_id} on {self.study_date}"
        return "no study"


def _date(value: str) -> str:
    """A date as YYYYMMDD whether written so, as YYYY-MM-DD or as YYYY.MM.DD."""
    return value.strip().replace("-", "").replace(".", "")


@dataclass(frozen=True)
class ReportText:
    """One report: `report_id` (unique in a workspace), its `text`, the `source` file and its
    `kind` (one of `KINDS`), the `study` it belongs to, and the patient's name when the source
    names it (kept for de-identification, never shown in a search)."""

    report_id: str
    text: str
    source: str = ""
    kind: str = "text"
    study: StudyRef = field(default_factory=StudyRef)
    patient_name: str = ""

    def __post_init__(self) -> None:
        if not str(self.report_id).strip():
            raise ValueError(f"{self.source or 'report'}: a report needs an id")
        if not self.text.strip():
            raise ValueError(f"{self.source or self.report_id}: the report text is empty")
        if self.kind not in KINDS:
            raise ValueError(f"{self.source}: unknown report kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        data = asdict(self)
        data["study"] = asdict(self.study)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportText:
        """Rebuild from `to_json`; ValueError naming what is missing."""
        missing = [name for name in ("report_id", "text") if name not in data]
        if missing:
            raise ValueError(f"report record is missing {', '.join(missing)}")
        names = {f.name for f in fields(StudyRef)}
        study = StudyRef(
            **{k: str(v) for k, v in dict(data.get("study") or {}).items() if k in names}
        )
        return cls(
            str(data["report_id"]),
            str(data["text"]),
            str(data.get("source", "")),
            str(data.get("kind", "text")),
            study,
            str(data.get("patient_name", "")),
        )


def derived_id(*parts: str) -> str:
    """A stable report id from what identifies a source (its path and position in it)."""
    return "r-" + hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]
