"""The side panel listing the measurements of the series on show (of the main views, or of the
comparison pane when the user last clicked it: `set_context`).

One row per measurement: type, plane and slice, and its value (length, angle, or ROI mean, SD,
min, max and area). Selecting a row jumps to that slice; Delete removes the selected one. The
panel only watches the shared `MeasurementContext` and calls it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medgui.core.annotations.measurements import Measurement
from medgui.ui.measure.context import TOOL_NAMES, TOOL_SHORTCUTS, MeasurementContext, Tool

COLUMNS = ("Type", "Slice", "Value")
_UID_ROLE = Qt.ItemDataRole.UserRole
_KIND_NAMES = {"ruler": "Ruler", "angle": "Angle", "ellipse": "Ellipse", "rectangle": "Rectangle"}


class ToolBar(QWidget):
    """One checkable button per tool, following the context's tool."""

    def __init__(self, context: MeasurementContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.buttons: dict[Tool, QPushButton] = {}
        group = QButtonGroup(self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for tool in Tool:
            button = QPushButton(TOOL_NAMES[tool].split()[0], self)
            button.setCheckable(True)
            button.setToolTip(f"{TOOL_NAMES[tool]} ({TOOL_SHORTCUTS[tool]})")
            button.clicked.connect(lambda _checked=False, t=tool: context.set_tool(t))
            group.addButton(button)
            row.addWidget(button)
            self.buttons[tool] = button
        context.tool_changed.connect(self._show_tool)
        self._show_tool(context.tool)

    def _show_tool(self, tool: Tool) -> None:
        button = self.buttons[tool]
        with QSignalBlocker(button):
            button.setChecked(True)


class MeasurementPanel(QWidget):
    """Tool buttons, the table of measurements and a Delete button."""

    def __init__(self, context: MeasurementContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tools = ToolBar(context, self)
        self.series = QLabel(self)  # whose measurements are listed
        self.series.setToolTip("The series whose measurements are listed (the view last clicked)")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Delete the selected measurement (Delete)")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip(
            "Copy every measurement as tab-separated text, for a spreadsheet (Ctrl+C)"
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.delete_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.tools)
        column.addWidget(self.series)
        column.addWidget(self.table)
        column.addLayout(buttons)

        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self.delete_button.clicked.connect(lambda: self.context.delete_selected())
        self.copy_button.clicked.connect(self.copy)
        self.table.installEventFilter(self)  # Delete / Backspace in the table
        self._watch(context, True)
        self.refresh()

    def _watch(self, context: MeasurementContext, on: bool) -> None:
        for signal, slot in (
            (context.measurements_changed, self.refresh),
            (context.bound, self.refresh),
            (context.values_changed, self._show_values),
            (context.selection_changed, self._show_selection),
        ):
            signal.connect(slot) if on else signal.disconnect(slot)

    def set_context(self, context: MeasurementContext) -> None:
        """List the measurements of `context` (another view's series) from now on."""
        if context is self.context:
            return
        self._watch(self.context, False)
        self.context = context
        self._watch(context, True)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:
        delete_keys = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        if event.type() == QEvent.Type.KeyPress and event.key() in delete_keys:
            self.context.delete_selected()
            return True
        if event.type() == QEvent.Type.KeyPress and event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            return True
        return super().eventFilter(watched, event)

    def uids(self) -> list[str]:
        """The measurement uids in table order."""
        return [self.table.item(row, 0).data(_UID_ROLE) for row in range(self.table.rowCount())]

    def tsv(self) -> str:
        """The table as tab-separated text, a header row first: what `copy` puts on the
        clipboard (a spreadsheet pastes it into cells)."""
        rows = [list(COLUMNS)] + [self.row_texts(row) for row in range(self.table.rowCount())]
        return "".join("\t".join(t.replace("\t", " ") for t in row) + "\n" for row in rows)

    def copy(self) -> None:
        """Put every measurement on the clipboard as tab-separated text."""
        QGuiApplication.clipboard().setText(self.tsv())

    def row_texts(self, row: int) -> list[str]:
        """The texts of table row `row`."""
        return [self.table.item(row, column).text() for column in range(len(COLUMNS))]

    def refresh(self, *_args) -> None:
        """Rebuild the table from the context."""
        volume = self.context.volume
        self.series.setText(series_title(volume.metadata) if volume is not None else "")
        measurements = self.context.measurements()
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(measurements))
            for row, m in enumerate(measurements):
                for column, text in enumerate(self._texts(m)):
                    item = QTableWidgetItem(text)
                    item.setData(_UID_ROLE, m.uid)
                    self.table.setItem(row, column, item)
        self._show_selection(self.context.selected_uid)

    def _show_values(self, touched: list[Measurement]) -> None:
        """Work out the value column again for the rows of `touched` (their pixels changed)."""
        rows = {uid: row for row, uid in enumerate(self.uids())}
        for m in touched:
            if m.uid in rows:
                self.table.item(rows[m.uid], 2).setText(self.context.describe(m, full=True))

    def _texts(self, m: Measurement) -> tuple[str, str, str]:
        n = self.context.state.n_slices(m.plane) if self.context.state is not None else None
        where = f"{m.plane.value} {m.slice_index + 1}" + (f"/{n}" if n else "")
        return _KIND_NAMES.get(m.KIND, m.KIND), where, self.context.describe(m, full=True)

    def _on_row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.context.jump_to(self.table.item(rows[0].row(), 0).data(_UID_ROLE))

    def _show_selection(self, uid: str | None) -> None:
        uids = self.uids()
        with QSignalBlocker(self.table):
            if uid in uids:
                self.table.selectRow(uids.index(uid))
            else:
                self.table.clearSelection()
        self.delete_button.setEnabled(uid is not None)


def series_title(metadata: dict) -> str:
    """How a series is named over its measurements (and the comparison pane): its study date
    and description ("" when it has neither)."""
    date = str(metadata.get("StudyDate") or "").strip()
    if len(date) == 8 and date.isdigit():  # DICOM DA
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    parts = (date, str(metadata.get("SeriesDescription") or "").strip())
    return "  ".join(part for part in parts if part)
