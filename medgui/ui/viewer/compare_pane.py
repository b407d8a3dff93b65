"""The comparison pane beside the views: a second series (a prior, or another series of the
study) in a slice view of the active plane, linked to the first by a `core.image.compare.
SeriesLink` (scrolling by position in patient coordinates with an offset, shared window/level
and zoom). The header names the series and holds the offset and the link."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medgui.core.annotations.store import MeasurementStore
from medgui.core.image.compare import SeriesLink
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.ui.measure.context import MeasurementContext
from medgui.ui.measure.panel import series_title
from medgui.ui.viewer.slice_view import SliceView

OFFSET_RANGE_MM = 2000.0


class ComparePane(QWidget):
    """`volume` beside the series that `main_state` views (of `main_volume`). Its measurements
    (`measurements`, bound to `volume`) are kept in `measurement_store`: the window's, so that
    they stay with their series as the main views' do."""

    close_requested = Signal()

    def __init__(
        self,
        main_state: ViewerState,
        main_volume: Volume,
        volume: Volume,
        parent=None,
        *,
        measurement_store: MeasurementStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.main_state, self.main_volume, self.volume = main_state, main_volume, volume
        self.state = ViewerState(volume)
        self.measurements = MeasurementContext(measurement_store, parent=self)
        self.view: SliceView | None = None
        self.link: SeriesLink | None = None
        self.title = QLabel(series_title(volume.metadata) or "Second series", self)
        self.title.setToolTip("The series compared with the one on the left")
        self.offset = QDoubleSpinBox(self)
        self.offset.setRange(-OFFSET_RANGE_MM, OFFSET_RANGE_MM)
        self.offset.setDecimals(1)
        self.offset.setSuffix(" mm")
        self.offset.setToolTip(
            "Where this series is shown relative to the other, along the plane's normal"
        )
        self.linked = QCheckBox("Linked", self)
        self.linked.setChecked(True)
        self.linked.setToolTip(
            "Scroll both series together; unlink, scroll one, link again to align them"
        )
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Stop comparing")
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 2)
        header.setSpacing(8)  # the title never runs into "Offset"
        header.addWidget(self.title, 1)
        header.addWidget(QLabel("Offset", self))
        header.addWidget(self.offset)
        header.addWidget(self.linked)
        header.addWidget(close)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addLayout(header)
        self.offset.valueChanged.connect(lambda mm: self.link and self.link.set_offset_mm(mm))
        self.linked.toggled.connect(lambda on: self.link and self.link.set_linked(on))
        close.clicked.connect(self.close_requested)
        main_state.events.connect(self._on_main_event)
        self._build()

    def _build(self) -> None:
        """The view and link of the main state's active plane (again when it changes)."""
        offset = self.link.offset_mm if self.link is not None else 0.0
        self._unlink()
        plane = self.main_state.active_plane
        self.view = SliceView(self.state, plane, self, measurements=self.measurements)
        self._column.addWidget(self.view, 1)
        self.link = SeriesLink(
            self.main_state, self.main_volume, self.state, self.volume, plane, offset_mm=offset
        )
        self.link.set_linked(self.linked.isChecked())
        self.link.events.connect(self._on_link_event)
        self.view.set_volume(self.volume)

    def _unlink(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None
        if self.view is not None:
            self.view.set_volume(None)
            self.view.deleteLater()
            self.view = None

    def close_link(self) -> None:
        """Stop following the main state (the pane is going)."""
        self.main_state.events.disconnect(self._on_main_event)
        self._unlink()
        self.measurements.close()

    def _on_main_event(self, name: str, value: Any) -> None:
        if name == "active_plane" and self.view is not None and value is not self.view.plane:
            self._build()

    def _on_link_event(self, name: str, value: Any) -> None:
        if name == "offset_mm":
            with QSignalBlocker(self.offset):
                self.offset.setValue(value)
        elif name == "linked":
            with QSignalBlocker(self.linked):
                self.linked.setChecked(value)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_requested.emit()
        else:
            super().keyPressEvent(event)
