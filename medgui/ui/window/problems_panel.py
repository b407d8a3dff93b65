"""The problems panel: files a scan could not use and warnings of the loaded volume.

Every problem names its file (or series) and the reason, as the house rules ask; the panel
shows itself when something is listed, so a problem is never only in a log.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QTreeWidget, QTreeWidgetItem, QWidget

from medgui.core import ScanError

COLUMNS = ("Kind", "File", "Problem")
SCAN_ERROR = "file"
VOLUME_WARNING = "volume"
LOAD_ERROR = "load"


class ProblemsPanel(QDockWidget):
    """Dock listing (kind, file, reason) rows: unusable files from the scan, the loaded volume's
    warnings, and a load that failed. The full path is in each row's tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Problems", parent)
        self.setObjectName("ProblemsPanel")  # saveState/restoreState find docks by name
        self.table = QTreeWidget(self)
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWidget(self.table)

    def rows(self) -> list[tuple[str, str, str]]:
        """The listed problems as (kind, full path, reason)."""
        items = (self.table.topLevelItem(n) for n in range(self.table.topLevelItemCount()))
        return [(i.text(0), i.data(1, Qt.ItemDataRole.UserRole), i.text(2)) for i in items]

    def _replace(self, kinds: Iterable[str], rows: Iterable[tuple[str, str, str]]) -> None:
        kinds = set(kinds)
        for n in reversed(range(self.table.topLevelItemCount())):
            if self.table.topLevelItem(n).text(0) in kinds:
                self.table.takeTopLevelItem(n)
        added = 0
        for kind, path, reason in rows:
            item = QTreeWidgetItem([kind, Path(path).name if path else "", reason])
            item.setData(1, Qt.ItemDataRole.UserRole, path)
            item.setToolTip(1, path)
            item.setToolTip(2, reason)
            self.table.addTopLevelItem(item)
            added += 1
        for column in range(len(COLUMNS) - 1):
            self.table.resizeColumnToContents(column)
        if added:
            self.show()
            self.raise_()

    def set_scan_errors(self, errors: Iterable[ScanError]) -> None:
        """List the files a scan could not use (replacing any earlier scan's and load's rows)."""
        rows = [(SCAN_ERROR, e.path, e.reason) for e in errors]
        self._replace((SCAN_ERROR, VOLUME_WARNING, LOAD_ERROR), rows)

    def set_volume_warnings(self, source: str, warnings: Iterable[str]) -> None:
        """List the loaded volume's warnings (replacing the previous volume's and load errors)."""
        self._replace((VOLUME_WARNING, LOAD_ERROR), [(VOLUME_WARNING, source, w) for w in warnings])

    def add_load_error(self, source: str, reason: str) -> None:
        """List a load that failed."""
        self._replace((), [(LOAD_ERROR, source, reason)])
