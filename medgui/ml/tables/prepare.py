"""A table's columns as the numbers a network reads: typed, imputed, one-hot, standardised.

Each feature column is typed from its cells: numeric when every filled cell is a number,
categorical when it holds text with at most `MAX_CATEGORIES` distinct values (sex, stage,
yes/no), and refused otherwise (free text or identifiers teach a model nothing but the rows it
saw). Fitting (on the training rows only, so no validation row leaks into the scaling):

- numeric: missing cells take the training median and, when the column had any missing cell,
  an indicator column (1 = was missing) follows it, so that "not measured" can carry
  information of its own; then standardised to mean 0, SD 1 (an SD of 0 is left unscaled);
- categorical: one column per category seen in training (one-hot), plus one for missing when
  there was any; a category first seen at inference sets none of them.

Plain numpy: the fitted state is a small JSON object stored in the model card, which is what
inference rebuilds the transform from (no pickled scikit-learn object to trust).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from medgui.core.tables.csvfile import is_missing

MAX_CATEGORIES = 20


def parse_number(cell: Any) -> float | None:
    """The number in `cell`, or None when it is missing or not a number."""
    if is_missing(cell):
        return None
    try:
        value = float(cell)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def column_kind(name: str, cells: list[Any], source: str) -> str:
    """ "numeric" or "categorical" (see the module docstring); ValueError naming `source` and
    the column when every cell is missing or it is text that is no category."""
    filled = [c for c in cells if not is_missing(c)]
    if not filled:
        raise ValueError(f"{source}: column {name!r} is empty in every row; leave it out")
    text = [c for c in filled if parse_number(c) is None]
    if not text:
        return "numeric"
    distinct = {str(c).strip() for c in filled}
    if len(distinct) <= MAX_CATEGORIES:
        return "categorical"
    examples = ", ".join(repr(str(c)) for c in text[:3])
    raise ValueError(
        f"{source}: column {name!r} is not numeric ({examples}...) and has {len(distinct)} "
        f"distinct values, too many for a category (at most {MAX_CATEGORIES}); leave it out "
        "or name it as the id"
    )


@dataclass
class ColumnPrep:
    """The fitted transform of one column."""

    name: str
    kind: str  # numeric | categorical
    fill: float = 0.0  # numeric: the training median
    mean: float = 0.0
    sd: float = 1.0
    indicator: bool = False  # numeric: a was-missing column follows
    categories: list[str] = field(default_factory=list)  # categorical: one-hot order
    missing_category: bool = False  # categorical: a column for missing

    @property
    def outputs(self) -> list[str]:
        if self.kind == "numeric":
            return [self.name] + ([f"{self.name} (missing)"] if self.indicator else [])
        extra = [f"{self.name} (missing)"] if self.missing_category else []
        return [f"{self.name}={c}" for c in self.categories] + extra

    def transform(self, cells: list[Any]) -> np.ndarray:
        if self.kind == "numeric":
            values = np.array([parse_number(c) for c in cells], dtype=object)
            absent = np.array([v is None for v in values])
            numbers = np.where(absent, self.fill, values).astype(np.float64)
            out = [(numbers - self.mean) / self.sd]
            if self.indicator:
                out.append(absent.astype(np.float64))
            return np.stack(out, axis=1)
        text = [None if is_missing(c) else str(c).strip() for c in cells]
        out = [[float(t == c) for t in text] for c in self.categories]
        if self.missing_category:
            out.append([float(t is None) for t in text])
        return np.array(out, dtype=np.float64).reshape(len(out), len(cells)).T


def _fit_column(name: str, kind: str, cells: list[Any]) -> ColumnPrep:
    if kind == "numeric":
        numbers = [v for v in map(parse_number, cells) if v is not None]
        fill = float(np.median(numbers)) if numbers else 0.0
        indicator = len(numbers) < len(cells)
        imputed = np.array(numbers + [fill] * (len(cells) - len(numbers)))
        sd = float(imputed.std())
        return ColumnPrep(name, kind, fill, float(imputed.mean()), sd if sd > 0 else 1.0, indicator)
    filled = [str(c).strip() for c in cells if not is_missing(c)]
    return ColumnPrep(
        name, kind, categories=sorted(set(filled)), missing_category=len(filled) < len(cells)
    )


@dataclass
class TablePrep:
    """The fitted transform of every feature column, in order."""

    columns: list[ColumnPrep]

    @classmethod
    def fit(cls, data: dict[str, list[Any]], kinds: dict[str, str]) -> TablePrep:
        """Fit on `data` ({column: cells}) with the `kinds` of `column_kind`."""
        return cls([_fit_column(name, kind, data[name]) for name, kind in kinds.items()])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def outputs(self) -> list[str]:
        """The network's input columns, named."""
        return [name for column in self.columns for name in column.outputs]

    def transform(self, data: dict[str, list[Any]], n_rows: int) -> np.ndarray:
        """(n_rows, len(outputs)) float32; a column absent from `data` is all missing."""
        blocks = [c.transform(data.get(c.name, [None] * n_rows)) for c in self.columns]
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.columns]

    @classmethod
    def from_json(cls, data: Any, source: str) -> TablePrep:
        """Rebuild from `to_json` (read from a model card); ValueError naming `source`."""
        try:
            columns = [ColumnPrep(**dict(c)) for c in data]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{source}: malformed table preprocessing: {error}") from error
        if not columns or any(c.kind not in ("numeric", "categorical") for c in columns):
            raise ValueError(f"{source}: malformed table preprocessing (no or unknown columns)")
        return cls(columns)
