"""De-identification of one DICOM dataset: PS3.15 Annex E Basic Application Level
Confidentiality Profile, optionally with Retain Longitudinal Temporal Information with Modified
Dates and Retain Patient Characteristics (the table lives in `deid_profile`).

Every data set, and every item of every sequence, is cleaned with the same table. Private
attributes go unless safe-listed. Instance UIDs are replaced by "2.25." UIDs made from a keyed
hash (HMAC-SHA256 with the patient's secret key), so the same UID maps to the same new UID
across a whole export and SEG/SR references still resolve. Dates shift by the patient's whole
day offset; times of day are kept. `find_phi` is the independent check: it searches every
element value of a result for the original name, ID, birth date and accession number.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence
from pydicom.uid import UID_dictionary

from medgui.core.atomic import atomic_write_text
from medgui.core.deid_profile import (
    BASIC_PROFILE,
    CLASS_UID_KEYWORDS,
    CLEAN_STRUCTURED_CONTENT,
    RETAIN_MODIFIED_DATES,
    RETAIN_PATIENT_CHARACTERISTICS,
    RULES,
    SAFE_PRIVATE,
    resolve_action,
)

MAPPING_FIELDS = ("original_patient_id", "pseudonym", "date_offset_days", "uid_key")
# Modalities and SOP classes that often have text burned into the pixels (PS3.15 E.1.1 note).
BURNED_IN_MODALITIES = frozenset({"US", "SC", "XC", "ES", "OT", "DOC"})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
_DUMMY = {
    "PN": "ANONYMOUS", "DA": "19000101", "DT": "19000101000000", "TM": "000000", "DS": "0",
    "IS": "0", "AS": "000Y", "CS": "ANONYMOUS", "AE": "ANONYMOUS",
}  # fmt: skip
_PIXEL_KEYWORDS = frozenset({"PixelData", "FloatPixelData", "DoubleFloatPixelData"})
# Text VRs: searched for the originals as substrings; others only compared whole.
_TEXT_VRS = frozenset({"PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE", "DA", "DT", "UN"})
_BYTES_VRS = frozenset({"OB", "OW", "UN"})


@dataclass(frozen=True)
class DeidOptions:
    """Which options of the profile apply on top of the basic one."""

    keep_dates_shifted: bool = False
    keep_patient_characteristics: bool = False

    def method_codes(self) -> list:
        """The CID 7050 codes of the profile and options applied (PS3.16)."""
        codes = [BASIC_PROFILE, CLEAN_STRUCTURED_CONTENT]
        if self.keep_dates_shifted:
            codes.append(RETAIN_MODIFIED_DATES)
        if self.keep_patient_characteristics:
            codes.append(RETAIN_PATIENT_CHARACTERISTICS)
        return codes


@dataclass(frozen=True)
class Pseudonym:
    """What one patient becomes: the new ID and name, the whole-day date shift (never 0) and the
    secret key of the UID hash (hex)."""

    original_patient_id: str
    pseudonym: str
    date_offset_days: int
    uid_key: str

    def new_uid(self, uid: str) -> str:
        """The replacement of `uid`: a "2.25." UID (≤ 44 characters) from a version-4 UUID made
        of the keyed hash, so equal inputs give equal outputs and nobody without the key can
        reverse or guess it."""
        digest = hmac.new(bytes.fromhex(self.uid_key), uid.encode(), hashlib.sha256).digest()
        return f"2.25.{uuid.UUID(bytes=digest[:16], version=4).int}"


class PseudonymMap:
    """Original PatientID → `Pseudonym`; new patients get a random pseudonym, offset and key.
    Kept in a CSV (`load` / `save`) so that repeated exports give the same results."""

    def __init__(self, entries: dict[str, Pseudonym] | None = None) -> None:
        self.entries = dict(entries or {})

    def for_patient(self, patient_id: str) -> Pseudonym:
        """The patient's pseudonym, made on first use."""
        if patient_id not in self.entries:
            taken = {p.pseudonym for p in self.entries.values()}
            name = f"ANON-{secrets.token_hex(4).upper()}"
            while name in taken:
                name = f"ANON-{secrets.token_hex(4).upper()}"
            offset = -(365 + secrets.randbelow(10 * 365))  # 1 to 11 years back, never 0
            self.entries[patient_id] = Pseudonym(patient_id, name, offset, secrets.token_hex(32))
        return self.entries[patient_id]

    @classmethod
    def load(cls, path: str | Path) -> PseudonymMap:
        """Read a mapping CSV (columns `MAPPING_FIELDS`); an absent file is an empty map.
        ValueError names the file and line of a bad row."""
        path = Path(path)
        if not path.exists():
            return cls()
        entries = {}
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != MAPPING_FIELDS:
                raise ValueError(f"{path}: expected the columns {', '.join(MAPPING_FIELDS)}")
            for row in reader:
                try:
                    entry = Pseudonym(
                        row["original_patient_id"],
                        row["pseudonym"],
                        int(row["date_offset_days"]),
                        row["uid_key"],
                    )
                    bytes.fromhex(entry.uid_key)
                    if not entry.pseudonym or entry.date_offset_days == 0 or not entry.uid_key:
                        raise ValueError("empty pseudonym or key, or a zero date offset")
                except (ValueError, TypeError) as error:
                    raise ValueError(f"{path}: line {reader.line_num}: {error}") from error
                entries[entry.original_patient_id] = entry
        return cls(entries)

    def save(self, path: str | Path) -> Path:
        """Write the map atomically as CSV."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(MAPPING_FIELDS)
        for p in self.entries.values():
            writer.writerow([p.original_patient_id, p.pseudonym, p.date_offset_days, p.uid_key])
        return atomic_write_text(path, text.getvalue())


@dataclass(frozen=True)
class Originals:
    """The identifying values of one source file that must not survive de-identification."""

    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    accession_number: str = ""

    @classmethod
    def of(cls, ds: Dataset) -> Originals:
        """The originals of a (not yet de-identified) dataset."""
        return cls(
            *(str(ds.get(k) or "").strip() for k in ("PatientName", "PatientID", "PatientBirthDate",
                                                     "AccessionNumber"))
        )  # fmt: skip

    def needles(self) -> list[tuple[str, str]]:
        """(what, value) pairs to search for: the whole values, then each name part."""
        found = [
            ("patient name", self.patient_name),
            ("patient ID", self.patient_id),
            ("birth date", self.birth_date),
            ("accession number", self.accession_number),
        ]
        parts = {p.strip() for p in self.patient_name.replace("=", "^").split("^")}
        found += [("patient name part", p) for p in sorted(parts) if p != self.patient_name]
        return [(what, value) for what, value in found if value]


def _shift_date(value: str, days: int) -> str:
    """A DA ("YYYYMMDD") or DT value moved by `days`; the time part of a DT is kept."""
    text = str(value).strip()
    if len(text) < 8 or not text[:8].isdigit():
        return ""
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) + dt.timedelta(days=days)
    except ValueError:
        return ""  # not a date: nothing to keep
    return day.strftime("%Y%m%d") + text[8:]


def _values(element: DataElement) -> list:
    value = element.value
    if value is None or value == "":
        return []
    return list(value) if element.VM > 1 else [value]


class Deidentifier:
    """Applies the profile with `options`, taking each patient's pseudonym from `pseudonyms`."""

    def __init__(self, options: DeidOptions, pseudonyms: PseudonymMap) -> None:
        self.options = options
        self.pseudonyms = pseudonyms

    def deidentify(self, ds: Dataset) -> Dataset:
        """De-identify `ds` in place (file meta included) and return it."""
        patient = self.pseudonyms.for_patient(str(ds.get("PatientID") or "").strip())
        self._clean(ds, patient)
        meta = getattr(ds, "file_meta", None)
        if meta is not None:
            if "MediaStorageSOPInstanceUID" in meta:
                meta.MediaStorageSOPInstanceUID = patient.new_uid(meta.MediaStorageSOPInstanceUID)
            meta.pop("SourceApplicationEntityTitle", None)
        ds.PatientName = patient.pseudonym
        ds.PatientID = patient.pseudonym
        ds.PatientIdentityRemoved = "YES"
        codes = self.options.method_codes()
        ds.DeidentificationMethod = "medgui: " + "; ".join(c.meaning for c in codes)[:56]
        ds.DeidentificationMethodCodeSequence = [_code_item(c) for c in codes]
        ds.LongitudinalTemporalInformationModified = (
            "MODIFIED" if self.options.keep_dates_shifted else "REMOVED"
        )
        return ds

    def _clean(self, ds: Dataset, patient: Pseudonym) -> None:
        creators_in_use: set[tuple[int, int]] = set()
        for element in list(ds):
            tag = element.tag
            if tag.is_private:
                if tag.element >= 0x1000 and self._safe_private(ds, element):
                    creators_in_use.add((tag.group, tag.element >> 8))
                    continue
                if not tag.is_private_creator:
                    del ds[tag]
                continue
            if tag.element == 0x0000 or (tag.group & 0xFF00) in (0x5000, 0x6000):
                del ds[tag]  # stale group lengths; curves and overlays may show text
                continue
            self._apply(ds, element, patient)
        for element in list(ds):
            tag = element.tag
            if tag.is_private_creator and (tag.group, tag.element) not in creators_in_use:
                del ds[tag]

    @staticmethod
    def _safe_private(ds: Dataset, element: DataElement) -> bool:
        group, block = element.tag.group, element.tag.element >> 8
        creator = ds.get((group, block))
        name = str(creator.value).strip() if creator is not None else ""
        return (name, group, element.tag.element & 0xFF) in SAFE_PRIVATE

    def _apply(self, ds: Dataset, element: DataElement, patient: Pseudonym) -> None:
        keyword = element.keyword
        rule = RULES.get(keyword)
        if rule is None:
            if element.VR == "SQ":
                self._clean_items(element, patient)
            elif element.VR == "UI" and keyword not in CLASS_UID_KEYWORDS:
                self._map_uids(element, patient)
            elif element.VR in ("DA", "DT"):
                # Any other date is treated as the table's dates are (PS3.15 E.3.6: by VR).
                self._dates(element, patient)
            elif element.VR == "PN":
                element.value = ""  # a person's name, wherever it is, identifies someone
            return
        if self.options.keep_patient_characteristics and rule.patient_trait:
            return
        if self.options.keep_dates_shifted and rule.shift_with_dates:
            if element.VR in ("DA", "DT"):
                self._dates(element, patient)
            return  # times of day and sequences of dates stay as they are
        action = resolve_action(rule.action, bool(_values(element)))
        if action == "X":
            del ds[element.tag]
        elif action == "Z":
            element.value = Sequence() if element.VR == "SQ" else ""
        elif element.VR == "SQ":  # D, C or U on a sequence: keep its items, cleaned
            self._clean_items(element, patient)
        elif action == "U":
            self._map_uids(element, patient)
        elif action == "D":
            element.value = _DUMMY.get(element.VR, "ANONYMOUS") if _values(element) else ""

    def _dates(self, element: DataElement, patient: Pseudonym) -> None:
        """Shift a DA/DT value with the dates option, else empty it."""
        if not self.options.keep_dates_shifted:
            element.value = ""
            return
        shifted = [_shift_date(v, patient.date_offset_days) for v in _values(element)]
        element.value = shifted if len(shifted) > 1 else (shifted or [""])[0]

    def _clean_items(self, element: DataElement, patient: Pseudonym) -> None:
        for item in element.value:
            self._clean(item, patient)

    @staticmethod
    def _map_uids(element: DataElement, patient: Pseudonym) -> None:
        mapped = [
            v if str(v) in UID_dictionary else patient.new_uid(str(v)) for v in _values(element)
        ]
        element.value = mapped if len(mapped) > 1 else (mapped or [""])[0]


