"""The audit log viewer: the workspace's audit log as a table (time, action, details), newest
first, with a filter box that keeps the rows containing its words; lines of the log that could
not be read (a line cut short by a crash) are listed under the table.

The log is read in a worker (it only grows); the dialog only shows what comes back.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import create_worker

from medgui.core.workspace.audit import AuditEntry, AuditRead, read_audit
from medgui.core.workspace.layout import audit_path

COLUMNS = ("Time (UTC)", "Action", "Details")


def details_text(entry: AuditEntry) -> str:
    """The entry's details and user on one line, as the table shows them (the long series
    UID last, so the column shows what differs first)."""
    parts = []
    for key, value in sorted(entry.details.items(), key=lambda item: item[0] == "series"):
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        parts.append(f"{key} {shown}")
    if entry.user:
        parts.append(f"user {entry.user}")
    return " · ".join(parts)


def _time_text(iso: str) -> str:
    return iso[:23].replace("T", " ")  # to the millisecond, UTC


class AuditViewer(QDialog):
    """The audit log of one workspace; `load(root)` (re)reads it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log")
        self.resize(820, 480)
        self.path: Path | None = None
        self.entries: list[AuditEntry] = []
        self.worker = None
        self.where = QLabel("")
        self.where.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Filter: words that the row must contain")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # one line a row; the tooltip holds the whole text
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d08030;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(self.problems)

    @property
    def loading(self) -> bool:
        return self.worker is not None

    def load(self, workspace_root: str | Path) -> None:
        """Read the audit log of the workspace at `workspace_root` (in a worker)."""
        self.path = audit_path(workspace_root)
        self.where.setText(f"{self.path}")
        worker = create_worker(read_audit, self.path, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(self._show)
        worker.errored.connect(lambda error: self.problems.setText(f"{self.path}: {error}"))
        worker.finished.connect(lambda: self._over(worker))
        self.worker = worker
        worker.start()

    def _over(self, worker) -> None:
        if worker is self.worker:
            self.worker = None

    def _show(self, read: AuditRead) -> None:
        self.entries = list(reversed(read.entries))  # newest first
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = (_time_text(entry.time), entry.action, details_text(entry))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        count = len(read.problems)
        text = f"{count} line(s) could not be read:\n" + "\n".join(read.problems) if count else ""
        self.problems.setText(text)
        if not self.entries:
            self.where.setText(f"{self.path}: nothing recorded yet")
        self._apply_filter()

    def _apply_filter(self, *_args) -> None:
        words = self.filter.text().lower().split()
        for row in range(self.table.rowCount()):
            text = " ".join(self.table.item(row, c).text() for c in range(len(COLUMNS))).lower()
            self.table.setRowHidden(row, not all(word in text for word in words))

    def shown_rows(self) -> list[tuple[str, str, str]]:
        """The rows the filter lets through, as (time, action, details)."""
        return [
            tuple(self.table.item(row, c).text() for c in range(len(COLUMNS)))
            for row in range(self.table.rowCount())
            if not self.table.isRowHidden(row)
        ]
