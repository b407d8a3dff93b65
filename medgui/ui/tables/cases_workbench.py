"""The Cases dock in the main window: builds the workspace's case table and trains the table
model in workers, shows the results, and opens a case's series on double-click.

Built from the `AppContext` only (its workspace, jobs, docks and View menu); the table is
built from the saved series, so Build saves nothing itself: what is on show counts once saved.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from medgui.ui.common.app_context import AppContext
from medgui.ui.common.dock_actions import dock_action
from medgui.ui.tables.cases_panel import CasesPanel
from medgui.workers.table_workers import (
    case_table_worker,
    dispatch,
    locate_worker,
    table_train_worker,
)


class CasesWorkbench(QObject):
    """See the module docstring. `table` is the last case table built (None before)."""

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self.panel = CasesPanel()
        self.table = None
        self.result = None  # the last `TableTrained`
        self.worker = None  # the running job
        (self.dock,) = app.add_docks([("Cases", self.panel)], app.right_dock)
        view_menu = app.menu_holding("reset")
        action = dock_action(self.dock, "Ctrl+Shift+K")
        if view_menu is not None:
            view_menu.addAction(action)
        app.menu_actions["cases_dock"] = action
        self.panel.build_requested.connect(self.build)
        self.panel.train_requested.connect(self.train)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.open_requested.connect(self.open_series)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _start(self, worker, text: str) -> None:
        self.worker = worker
        self.panel.set_running(True)
        self.panel.say(text)
        worker.errored.connect(self._failed)
        worker.finished.connect(self._done)
        worker.start()

    def build(self, per: str) -> None:
        """Build the case table, one row per `per`, from the workspace's saved series."""
        if self.busy:
            return
        worker = case_table_worker(self.app.workspace.root, per)
        worker.progressed.connect(self.panel.report)
        worker.returned.connect(self._built)
        self._start(worker, f"measuring the saved series (one row per {per})…")

    def _built(self, table) -> None:
        if table is None:  # cancelled
            return
        self.table = table
        self.panel.show_table(table.columns, table.rows, table.problems)

    def train(self, target: str, features: list, config: dict) -> None:
        """Train the table model to predict `target` from `features` of the table."""
        if self.busy or self.table is None:
            return
        worker = table_train_worker(self.app.workspace.root, self.table, target, features, config)
        worker.yielded.connect(lambda event: dispatch(event, self.panel))
        worker.returned.connect(self._trained)
        self._start(worker, f"training to predict {target} ({len(features)} features)…")

    def _trained(self, result) -> None:
        if result is None:
            return
        self.result = result
        self.panel.show_result(result)
        self.app.say(f"table model saved as {result.version_id}")

    def open_series(self, key: str) -> None:
        """Open the saved series `key` (its images found from the workspace's record)."""
        if self.busy:
            return
        worker = locate_worker(self.app.workspace.root, key)
        worker.returned.connect(lambda target: target is not None and self.app.open_series(target))
        self._start(worker, "finding the series…")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.quit()

    def _failed(self, error: Exception) -> None:
        self.panel.say(f"failed: {error}")
        self.app.warn("Cases", str(error))

    def _done(self) -> None:
        self.worker = None
        self.panel.set_running(False)

    def close(self) -> None:
        """Stop the running job (training stops within a batch)."""
        self.cancel()
