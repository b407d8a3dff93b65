"""Lenient conversion of DICOM values read by pydicom (real files hold odd values)."""

from __future__ import annotations

from typing import Any

import pydicom


def as_text(value: Any) -> str:
    """A DICOM value as stripped text; multi-values joined with backslashes."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def first_float(value: Any) -> float | None:
    """The first number of a (multi-)value, or None when absent or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        if not value:
            return None
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def int_or_none(value: Any) -> int | None:
    """An integer value, or None when absent or not an integer."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def floats(value: Any, n: int) -> list[float] | None:
    """Exactly `n` numbers, or None."""
    if value is None:
        return None
    try:
        values = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return values if len(values) == n else None
