"""De-identification of one DICOM dataset: PS3.15 Annex E Basic Application Level
Confidentiality Profile, optionally with Retain Longitudinal Temporal Information with Modified
Dates and Retain Patient Characteristics (the table lives in `deid_profile`).

Every data set, and every item of every sequence, is cleaned with the same table. Private
attributes go unless safe-listed. Instance UIDs are replaced by "2.25." UIDs made from a keyed
hash (HMAC-SHA256 with the patient's secret key), so the same UID maps to the same new UID
across a whole export and SEG/SR references still resolve. Dates shift by the patient's whole
day offset; times of day are kept. Pseudonyms and keys come from `deid_mapping`; the
independent check of the result is `deid_verify.find_phi`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydicom import Dataset
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence
from pydicom.uid import UID_dictionary

from medgui.core.deid.mapping import Pseudonym, PseudonymMap
from medgui.core.deid.profile import (
    BASIC_PROFILE,
    CLASS_UID_KEYWORDS,
    CLEAN_STRUCTURED_CONTENT,
    RETAIN_MODIFIED_DATES,
    RETAIN_PATIENT_CHARACTERISTICS,
    RULES,
    SAFE_PRIVATE,
    resolve_action,
)
from medgui.core.deid.text import KnownIdentifiers, scrub_text
from medgui.core.deid.verify import element_values

# Modalities and SOP classes that often have text burned into the pixels (PS3.15 E.1.1 note).
BURNED_IN_MODALITIES = frozenset({"US", "SC", "XC", "ES", "OT", "DOC"})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
# Free-text values the table does not name: the SR's text items. Kept, with identifiers replaced.
_FREE_TEXT_KEYWORDS = frozenset({"TextValue"})
_DUMMY = {
    "PN": "ANONYMOUS", "DA": "19000101", "DT": "19000101000000", "TM": "000000", "DS": "0",
    "IS": "0", "AS": "000Y", "CS": "ANONYMOUS", "AE": "ANONYMOUS",
}  # fmt: skip


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


class Deidentifier:
    """Applies the profile with `options`, taking each patient's pseudonym from `pseudonyms`."""

    def __init__(self, options: DeidOptions, pseudonyms: PseudonymMap) -> None:
        self.options = options
        self.pseudonyms = pseudonyms
        self._known = KnownIdentifiers()

    def deidentify(self, ds: Dataset) -> Dataset:
        """De-identify `ds` in place (file meta included) and return it. Report text in it
        (SR text items) keeps its words with names, IDs and dates replaced (`scrub_text`)."""
        patient = self.pseudonyms.for_patient(str(ds.get("PatientID") or "").strip())
        self._known = KnownIdentifiers.from_metadata(ds)
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
            elif keyword in _FREE_TEXT_KEYWORDS:
                element.value = scrub_text(str(element.value or ""), self._known)
            return
        if self.options.keep_patient_characteristics and rule.patient_trait:
            return
        if self.options.keep_dates_shifted and rule.shift_with_dates:
            if element.VR in ("DA", "DT"):
                self._dates(element, patient)
            return  # times of day and sequences of dates stay as they are
        action = resolve_action(rule.action, bool(element_values(element)))
        if action == "X":
            del ds[element.tag]
        elif action == "Z":
            element.value = Sequence() if element.VR == "SQ" else ""
        elif element.VR == "SQ":  # D, C or U on a sequence: keep its items, cleaned
            self._clean_items(element, patient)
        elif action == "U":
            self._map_uids(element, patient)
        elif action == "D":
            element.value = _DUMMY.get(element.VR, "ANONYMOUS") if element_values(element) else ""

    def _dates(self, element: DataElement, patient: Pseudonym) -> None:
        """Shift a DA/DT value with the dates option, else empty it."""
        if not self.options.keep_dates_shifted:
            element.value = ""
            return
        shifted = [_shift_date(v, patient.date_offset_days) for v in element_values(element)]
        element.value = shifted if len(shifted) > 1 else (shifted or [""])[0]

    def _clean_items(self, element: DataElement, patient: Pseudonym) -> None:
        for item in element.value:
            self._clean(item, patient)

    @staticmethod
    def _map_uids(element: DataElement, patient: Pseudonym) -> None:
        values = element_values(element)
        mapped = [v if str(v) in UID_dictionary else patient.new_uid(str(v)) for v in values]
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
