"""Key images and the report draft: what the user marks and writes for the report.

A `KeyImage` is the slice on show when the user marked it: its plane, slice index and the
window (centre, width) it was read with, so the report shows it as the user saw it. A
`ReportDraft` keeps the Findings and Impression text between sessions, so nothing typed is
lost. Both are saved with the series' annotations (annotations.json).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from medgui.core.annotations.measurements import normalise_plane_slice
from medgui.core.image.reformat import Plane
from medgui.core.image.windowing import WindowLevel


def _new_uid() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class KeyImage:
    """Slice `slice_index` of `plane`, shown with window `center`/`width` (modality units)."""

    plane: Plane
    slice_index: int
    center: float
    width: float
    note: str = ""
    uid: str = field(default_factory=_new_uid)

    def __post_init__(self) -> None:
        normalise_plane_slice(self)
        window = WindowLevel(self.center, self.width)  # validates: finite, width >= 1
        object.__setattr__(self, "center", window.center)
        object.__setattr__(self, "width", window.width)
        object.__setattr__(self, "note", str(self.note))

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        return {
            "plane": self.plane.value,
            "slice_index": self.slice_index,
            "center": self.center,
            "width": self.width,
            "note": self.note,
            "uid": self.uid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyImage:
        """Rebuild from `to_json`; ValueError naming what is missing or wrong."""
        missing = [k for k in ("plane", "slice_index", "center", "width") if k not in data]
        if missing:
            raise ValueError(f"key image is missing {', '.join(missing)}")
        try:
            return cls(
                plane=data["plane"],
                slice_index=data["slice_index"],
                center=data["center"],
                width=data["width"],
                note=data.get("note", ""),
                uid=data.get("uid") or _new_uid(),
            )
        except TypeError as error:
            raise ValueError(f"bad key image: {error}") from error


@dataclass
class ReportDraft:
    """The free text of the report as the user last left it."""

    findings: str = ""
    impression: str = ""

    def is_empty(self) -> bool:
        return not (self.findings.strip() or self.impression.strip())

    def to_json(self) -> dict[str, str]:
        """A JSON-safe dict that `from_json` reads back."""
        return {"findings": self.findings, "impression": self.impression}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportDraft:
        """Rebuild from `to_json`; ValueError when it is not text."""
        findings, impression = data.get("findings", ""), data.get("impression", "")
        if not isinstance(findings, str) or not isinstance(impression, str):
            raise ValueError("the report draft's findings and impression must be text")
        return cls(findings, impression)