def _code_item(code) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = (
        code.value,
        code.scheme_designator,
        code.meaning,
    )
    return item


def burned_in_reason(ds: Dataset) -> str:
    """Why the pixels of `ds` may show identifying text ("" when nothing says so):
    BurnedInAnnotation YES, or no flag on a modality or SOP class that often has it."""
    flag = str(ds.get("BurnedInAnnotation") or "").strip().upper()
    if flag == "YES":
        return "BurnedInAnnotation is YES"
    if flag == "NO" or "PixelData" not in ds:
        return ""
    modality = str(ds.get("Modality") or "").strip().upper()
    if modality in BURNED_IN_MODALITIES:
        return f"no BurnedInAnnotation flag on a {modality} image (often has burned-in text)"
    if str(ds.get("SOPClassUID") or "").startswith(SECONDARY_CAPTURE_PREFIX):
        return "no BurnedInAnnotation flag on a secondary capture (often has burned-in text)"
    return ""


def _walk(ds: Dataset, where: str = "") -> Iterator[tuple[str, DataElement]]:
    for element in ds:
        name = f"{where}{element.keyword or element.tag}"
        if element.VR == "SQ":
            for n, item in enumerate(element.value or []):
                yield from _walk(item, f"{name}[{n}]/")
        elif element.keyword not in _PIXEL_KEYWORDS:
            yield name, element


