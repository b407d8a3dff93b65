"""View → Compare: the series on show beside a prior of the same patient (the latest earlier
study among the series scanned, `core.io.priors.find_prior`) or beside another series the user
picks. The second series loads in a worker and shows in a `ComparePane` at the right of the
views; opening another series ends the comparison."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from medgui.core.io.load import load_volume
from medgui.core.io.priors import find_prior
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
    failed = Signal(str)

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

    def compare_with_prior(self) -> bool:
        """Show the latest earlier study of this patient beside the series on show; False
        (and a status message) when the scanned folders hold none."""
        volume = self.app.view_layout.volume
        prior = find_prior(self._candidates(), volume.metadata) if volume is not None else None
        if prior is None:
            self.app.say("No earlier study of this patient among the scanned series")
            return False
        self.compare_with(prior)
        return True

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
        worker.returned.connect(lambda other: self._show(state, volume, other))
        worker.errored.connect(lambda error: self.failed.emit(str(error)))
        worker.errored.connect(lambda error: self.app.say(f"Could not load it: {error}"))
        worker.start()

    def _show(self, state, volume, other) -> None:
        self._worker = None
        if self.app.view_layout.state is not state:
            return  # another series opened meanwhile
        self.stop()
        self.pane = ComparePane(state, volume, other)
        self.pane.close_requested.connect(self.stop)
        self.app.view_layout.set_comparison(self.pane)
        self.actions["compare_stop"].setEnabled(True)
        self.opened.emit(self.pane)

    def stop(self) -> None:
        """End the comparison (the views take the width again)."""
        pane, self.pane = self.pane, None
        if pane is not None:
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
