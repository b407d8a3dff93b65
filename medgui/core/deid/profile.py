"""The PS3.15 Annex E action table: what the Basic Application Level Confidentiality Profile does
to each attribute of Table E.1-1, and what its two options change.

Actions (PS3.15 E.1.1): D replace with a dummy value, Z replace with an empty (or dummy) value,
X remove, K keep, C clean, U replace the UID with a consistent new one. Combined codes such as
"X/Z" or "X/Z/D" mean "the weakest that keeps the object valid": medgui keeps the attribute
empty (Z) or with a dummy (D) when the original holds a value, so that a Type 1 or Type 2
attribute of any IOD stays present (see `resolve_action`).

Option columns: "C" marks the dates and times that the Retain Longitudinal Temporal Information
with Modified Dates option shifts instead; "K" marks what Retain Patient Characteristics keeps.
Attributes not listed are kept (the profile lists every attribute that can identify), apart from
private attributes, which go unless their (creator, element) is in `SAFE_PRIVATE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from pydicom.datadict import keyword_dict
from pydicom.sr.coding import Code

BASIC_PROFILE = Code("113100", "DCM", "Basic Application Confidentiality Profile")
CLEAN_STRUCTURED_CONTENT = Code("113104", "DCM", "Clean Structured Content Option")
RETAIN_MODIFIED_DATES = Code(
    "113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"
)
RETAIN_PATIENT_CHARACTERISTICS = Code("113108", "DCM", "Retain Patient Characteristics Option")


@dataclass(frozen=True)
class Rule:
    """One row of Table E.1-1: the basic `action` and whether the dates option shifts it
    (`shift_with_dates`) or the patient characteristics option keeps it (`patient_trait`)."""

    action: str
    shift_with_dates: bool = False
    patient_trait: bool = False


# The table itself is data (Table E.1-1, one attribute a line): profile_table.txt beside this
# module, read once at import.
_TABLE = (resources.files(__package__) / "profile_table.txt").read_text(encoding="utf-8")


def _parse(text: str) -> dict[str, Rule]:
    rules = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        keyword, action, *flags = line.split()
        if keyword not in keyword_dict:
            raise ValueError(f"de-identification table: {keyword} is not a DICOM keyword")
        rules[keyword] = Rule(action, "C" in flags, "K" in flags)
    return rules


RULES: dict[str, Rule] = _parse(_TABLE)

# UIDs that name a kind of thing (a SOP class, a transfer syntax, a coding scheme), not an
# instance: mapping them would break the file, and they identify nobody.
CLASS_UID_KEYWORDS = frozenset(
    {
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "TransferSyntaxUID",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextGroupExtensionCreatorUID",
        "MappingResourceUID",
        "RelatedGeneralSOPClassUID",
        "OriginalSpecializedSOPClassUID",
    }
)

# Private attributes known to hold acquisition physics only, kept by (private creator, group,
# element within the block). PS3.15 E.3.10 lets a site keep such "safe" private attributes;
# the verification pass still searches them.
SAFE_PRIVATE = frozenset(
    {
        ("SIEMENS MR HEADER", 0x0019, 0x0C),  # B value
        ("SIEMENS MR HEADER", 0x0019, 0x0E),  # diffusion gradient direction
        ("GEMS_PARM_01", 0x0043, 0x39),  # slope/intercept of diffusion images
    }
)


def resolve_action(action: str, has_value: bool) -> str:
    """The single action (D, Z, X, K, C or U) that a table code stands for: a combined code
    keeps the attribute (dummy when it held a value, else empty) so every IOD stays valid."""
    if "/" not in action:
        return action
    parts = action.split("/")
    if "U*" in parts:
        return "U"
    if "D" in parts and has_value:
        return "D"
    return "Z" if "Z" in parts or "D" in parts else parts[0]
