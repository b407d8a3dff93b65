"""The Labels dock: the label table (colour, name, visible, opacity, locked, layer), add and
remove, the active label (the selected row) and per-label statistics.

`LabelTableModel` is a Qt model over the session's `LabelTable`: edits go to
`LabelSession.set_label`, and the session's `table_changed` refreshes the model, so the view
always shows the model and never the other way round. Statistics are recomputed once edits
have stopped for `STATS_DELAY_MS`, only while the panel is visible, in a worker on a copy of the
map (a whole-body map takes longer than a frame).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medgui.core.labels.stats import LabelStats
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.workers.label_workers import label_snapshot, statistics_worker

STATS_DELAY_MS = 500
COLUMNS = ("", "Name", "Show", "Opacity", "Lock", "Layer", "#")
COLOR, NAME, VISIBLE, OPACITY, LOCKED, LAYER, VALUE = range(len(COLUMNS))
_CHECKS = {VISIBLE: "visible", LOCKED: "locked"}
_TIPS = {
    COLOR: "Colour (double-click to change)",
    OPACITY: "Opacity in percent",
    LOCKED: "A locked label cannot be painted over or erased",
    LAYER: "Labels on different layers may overlap",
    VALUE: "The voxel value of the label in exported files",
}
_ROLE = Qt.ItemDataRole


class LabelTableModel(QAbstractTableModel):
    """The session's label table as rows; `refused(text)` when an edit is not allowed."""

    refused = Signal(str)

    def __init__(self, context: LabelContext, parent=None) -> None:
        super().__init__(parent)
        self._context = context
        self._session: LabelSession | None = None
        context.session_changed.connect(self._bind)
        self._bind(context.session)

    def _bind(self, session: LabelSession | None) -> None:
        if self._session is not None:
            self._session.table_changed.disconnect(self.refresh)
        self._session = session
        if session is not None:
            session.table_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _labels(self):
        return self._session.labelmap.table.labels if self._session is not None else []

    def value_at(self, row: int) -> int:
        return self._labels()[row].value

    def row_of(self, value: int) -> int:
        return next((n for n, lb in enumerate(self._labels()) if lb.value == value), -1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._labels())

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=_ROLE.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == _ROLE.DisplayRole:
            return COLUMNS[section]
        if role == _ROLE.ToolTipRole:
            return _TIPS.get(section)
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in _CHECKS:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if index.column() in (NAME, OPACITY, LAYER):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index, role=_ROLE.DisplayRole):
        label = self._labels()[index.row()]
        column = index.column()
        if column == COLOR and role == _ROLE.DecorationRole:
            return QColor(*label.color)
        if column in _CHECKS and role == _ROLE.CheckStateRole:
            on = getattr(label, _CHECKS[column])
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        if role in (_ROLE.DisplayRole, _ROLE.EditRole):
            shown = {
                NAME: label.name,
                OPACITY: round(label.opacity * 100),
                LAYER: label.layer,
                VALUE: label.value,
            }
            return shown.get(column)
        return None

    def setData(self, index, value, role=_ROLE.EditRole) -> bool:
        session, column = self._session, index.column()
        if session is None:
            return False
        label = self._labels()[index.row()]
        if column in _CHECKS and role == _ROLE.CheckStateRole:
            change = {_CHECKS[column]: Qt.CheckState(value) == Qt.CheckState.Checked}
        elif column == NAME:
            change = {"name": value}
        elif column == OPACITY:
            change = {"opacity": int(value) / 100}
        elif column == LAYER:
            change = {"layer": int(value)}
        else:
            return False
        try:
            session.set_label(label.value, **change)
        except ValueError as error:
            self.refused.emit(str(error))
            return False
        return True