def _as_texts(element: DataElement) -> list[str]:
    if element.VR in _BYTES_VRS and isinstance(element.value, bytes):
        return [element.value.decode("latin-1")]
    return [str(v) for v in _values(element)]


@dataclass
class PhiFinding:
    """One remaining original value: where it is (element path) and which original."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where} holds the original {self.what}"


def find_phi(ds: Dataset, originals: Originals) -> list[PhiFinding]:
    """Every element (file meta, sequences and private tags included; pixel data not) whose
    value still holds one of `originals`, compared case-insensitively. The whole name, ID,
    birth date and accession number are searched as substrings of text values when 4 or more
    characters long; short ones, and the parts of the name ("Patient" would be found in
    "Image Position Patient"), only as a whole value or a whole name component."""
    needles = [(what, value.upper()) for what, value in originals.needles()]
    findings = []
    meta = getattr(ds, "file_meta", None)
    elements = list(_walk(meta, "FileMeta/")) if meta is not None else []
    for where, element in elements + list(_walk(ds)):
        texts = [t.strip().upper() for t in _as_texts(element)]
        if element.VR == "PN":
            texts += [c.strip() for t in texts for c in t.replace("=", "^").split("^")]
        for what, needle in needles:
            substring = (
                len(needle) >= 4
                and what != "patient name part"
                and element.VR in _TEXT_VRS | _BYTES_VRS
            )
            if any(needle in t if substring else needle == t for t in texts):
                findings.append(PhiFinding(where, what))
    return findings


@dataclass
class VerificationReport:
    """The findings of the verification pass, per output file."""

    findings: dict[Path, list[PhiFinding]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """Whether no original value was found anywhere."""
        return not self.findings

    def lines(self) -> list[str]:
        """One line per finding, naming the file."""
        return [f"{path}: {f}" for path, found in self.findings.items() for f in found]
