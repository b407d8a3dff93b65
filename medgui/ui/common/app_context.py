"""What the main window hands to each workbench: the application context.

A workbench (labels, training, reports, export, audit, smart labelling) builds its docks and
menus in `shell` and otherwise uses only what is named here: the study jobs, the settings, the
measurements and the view layout, the status bar, and, once the label workbench is built, the
open series' session and the workspace. It never reaches into the main window, nor into another
workbench's private parts; the window wires workbenches together with their public signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

_MESSAGE_MS = 6000


class AppContext:
    """The application's shared state, as a workbench sees it.

    `shell` is the window that holds docks, menus and the status bar (any `QMainWindow`);
    `menu_actions` the actions by name (a workbench adds its own and finds the menus it extends
    by them: "quit" in File, "reset" in View, "about" in Help); `jobs` the `StudyJobs` (series
    loading, `volume_loaded`, `busy`); `settings` the `AppSettings`; `measurements` the
    `MeasurementContext`; `view_layout` the `ViewLayout` on show; `right_dock` the dock the
    right-hand docks are tabbed with; `scan` returns the scan on show (or None).
    """

    def __init__(
        self,
        shell: QMainWindow,
        *,
        settings: Any,
        jobs: Any,
        measurements: Any,
        view_layout: Any,
        menu_actions: dict,
        right_dock: QDockWidget | None = None,
        scan: Callable[[], Any] = lambda: None,
    ) -> None:
        self.shell = shell
        self.settings, self.jobs = settings, jobs
        self.measurements, self.view_layout = measurements, view_layout
        self.menu_actions = menu_actions
        self.right_dock = right_dock
        self._scan = scan
        # Set by the window once built: the `LabelWorkbench` (the open series' session, the
        # workspace, the label menu and dialogs) and the `TrainingWorkbench`.
        self.labels: Any = None
        self.training: Any = None

    @property
    def label_context(self) -> Any:
        """The `LabelContext`: the open series' session, `session_changed`."""
        return self.labels.context

    @property
    def session(self) -> Any:
        """The open series' `LabelSession`, or None."""
        return self.labels.context.session

    @property
    def workspace(self) -> Any:
        """The `Workspace` in use (the user may switch it: read it when needed)."""
        return self.labels.workspace

    @property
    def scan(self) -> Any:
        """The scan on show (the series browser's list), or None."""
        return self._scan()

    @property
    def busy(self) -> bool:
        """Whether a scan, demo or load job is running."""
        return self.jobs.busy

    def open_series(self, series: Any) -> None:
        """Load `series` through the window's normal load path."""
        self.jobs.load(series)

    def say(self, text: str, ms: int = _MESSAGE_MS) -> None:
        """Show `text` in the status bar for `ms` milliseconds."""
        self.shell.statusBar().showMessage(text, ms)

    def add_status_widget(self, widget: QWidget) -> None:
        """Add `widget` (a progress bar with Cancel, say) to the right of the status bar."""
        self.shell.statusBar().addPermanentWidget(widget)

    def warn(self, title: str, text: str) -> None:
        """Tell the user about a problem (through the label workbench's dialogs, which tests
        replace)."""
        self.labels.dialogs.warn(title, text)

    def add_docks(
        self, entries: list[tuple[str, QWidget]], tab_with: QDockWidget | None
    ) -> list[QDockWidget]:
        """Right-hand docks for (title, widget) `entries`, tabbed after `tab_with` and each
        other; hidden until asked for or shown by the saved window state, so that they never
        resize the window."""
        shell, docks = self.shell, []
        for title, widget in entries:
            dock = QDockWidget(title, shell)
            dock.setObjectName(title.replace(" ", ""))  # restoreState finds docks by name
            dock.setWidget(widget)
            dock.hide()
            shell.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            if tab_with is not None:
                shell.tabifyDockWidget(tab_with, dock)
            tab_with = dock
            docks.append(dock)
        state = self.settings.window_state()
        if state is not None:
            shell.restoreState(state)  # the first restore ran before these docks existed
        return docks

    def menu_holding(self, name: str) -> QMenu | None:
        """The menu of the menu bar that holds the action `name` of `menu_actions`."""
        action = self.menu_actions[name]
        for entry in self.shell.menuBar().actions():
            menu = entry.menu()
            if menu is not None and action in menu.actions():
                return menu
        return None
