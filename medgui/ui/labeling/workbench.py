"""Labelling in the main window: one object that builds the label models, docks and menus and
connects them to the window's views, measurements and series loading.

When a series opens (the view layout's state changes to a new volume) a `LabelSession` is made
for it and filled from the workspace (offering an autosave newer than the last save), every
`SliceView` gets a `LabelOverlay` and a `LabelInput`, and the autosave starts watching it.
Label tools and measurement tools exclude each other: picking one puts the other down.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSplitter, QWidget

from medgui.core.annotations.measurements import measurement_from_dict
from medgui.core.annotations.store import series_key
from medgui.core.image.reformat import Plane
from medgui.core.io.index import data_dir
from medgui.core.labels.io import GeometryMismatchError
from medgui.core.workspace.store import Workspace
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.dock_actions import dock_action, scrolled
from medgui.ui.labeling.actions import LabelActions
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.files import LabelFiles
from medgui.ui.labeling.input import LabelInput
from medgui.ui.labeling.jobs import LabelJobs
from medgui.ui.labeling.overlay import LabelOverlay
from medgui.ui.labeling.panel import LabelPanel
from medgui.ui.labeling.persistence import LabelAutosave, open_work, session_from_work
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tags_panel import TagCommands, TagsPanel
from medgui.ui.labeling.tool_panel import LabelToolPanel
from medgui.ui.labeling.tools import LabelTools
from medgui.ui.measure.context import Tool

WORKSPACE_SETTING = "labels/workspace"  # the folder the user chose (absent: the default)
_LABEL_DOCK_WIDTH = 420  # the label table's columns without a scroll bar


def _open_workspace(dialogs: Dialogs, settings) -> Workspace:
    chosen = str(settings.store.value(WORKSPACE_SETTING, "") or "")
    try:
        return Workspace(chosen or None)
    except ValueError as error:
        # Never lose the session over an unreadable folder: work goes to a new one instead.
        fallback = data_dir() / f"workspace-{time.strftime('%Y%m%d-%H%M%S')}"
        dialogs.warn("Workspace", f"{error}\nLabels are saved in {fallback} instead.")
        return Workspace(fallback)


class LabelWorkbench(QObject):
    """The labelling part of the application, built in `app.shell` (see `AppContext`).
    `dialogs` asks the user everything (tests replace its methods); `workspace` keeps the work
    (default: the user's)."""

    def __init__(self, app: AppContext, *, workspace: Workspace | None = None) -> None:
        super().__init__(app.shell)
        self.app = app
        self.dialogs = Dialogs(app.shell)
        self.workspace = (
            workspace if workspace is not None else _open_workspace(self.dialogs, app.settings)
        )
        self.context = LabelContext(self)
        self.tools = LabelTools(self)
        self.autosave = LabelAutosave(self.workspace, self._measurements_of, parent=self)
        self.files = LabelFiles(self.context, self.dialogs, self)
        self.tags = TagCommands(self.context, self)
        self.jobs = LabelJobs(self.context, self.dialogs.warn, self)
        app.add_status_widget(self.jobs.progress)
        self.actions = LabelActions(
            self.context, self.tools, self.dialogs, self.files, self.autosave, self.tags,
            self.jobs, self,
        )  # fmt: skip
        self.overlays: dict[Plane, LabelOverlay] = {}
        self.inputs: dict[Plane, LabelInput] = {}
        self._views: dict[Plane, QWidget] = {}
        self._unmatched: str | None = None  # saved labels that did not fit the first grid
        self.panel = LabelPanel(self.context, self.dialogs)
        self.tool_panel = LabelToolPanel(self.tools, self.context, self.actions.actions)
        self.tags_panel = TagsPanel(self.tags, self.context, self.dialogs)
        self._build_docks()
        self._build_menus()
        for source in (
            self.autosave.failed, self.files.message, self.actions.message, self.jobs.message
        ):  # fmt: skip
            source.connect(self._say)
        self.tags.message.connect(self._say)
        self.autosave.saved.connect(self._on_saved)
        measurements = app.measurements
        measurements.tool_changed.connect(self._on_measurement_tool)
        measurements.measurements_changed.connect(lambda *_: self.autosave.mark_dirty())
        self.tools.changed.connect(self._on_tools)
        app.view_layout.state_changed.connect(self._on_state)
        app.jobs.volume_loaded.connect(self._on_loaded)
        waiting = [r for r in self.workspace.recoverable() if not r.problem]
        if waiting:
            self._say(f"Autosaved labels of {len(waiting)} series can be restored: open the series")

    # Building.

    def _build_docks(self) -> None:
        labels = QSplitter(Qt.Orientation.Vertical)
        labels.addWidget(scrolled(self.tool_panel))
        labels.addWidget(self.panel)
        entries = [("Labels", labels), ("Class tags", self.tags_panel)]
        self.label_dock, self.tags_dock = self.app.add_docks(entries, self.app.right_dock)

    def _build_menus(self) -> None:
        app, window, a = self.app, self.app.shell, self.actions.actions
        bar = window.menuBar()
        file_menu = app.menu_holding("quit")
        quit_action = app.menu_actions["quit"]
        self.choose_workspace_action = choose = QAction("Choose &workspace folder…", window)
        choose.triggered.connect(self.choose_workspace)
        for action in (a["save_labels"], a["import_labels"], a["export_labels"], choose):
            file_menu.insertAction(quit_action, action)
        file_menu.insertSeparator(quit_action)
        view_menu = app.menu_holding("reset")
        edit = QMenu("&Edit", window)
        edit.addAction(a["undo"])
        edit.addAction(a["redo"])
        bar.insertMenu(view_menu.menuAction(), edit)
        label_menu = QMenu("&Label", window)
        self.actions.populate_label_menu(label_menu)
        label_menu.addSeparator()
        for dock, key in ((self.label_dock, "Ctrl+Shift+L"), (self.tags_dock, "Ctrl+Shift+G")):
            label_menu.addAction(dock_action(dock, key))
        help_menu = app.menu_holding("about")
        bar.insertMenu(help_menu.menuAction(), label_menu)
        app.menu_actions.update({f"label_{name}": action for name, action in a.items()})
        app.menu_actions["choose_workspace"] = choose
        self.edit_menu, self.label_menu = edit, label_menu

    # Sessions.

    def _on_state(self, state) -> None:
        volume = self.app.view_layout.volume
        session = self.context.session
        if volume is None or state is None:
            self._retire(session)
        elif (
            session is not None
            and session.key == series_key(volume)
            and (session.labelmap.matches(volume))
        ):
            # The same series again (a load that finished, say): its labels and undo stay.
            session.volume = volume
            self.context.set_session(session, state)
        else:
            self._retire(session)
            session = self._open(volume)
            self.autosave.watch(session)
            self.context.set_session(session, state)
        self._attach()

    def _retire(self, session: LabelSession | None) -> None:
        if session is not None:
            self.context.set_session(None, None)
            self.autosave.watch(None)  # autosaves its unsaved edits
            session.deleteLater()

    def _open(self, volume) -> LabelSession:
        key = series_key(volume)
        session = LabelSession(volume, key)
        self._unmatched = None
        try:
            work, _restored = open_work(
                self.workspace, key, self.dialogs, self.autosave.autosaved_keys
            )
            if work is not None:
                self._restore_measurements(key, work.measurements)
                session_from_work(session, work)
        except GeometryMismatchError as error:
            self._unmatched = str(error)
            if not self.app.busy:
                self._warn_unmatched()
        except ValueError as error:
            self.dialogs.warn("Saved labels", f"{error}\n\nThe image opens without them.")
        return session

    def _on_loaded(self, *_args) -> None:
        if self._unmatched is not None:
            self._warn_unmatched()

    def _warn_unmatched(self) -> None:
        text, self._unmatched = self._unmatched, None
        self.dialogs.warn("Saved labels", f"The saved labels do not fit this image: {text}")

    def _restore_measurements(self, key: str, items: list[dict]) -> None:
        store = self.app.measurements.store
        for data in items:
            try:
                measurement = measurement_from_dict(data)
            except (KeyError, TypeError, ValueError) as error:
                self._say(f"A saved measurement could not be read: {error}")
                continue
            if store.get(key, measurement.uid) is None:
                store.add(key, measurement)

    def _measurements_of(self, key: str) -> list[dict]:
        return [m.to_dict() for m in self.app.measurements.store.list(key)]

    def _attach(self) -> None:
        """Give every new slice view its overlay and mouse handler."""
        views = dict(self.app.view_layout.views)
        if views == self._views:
            return
        self._views = views
        self.overlays, self.inputs = {}, {}
        for plane, view in views.items():
            if not hasattr(view, "slice_group"):
                continue  # a stand-in view (tests of the window alone)
            self.overlays[plane] = LabelOverlay(view, self.context, self.tools)
            self.inputs[plane] = LabelInput(view, self.context, self.tools, self._refused)

    # Messages and tool exclusivity.

    def _say(self, text: str) -> None:
        self.app.say(text)

    def _refused(self, text: str) -> None:
        self.dialogs.warn("Label", text)

    def _on_saved(self, key: str, explicit: bool, folder: str) -> None:
        if explicit:
            self._say(f"Labels saved in {folder}")

    # The workspace folder.

    def choose_workspace(self) -> None:
        """File → Choose workspace folder…: ask for a folder and keep the work there."""
        folder = self.dialogs.folder("Choose workspace folder", str(self.workspace.root))
        if folder:
            self.set_workspace(folder)

    def set_workspace(self, folder: str | Path) -> bool:
        """Keep labels, measurements, boxes and tags in `folder` from now on (remembered for
        the next start). The open series' unsaved work is saved into the old folder first.
        False (with a warning) if `folder` holds something that is not a workspace."""
        try:
            workspace = Workspace(Path(folder))
        except ValueError as error:
            self.dialogs.warn("Workspace", f"{folder} cannot be the workspace: {error}")
            return False
        old = self.workspace.root
        self.autosave.set_workspace(workspace)
        self.workspace = workspace
        self.app.settings.store.setValue(WORKSPACE_SETTING, str(workspace.root))
        self._say(f"Workspace: {workspace.root} (was {old})")
        return True

    def _on_measurement_tool(self, tool: Tool) -> None:
        if tool is not Tool.NAVIGATE:
            self.tools.set_tool(None)

    def _on_tools(self, name: str) -> None:
        if name == "tool" and self.tools.tool is not None:
            self.app.measurements.set_tool(Tool.NAVIGATE)
            self.show_label_dock()

    def show_label_dock(self) -> None:
        """Show and raise the Labels dock, wide enough for its table."""
        dock = self.label_dock
        dock.show()
        dock.raise_()
        if dock.width() < _LABEL_DOCK_WIDTH:
            self.app.shell.resizeDocks([dock], [_LABEL_DOCK_WIDTH], Qt.Orientation.Horizontal)

    def close(self) -> None:
        """Autosave unsaved work (the window is closing)."""
        self.autosave.close()
