"""Case tables as CSV: reading (empty cells are missing), writing, and joining columns from a
second CSV by patient ID or accession number.

Plain `csv` (RFC 4180, UTF-8 with or without a BOM, as spreadsheets write it) rather than a
data-frame library: a case table is a few hundred rows, and the rules that matter here (which
cells are missing, what a duplicate key means) are stated in this module.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from medgui.core.util.atomic import atomic_writer

#: Cells read as missing (besides empty ones): what R, pandas and spreadsheets write for it.
MISSING = frozenset({"", "na", "nan", "n/a", "null", "none", "?"})
JOIN_KEYS = ("patient_id", "accession")


def is_missing(value: Any) -> bool:
    """True for None, NaN and the `MISSING` spellings."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in MISSING


def read_csv(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of the CSV file `path`; ValueError naming the file when it cannot be
    read, has no header, repeats a column name or has no rows."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [str(c).strip() for c in reader.fieldnames or []]
            reader.fieldnames = columns
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: cannot read it as a CSV table: {error}") from error
    if not columns or not any(columns):
        raise ValueError(f"{path}: no header row (the first line must name the columns)")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ValueError(f"{path}: columns named more than once: {', '.join(repeated)}")
    if not rows:
        raise ValueError(f"{path}: no rows under the header")
    for number, row in enumerate(rows, start=2):
        if None in row:  # more cells than the header names
            raise ValueError(f"{path}: line {number} has more cells than the header has columns")
    return columns, [{k: (v or "").strip() for k, v in row.items()} for row in rows]


def _cell(value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, float):
        return repr(value)  # round-trips exactly
    return str(value)


def write_csv(path: str | Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> Path:
    """Write `rows` (dicts; absent keys and NaN become empty cells) under `columns`,
    atomically."""
    path = Path(path)
    with atomic_writer(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    return path


def join_csv(
    columns: list[str], rows: list[dict[str, Any]], path: str | Path, on: str
) -> tuple[list[str], list[str]]:
    """Add the columns of the CSV `path` to `rows` (in place) where its `on` column
    (patient_id or accession) equals theirs. A column whose name the table already has comes in
    as ``csv_<name>``. Returns (the new column list, problems: the CSV's keys that match no
    case). ValueError for an unknown key, a CSV without the key column or a key given twice."""
    if on not in JOIN_KEYS:
        raise ValueError(f"join on one of {', '.join(JOIN_KEYS)}, not {on!r}")
    extra_columns, extra_rows = read_csv(path)
    if on not in extra_columns:
        named = ", ".join(extra_columns)
        raise ValueError(f"{path}: no {on!r} column to join on (its columns: {named})")
    by_key: dict[str, dict[str, str]] = {}
    for row in extra_rows:
        key = row[on]
        if not key:
            continue
        if key in by_key:
            raise ValueError(f"{path}: {on} {key!r} is on more than one row")
        by_key[key] = row
    renamed = {c: (f"csv_{c}" if c in columns else c) for c in extra_columns if c != on}
    matched = set()
    for row in rows:
        found = by_key.get(str(row.get(on, "")))
        if found is not None:
            matched.add(row[on])
            row.update({renamed[c]: found[c] for c in renamed})
    problems = [f"{path}: {on} {key!r} matches no case" for key in sorted(set(by_key) - matched)]
    return columns + list(renamed.values()), problems
