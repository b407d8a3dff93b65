"""View → Compare: the series on show beside a prior of the same patient (the latest earlier
study among the series scanned and those the local study index holds from other folders,
`core.io.priors.find_prior_indexed`, searched in a worker) or beside another series the user
picks. The second series loads in a worker and shows in a `ComparePane` at the right of the
views; opening another series ends the comparison. The pane's measurements go to the window's
store, its tool is the window's, and the Measurements dock lists the series of the view the
user last clicked or focused (`measuring`), as the active viewport drives it in other
workstations."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QWidget

from medgui.core.io.index import INDEX_ERRORS, default_index
from medgui.core.io.load import load_volume
from medgui.core.io.priors import find_prior_indexed
from medgui.core.io.scan import Series
from medgui.ui.common.app_context import AppContext
from medgui.ui.viewer.compare_pane import ComparePane
from medgui.workers.view_workers import display_worker


def _series_text(series: Series) -> str:
    date = series.study_date
    date = f"{date[:4]}-{date[4:6]}-{date[6:]}" if len(date) == 8 else date
    return f"{date}  {series.modality}  {series.description or series.uid}".strip()


class CompareActions(QObject):
    """The comparison's menu actions and the pane on show (`pane`, None when not comparing)."""

    opened = Signal(object)  # the ComparePane
    failed = Signal(str)  # why nothing is compared: no prior, or it could not be loaded
    measuring = Signal(object)  # the MeasurementContext of the view last clicked

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app, self.pane = app, None
        self._worker = None
        self.actions: dict[str, QAction] = {}
        for name, text, slot in (
            ("compare_prior", "Compare with prior", self.compare_with_prior),
            ("compare_series", "Compare with series…", self.choose_series),
            ("compare_stop", "Stop comparing", self.stop),
        ):
            action = QAction(text, app.shell)
            action.triggered.connect(slot)
            self.actions[name] = action
            app.menu_actions[name] = action
        app.view_layout.state_changed.connect(self._on_state)
        self._on_state(app.view_layout.state)
        QApplication.instance().focusChanged.connect(self._on_focus)

    def populate(self, menu: QMenu) -> None:
        sub = menu.addMenu("Compare")
        for action in self.actions.values():
            sub.addAction(action)

    def _candidates(self) -> list[Series]:
        scan, volume = self.app.scan, self.app.view_layout.volume
        if scan is None or volume is None:
            return []
        current = str(volume.metadata.get("SeriesInstanceUID") or "")
        return [s for s in scan.series if s.kind == "image" and s.uid != current]

    def compare_with_prior(self) -> None:
        """Look for the latest earlier study of this patient, in the scan and in the study
        index, and show it beside the series on show (`opened`); `failed` and a status message
        when there is none."""
        state, volume = self.app.view_layout.state, self.app.view_layout.volume
        if state is None or volume is None:
            return
        try:
            index = default_index()
        except INDEX_ERRORS:
            index = None  # a cache: without it only the scanned series are searched
        self.app.say("Looking for a prior…")
        self._worker = worker = display_worker(
            find_prior_indexed, self._candidates(), volume.metadata, index
        )
        worker.returned.connect(lambda prior: self._prior_found(state, prior))
        worker.errored.connect(lambda error: self.failed.emit(str(error)))
        worker.start()

    def _prior_found(self, state, prior: Series | None) -> None:
        self._worker = None
        if self.app.view_layout.state is not state:
            return  # another series opened meanwhile
        if prior is None:
            message = "No earlier study of this patient among the scanned or indexed series"
            self.app.say(message)
            self.failed.emit(message)
            return
        self.compare_with(prior)

    def choose_series(self) -> None:
        """Pick any other series of the scan to compare with."""
        candidates = self._candidates()
        if not candidates:
            self.app.say("No other image series to compare with")
            return
        texts = [_series_text(s) for s in candidates]
        text, ok = QInputDialog.getItem(
            self.app.shell, "Compare with series", "Series:", texts, 0, False
        )
        if ok:
            self.compare_with(candidates[texts.index(text)])

    def compare_with(self, series: Series) -> None:
        """Load `series` in a worker and show it beside the series on show."""
        layout = self.app.view_layout
        state, volume = layout.state, layout.volume
        if state is None:
            return
        self.app.say(f"Loading {_series_text(series)} to compare…")
        self._worker = worker = display_worker(load_volume, series)
        worker.returned.connect(lambda other: self._show(state, volume, other, series))
        worker.errored.connect(lambda error: self.failed.emit(str(error)))
        worker.errored.connect(lambda error: self.app.say(f"Could not load it: {error}"))
        worker.start()

    def _show(self, state, volume, other, series: Series) -> None:
        self._worker = None
        if self.app.view_layout.state is not state:
            return  # another series opened meanwhile
        self.stop()
        main = self.app.measurements
        self.pane = pane = ComparePane(state, volume, other, measurement_store=main.store)
        pane.measurements.set_tool(main.tool)
        main.tool_changed.connect(pane.measurements.set_tool)
        pane.measurements.tool_changed.connect(main.set_tool)
        pane.close_requested.connect(self.stop)
        self.app.view_layout.set_comparison(self.pane)
        self.actions["compare_stop"].setEnabled(True)
        self.app.say(f"Comparing with {_series_text(series)}")  # not "Loading…" any more
        self.opened.emit(self.pane)

    def stop(self) -> None:
        """End the comparison (the views take the width again)."""
        pane, self.pane = self.pane, None
        if pane is not None:
            self.app.measurements.tool_changed.disconnect(pane.measurements.set_tool)
            self.measuring.emit(self.app.measurements)
            self.app.view_layout.set_comparison(None)
            pane.close_link()
            pane.deleteLater()
        self.actions["compare_stop"].setEnabled(False)

    def _on_state(self, state) -> None:
        if self.pane is not None and self.pane.main_state is not state:
            self.stop()
        for name in ("compare_prior", "compare_series"):
            self.actions[name].setEnabled(state is not None)
        self.actions["compare_stop"].setEnabled(self.pane is not None)

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """The dock lists the series of the view the user went to: the pane's or the views'."""
        pane = self.pane
        if pane is None or new is None:
            return
        if pane.isAncestorOf(new):
            self.measuring.emit(pane.measurements)
        elif self.app.view_layout.isAncestorOf(new):
            self.measuring.emit(self.app.measurements)
