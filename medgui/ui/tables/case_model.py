"""The case table as a Qt model: one row per case, sortable by value (numbers as numbers,
missing cells last) and filterable by any cell's text through `CaseProxy`."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def shown(value: Any) -> str:
    """A cell as text: numbers to 4 significant digits, missing empty."""
    number = _number(value)
    if number is not None and not isinstance(value, str):
        return f"{number:.4g}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


class CaseTableModel(QAbstractTableModel):
    """`columns` × `rows` (dicts keyed by column)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = []

    def set_table(self, columns: list[str], rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.columns, self.rows = list(columns), [dict(r) for r in rows]
        self.endResetModel()

    def add_columns(self, values: dict[str, dict[str, Any]], key: str = "id") -> None:
        """Set the columns of `values` ({column: {row key: value}}) on the rows whose `key`
        cell matches, adding new ones right after the first column (the predictions after
        training: seen beside the case, not past its many features)."""
        self.beginResetModel()
        for offset, (column, by_key) in enumerate(values.items(), start=1):
            if column not in self.columns:
                self.columns.insert(offset, column)
            for row in self.rows:
                row[column] = by_key.get(str(row.get(key)), "")
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()].get(self.columns[index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(value)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and _number(value) is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return super().headerData(section, orientation, role)


def _sort_key(value: Any) -> tuple:
    number = _number(value)
    if number is not None:
        return (0, number, "")
    text = "" if value is None else str(value)
    if not text or (isinstance(value, float) and math.isnan(value)):
        return (2, 0.0, "")  # missing cells last
    return (1, 0.0, text.lower())


class CaseProxy(QSortFilterProxyModel):
    """Sorts by value (see `_sort_key`) and keeps rows any of whose cells contain the filter
    text (case-insensitive)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        return _sort_key(left.data(SORT_ROLE)) < _sort_key(right.data(SORT_ROLE))
