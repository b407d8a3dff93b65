"""Smart labelling in the main window: grow from seeds and propagation of labelled slices, as
entries of the Label menu (one object, created with one line in `MainWindow`).

Grow from seeds is `GrowFromSeeds` (its preview is the session's proposal, accepted with
Ctrl+Return like an interpolation). Propagate trains a small 2-D model on the labelled slices
of the series on show, in a worker with progress and Cancel in the status bar, and hands the
result out with `proposed` (the window hands it to the training workbench's proposal layer),
where the user accepts, edits or rejects it as a model's proposal.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from medgui.ui.common.app_context import AppContext
from medgui.ui.common.error_dialog import log_caught
from medgui.ui.common.task_progress import TaskProgress
from medgui.ui.labeling.grow_tool import GrowFromSeeds
from medgui.ui.labeling.persistence import copy_labelmap
from medgui.workers.smart_label_workers import propagate_worker

SHORTCUTS = {"grow": "Ctrl+G", "propagate": "Ctrl+Shift+F"}
PROPAGATE_MINUTES = 0.75  # the first proposal within a minute on a CPU


class SmartLabelWorkbench(QObject):
    """Grow from seeds and Propagate, in the Label menu of `app.labels`. `proposed(proposal,
    description)` hands on a propagation's result, to be judged as a model's proposal."""

    proposed = Signal(object, str)

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        labels = app.labels
        self.grow = GrowFromSeeds(labels.context, labels.tools, self)
        self.grow.message.connect(app.say)
        self.progress = TaskProgress(app.shell)
        app.add_status_widget(self.progress)
        self.progress.cancel_button.clicked.connect(self.cancel_propagation)
        self.job = None
        self.minutes = PROPAGATE_MINUTES
        self.actions: dict[str, QAction] = {}
        for name, text, slot in (
            ("grow", "Grow from seeds", self.start_grow),
            ("accept_grow", "Accept grown labels", self.accept_grow),
            ("cancel_grow", "Cancel grow from seeds", self.grow.cancel),
            ("propagate", "Propagate labelled slices", self.propagate),
        ):
            action = QAction(text, app.shell)
            if name in SHORTCUTS:
                action.setShortcut(QKeySequence(SHORTCUTS[name]))
            action.triggered.connect(slot)
            self.actions[name] = action
            app.menu_actions[f"label_{name}"] = action
        menu = labels.label_menu
        # After the interpolation entries, before the "Clean up" submenu.
        clean_up = labels.actions.actions["remove_islands"]
        before = next(a for a in menu.actions() if a.menu() and clean_up in a.menu().actions())
        for action in self.actions.values():
            menu.insertAction(before, action)
        menu.insertSeparator(before)
        self.grow.changed.connect(self._sync)
        labels.context.session_changed.connect(self._sync)
        self._sync()

    def _sync(self, *_args) -> None:
        has_session = self.app.session is not None
        self.actions["grow"].setEnabled(has_session and not self.grow.active)
        for name in ("accept_grow", "cancel_grow"):
            self.actions[name].setEnabled(self.grow.active)
        self.actions["propagate"].setEnabled(has_session and self.job is None)

    # Grow from seeds.

    def start_grow(self) -> None:
        """Label → Grow from seeds: start painting seeds."""
        try:
            self.grow.start()
        except ValueError as error:
            self.app.warn("Grow from seeds", str(error))
        self.app.labels.show_label_dock()

    def accept_grow(self) -> None:
        """Write the preview (as Ctrl+Return does)."""
        session = self.app.session
        if session is not None and session.proposal is not None:
            session.accept_proposal()

    # Propagation.

    def propagate(self) -> None:
        """Label → Propagate: train on the labelled slices, propose the others."""
        session = self.app.session
        if session is None or self.job is not None:
            return
        if not any(layer.any() for layer in session.labelmap.layers):
            self.app.warn("Propagate", "Label a few slices first.")
            return
        labelmap = copy_labelmap(session.labelmap)
        worker = propagate_worker(session.volume, labelmap, self.minutes)
        self.job = worker
        worker.progressed.connect(
            lambda done, total: self.progress.report("Propagating labels…", done, total)
        )
        worker.returned.connect(lambda proposal: self._propagated(session, proposal))
        worker.errored.connect(self._failed)
        worker.finished.connect(self._job_over)
        self.progress.report("Propagating labels…", 0, 0)
        self._sync()
        worker.start()

    def cancel_propagation(self) -> None:
        if self.job is not None:
            self.job.quit()

    def _propagated(self, session, proposal) -> None:
        if proposal is None:
            self.app.say("Propagation cancelled")
            return
        if self.app.session is not session:
            return  # another series opened meanwhile
        self.proposed.emit(proposal, "Proposal of propagation from the labelled slices")
        given = len(proposal.model.get("given_slices", []))
        self.app.say(f"Propagated from {given} slice(s): accept, edit or reject in the Models dock")

    def _failed(self, error: Exception) -> None:
        log_caught("propagation failed", error)
        self.app.warn("Propagate", str(error))

    def _job_over(self) -> None:
        self.job = None
        self.progress.end()
        self._sync()

    def close(self) -> None:
        """Stop a propagation (the window is closing)."""
        self.cancel_propagation()