class LabelStatsTable(QTableWidget):
    """Voxels, millilitres, mean ± SD of the image and box size of each label."""

    HEADERS = ("Label", "Voxels", "Volume ml", "Mean", "SD", "Size mm")

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.stats: list[LabelStats] = []

    def show_stats(self, stats: list[LabelStats]) -> None:
        self.stats = stats
        self.setRowCount(len(stats))
        for row, s in enumerate(stats):
            size = "" if s.extent_mm is None else " × ".join(f"{v:.0f}" for v in s.extent_mm)
            cells = (
                s.name,
                str(s.voxel_count),
                f"{s.volume_ml:.2f}",
                "" if s.mean is None else f"{s.mean:.1f}",
                "" if s.sd is None else f"{s.sd:.1f}",
                size,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.setItem(row, column, item)


class LabelPanel(QWidget):
    """The table, its buttons and the statistics of the session on show."""

    def __init__(self, context: LabelContext, dialogs: Dialogs, parent=None) -> None:
        super().__init__(parent)
        self._context, self._dialogs = context, dialogs
        self._session: LabelSession | None = None
        self.model = LabelTableModel(context, self)
        self.model.refused.connect(lambda text: dialogs.warn("Label", text))
        self.model.modelReset.connect(self._select_active)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.add_button, self.remove_button = QPushButton("Add label"), QPushButton("Remove")
        self.add_button.clicked.connect(self.add_label)
        self.remove_button.clicked.connect(self.remove_active)
        self.stats = LabelStatsTable(self)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.stats, 2)
        self._stats_timer = QTimer(self, singleShot=True, interval=STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self.refresh_stats)
        self._stale = True
        self._worker = None  # the statistics worker running, if any
        context.session_changed.connect(self._bind)
        self._bind(context.session)

    def _bind(self, session: LabelSession | None) -> None:
        old, self._session = self._session, session
        if old is not None:
            for signal in (old.voxels_changed, old.table_changed):
                signal.disconnect(self._schedule_stats)
            old.active_changed.disconnect(self._select_active)
        if session is not None:
            for signal in (session.voxels_changed, session.table_changed):
                signal.connect(self._schedule_stats)
            session.active_changed.connect(self._select_active)
        self._select_active()
        for button in (self.add_button, self.remove_button):
            button.setEnabled(session is not None)
        self._schedule_stats()

    def _select_active(self, *_args) -> None:
        session = self._session
        row = self.model.row_of(session.active_value) if session is not None else -1
        # Blocked: this shows the model's active label and must not set it again.
        with QSignalBlocker(self.table.selectionModel()):
            if row < 0:
                self.table.clearSelection()
            else:
                self.table.selectRow(row)
        self.table.viewport().update()

    def _on_row(self, current: QModelIndex, _previous) -> None:
        if self._session is not None and current.isValid():
            self._session.set_active(self.model.value_at(current.row()))

    def _on_double_click(self, index: QModelIndex) -> None:
        session = self._session
        if session is None or index.column() != COLOR:
            return
        value = self.model.value_at(index.row())
        color = self._dialogs.color(session.labelmap.table.get(value).color)
        if color is not None:
            session.set_label(value, color=color)

    def add_label(self) -> None:
        if self._session is not None:
            self._session.add_label()

    def remove_active(self) -> None:
        session = self._session
        if session is None:
            return
        label = session.active_label
        question = f"Remove '{label.name}' and erase its voxels? (Ctrl+Z restores the voxels.)"
        if not self._dialogs.confirm("Remove label", question, "Remove"):
            return
        try:
            session.remove_label(label.value)
        except ValueError as error:
            self._dialogs.warn("Remove label", str(error))

    # Statistics.

    def _schedule_stats(self, *_args) -> None:
        self._stale = True
        self._stats_timer.start()  # restarted by every edit: runs once they stop

    def refresh_stats(self) -> None:
        """Recompute the statistics now (when visible; otherwise once shown)."""
        if not self.isVisible() or self._worker is not None:
            return  # a running worker's end starts the next one
        session = self._session
        self._stale = False
        if session is None:
            self.stats.show_stats([])
            return
        image = None if session.volume.is_color else session.volume
        # The voxels are copied in the worker: 78 MB of a 300×512×512 map, after every edit.
        worker = statistics_worker(label_snapshot(session.labelmap), image)
        self._worker = worker
        worker.returned.connect(lambda stats: self._stats_done(session, stats))
        worker.errored.connect(lambda error: self._stats_done(session, None))
        worker.start()

    def _stats_done(self, session: LabelSession, stats: list[LabelStats] | None) -> None:
        self._worker = None
        if session is self._session and stats is not None:
            self.stats.show_stats(stats)
        if self._stale:
            self._stats_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stats_timer.start()
