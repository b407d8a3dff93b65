"""A training table: its rows' ids, groups (patients), targets and typed feature columns.

Read from a CSV (`medgui train --task table --table`) or from a case table built from the
workspace (the Cases dock). The feature columns are every column but the id, the target, the
group and the case table's identifiers (`core.tables.table.ID_COLUMNS`), unless named.
Rows are grouped by ``patient_id`` when the table has it (so that the folds keep each
patient's rows on one side), else each row is its own group.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medgui.core.tables.columns import ID_COLUMNS
from medgui.core.tables.csvfile import is_missing, read_csv
from medgui.ml.tables.prepare import column_kind

GROUP_COLUMN = "patient_id"


@dataclass
class TableData:
    """Rows with a target, ready to split and fit."""

    ids: list[str]
    groups: list[str]
    y: np.ndarray  # class index per row
    classes: list[str]
    features: dict[str, list[Any]]  # column → cells (row order)
    kinds: dict[str, str]  # column → numeric | categorical
    target: str
    id_column: str = "id"
    problems: list[str] = field(default_factory=list)

    def subset(self, rows: np.ndarray) -> dict[str, list[Any]]:
        """The feature cells of `rows` (indices)."""
        return {name: [cells[i] for i in rows] for name, cells in self.features.items()}


def table_data(
    columns: list[str],
    rows: list[dict[str, Any]],
    target: str,
    *,
    id_column: str = "id",
    features: list[str] | None = None,
    source: str = "table",
) -> TableData:
    """The training data in `rows` (dicts under `columns`): ValueError naming `source` for an
    unknown target, id or feature column, a target with fewer than two classes, an empty
    column or text that is no category (see `prepare.column_kind`). Rows without a target are
    left out and counted in `problems`."""
    if target not in columns:
        raise ValueError(
            f"{source}: no target column {target!r} (its columns: {', '.join(columns)})"
        )
    explicit_id = id_column != "id"
    if id_column not in columns and explicit_id:
        raise ValueError(f"{source}: no id column {id_column!r}")
    labelled = [r for r in rows if not is_missing(r.get(target))]
    problems = []
    if len(labelled) < len(rows):
        problems.append(f"{source}: {len(rows) - len(labelled)} rows have no {target}; left out")
    counts = Counter(str(r[target]).strip() for r in labelled)
    if len(counts) < 2:
        found = ", ".join(f"{k!r}" for k in counts) or "none"
        raise ValueError(
            f"{source}: the target {target!r} needs at least two classes, found {found}"
        )
    classes = sorted(counts)
    ids = [
        str(r.get(id_column) or n) if id_column in columns else str(n)
        for n, r in enumerate(labelled, start=1)
    ]
    group_by = GROUP_COLUMN if GROUP_COLUMN in columns and GROUP_COLUMN != target else None
    groups = [str(r.get(group_by) or f"row:{i}") if group_by else f"row:{i}"
              for r, i in zip(labelled, ids, strict=True)]  # fmt: skip
    skip = {target, id_column, *ID_COLUMNS}
    names = features if features is not None else [c for c in columns if c not in skip]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ValueError(f"{source}: no feature column {', '.join(map(repr, unknown))}")
    if not names:
        raise ValueError(f"{source}: no feature columns besides the id and the target")
    cells = {name: [r.get(name) for r in labelled] for name in names}
    kinds = {name: column_kind(name, cells[name], source) for name in names}
    y = np.array([classes.index(str(r[target]).strip()) for r in labelled], dtype=np.int64)
    return TableData(ids, groups, y, classes, cells, kinds, target, id_column, problems)


def read_table(path, target: str, id_column: str = "id") -> TableData:
    """`table_data` of the CSV file `path`."""
    columns, rows = read_csv(path)
    return table_data(columns, rows, target, id_column=id_column, source=str(path))
