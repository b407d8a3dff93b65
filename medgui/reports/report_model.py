"""The report as plain data: what `build_report` assembles and every renderer draws.

Nothing here knows about PDF or HTML; numbers are already formatted as the report shows them
(so the PDF, the HTML and the preview say exactly the same), images are PNG bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESEARCH_ONLY = "For research use only \u2014 not for clinical diagnosis"


def shorten(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters, saying so: a report shows a value that long
    (a broken header, a pasted dump) only in part, and stays readable and printable."""
    if len(text) <= limit:
        return text
    return f"{text[: max(1, limit)]}\u2026 [cut: {len(text)} characters in all]"


@dataclass(frozen=True)
class HeaderField:
    """One line of the patient and study header, e.g. ("Patient ID", "12345")."""

    name: str
    value: str


@dataclass(frozen=True)
class Figure:
    """An embedded image (PNG bytes) with its caption, e.g. a key image or a Grad-CAM map."""

    png: bytes
    caption: str
    width_px: int
    height_px: int


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; `rows` match `columns` in length."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: row {row} does not match {self.columns}")


@dataclass(frozen=True)
class ModelSection:
    """One model's part of the report: name and version from its card, its validation
    metrics, and (when it was run on this series) its class probabilities and Grad-CAM."""

    title: str  # e.g. "classify v3 (small_cnn)"
    facts: tuple[HeaderField, ...] = ()
    metrics: Table | None = None
    probabilities: Table | None = None
    figure: Figure | None = None


@dataclass
class Report:
    """Everything one report says, in the order it says it."""

    title: str
    header: list[HeaderField]
    pseudonymised: bool = False
    key_images: list[Figure] = field(default_factory=list)
    measurements: Table | None = None
    labels: Table | None = None
    models: list[ModelSection] = field(default_factory=list)
    findings: str = ""
    impression: str = ""
    created: str = ""  # ISO date and time the report was made
    software: str = ""  # "medgui 0.x"
    notice: str = RESEARCH_ONLY
    notes: list[str] = field(default_factory=list)  # what the report could not include, and why
