"""The verification pass of de-identification: every element value of an output searched for
the source's patient name, ID, birth date and accession number; free text (LT, ST, UT, UC:
report text) also for each part of the name as a word, the patient's dates in any usual
spelling, and the identifier patterns of `text.text_phi`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset
from pydicom.dataelem import DataElement

from medgui.core.deid.text import KnownIdentifiers, text_phi

_PIXEL_KEYWORDS = frozenset({"PixelData", "FloatPixelData", "DoubleFloatPixelData"})
# Text VRs: searched for the originals as substrings; others only compared whole.
_TEXT_VRS = frozenset({"PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE", "DA", "DT", "UN"})
_BYTES_VRS = frozenset({"OB", "OW", "UN"})
_FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC"})


@dataclass(frozen=True)
class Originals:
    """The identifying values of one source file that must not survive de-identification."""

    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    accession_number: str = ""
    known: KnownIdentifiers = KnownIdentifiers()  # what free text is searched for

    @classmethod
    def of(cls, ds: Dataset) -> Originals:
        """The originals of a (not yet de-identified) dataset."""
        return cls(
            *(str(ds.get(k) or "").strip() for k in ("PatientName", "PatientID", "PatientBirthDate",
                                                     "AccessionNumber")),
            KnownIdentifiers.from_metadata(ds),
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


def element_values(element: DataElement) -> list:
    """The values of a non-sequence element as a list (empty when it has none)."""
    value = element.value
    if value is None or value == "":
        return []
    return list(value) if element.VM > 1 else [value]


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
    return [str(v) for v in element_values(element)]


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
        if element.VR in _FREE_TEXT_VRS:
            reported = {f.what for f in findings if f.where == where}
            for what in text_phi(" ".join(_as_texts(element)), originals.known):
                if what not in reported:
                    findings.append(PhiFinding(where, f"{what} (in its text)"))
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
