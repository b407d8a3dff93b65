"""What a user asks the archive for, and what it answers, the same for DIMSE and DICOMweb.

A `Query` becomes a C-FIND identifier (study root) or QIDO-RS filters; the answers, DICOM
datasets either way, become `StudyMatch` and `SeriesMatch` records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

_DATE = re.compile(r"^\d{8}$")


def date_range(text: str) -> tuple[str, str]:
    """`FROM-TO` (YYYYMMDD either side, either side may be empty) or one date, as (from, to)."""
    text = text.strip().replace("/", "").replace(".", "")
    start, _, end = text.partition("-") if "-" in text else (text, "", text)
    for value in (start, end):
        if value and not _DATE.match(value):
            raise ValueError(f"date {text!r}: write YYYYMMDD or FROM-TO, e.g. 20030101-20031231")
    return start, end


@dataclass(frozen=True)
class Query:
    """Study-level search keys; empty keys match everything. Names take * and ? wildcards."""

    patient_name: str = ""
    patient_id: str = ""
    date_from: str = ""  # YYYYMMDD
    date_to: str = ""
    modality: str = ""
    accession: str = ""
    description: str = ""

    @property
    def study_date(self) -> str:
        """The DICOM range matching value (`FROM-TO`, `FROM-`, `-TO`, or "")."""
        if not (self.date_from or self.date_to):
            return ""
        if self.date_from == self.date_to:
            return self.date_from
        return f"{self.date_from}-{self.date_to}"

    def filters(self) -> dict[str, str]:
        """The keys that are set, by DICOM keyword (QIDO-RS filters, C-FIND identifier)."""
        keys = {
            "PatientName": self.patient_name,
            "PatientID": self.patient_id,
            "StudyDate": self.study_date,
            "ModalitiesInStudy": self.modality,
            "AccessionNumber": self.accession,
            "StudyDescription": self.description,
        }
        return {k: v for k, v in keys.items() if v}


# The attributes asked for at each level (returned empty when the archive does not keep them).
STUDY_KEYS = (
    "PatientName", "PatientID", "PatientBirthDate", "StudyInstanceUID", "StudyDate", "StudyTime",
    "AccessionNumber", "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)  # fmt: skip
SERIES_KEYS = (
    "StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription",
    "NumberOfSeriesRelatedInstances",
)  # fmt: skip
INSTANCE_KEYS = ("SOPInstanceUID", "SOPClassUID", "InstanceNumber")


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(str(v) for v in value)
    return str(value)


def _int(ds: Dataset, keyword: str) -> int | None:
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class SeriesMatch:
    study_uid: str
    uid: str
    modality: str = ""
    number: int | None = None
    description: str = ""
    instances: int | None = None

    @classmethod
    def from_dataset(cls, ds: Dataset) -> SeriesMatch:
        return cls(
            _text(ds, "StudyInstanceUID"),
            _text(ds, "SeriesInstanceUID"),
            _text(ds, "Modality"),
            _int(ds, "SeriesNumber"),
            _text(ds, "SeriesDescription"),
            _int(ds, "NumberOfSeriesRelatedInstances"),
        )

    def to_json(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class StudyMatch:
    uid: str
    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    date: str = ""
    time: str = ""
    accession: str = ""
    description: str = ""
    modalities: str = ""
    series_count: int | None = None
    instances: int | None = None

    @classmethod
    def from_dataset(cls, ds: Dataset) -> StudyMatch:
        return cls(
            _text(ds, "StudyInstanceUID"),
            _text(ds, "PatientName"),
            _text(ds, "PatientID"),
            _text(ds, "PatientBirthDate"),
            _text(ds, "StudyDate"),
            _text(ds, "StudyTime"),
            _text(ds, "AccessionNumber"),
            _text(ds, "StudyDescription"),
            _text(ds, "ModalitiesInStudy"),
            _int(ds, "NumberOfStudyRelatedSeries"),
            _int(ds, "NumberOfStudyRelatedInstances"),
        )

    def to_json(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class InstanceMatch:
    uid: str
    sop_class: str
    number: int | None = None

    @classmethod
    def from_dataset(cls, ds: Dataset) -> InstanceMatch:
        uid, sop_class = _text(ds, "SOPInstanceUID"), _text(ds, "SOPClassUID")
        return cls(uid, sop_class, _int(ds, "InstanceNumber"))
