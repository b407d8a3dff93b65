"""The main window's menus (File, View, Tools, Help) and the file choosers they open: a mixin of
`MainWindow`, kept apart so that the window's module holds the docks, the views and loading."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog

from medgui.ui.common.dock_actions import dock_action
from medgui.ui.measure.context import TOOL_NAMES, TOOL_SHORTCUTS, Tool
from medgui.ui.window.about import AboutDialog
from medgui.ui.window.study_actions import clear_study_index

# DICOM files often have no extension, so "All files" comes first.
_IMAGES = (
    "All files (*);;Images (*.dcm *.ima *.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd)"
    ";;ECG and waveforms (*.dcm *.hea *.edf)"
)


class WindowMenus:
    """Builds the menus of the `MainWindow` it is mixed into (its actions in `menu_actions`)."""

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        entries = (
            ("open_file", "&Open File…", "Ctrl+O", partial(self._ask_file, "Open file", _IMAGES)),
            ("open_folder", "Open &Folder…", "Ctrl+Shift+O", self._ask_folder),
            (
                "open_dicomdir",
                "Open &DICOMDIR…",
                "Ctrl+Shift+D",
                partial(self._ask_file, "Open DICOMDIR", "DICOMDIR (DICOMDIR dicomdir);;All (*)"),
            ),
        )
        for name, text, key, slot in entries:
            self.menu_actions[name] = self._menu_action(file_menu, text, key, slot)
        self.recent_menu = file_menu.addMenu("&Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.menu_actions["open_demo"] = self._menu_action(
            file_menu, "Open d&emo study", None, self.open_demo
        )
        self.menu_actions["clear_index"] = self._menu_action(
            file_menu, "Clear study &index…", None, partial(clear_study_index, self)
        )
        file_menu.addSeparator()
        self.menu_actions["quit"] = self._menu_action(file_menu, "&Quit", "Ctrl+Q", self.close)
        view_menu = bar.addMenu("&View")
        self.view_actions.populate(view_menu)
        view_menu.addSeparator()
        docks = (
            (self.browser, "Ctrl+B"),
            (self.measurement_dock, "Ctrl+Shift+M"),
            (self.tags_dock, "Ctrl+T"),
            (self.problems, "Ctrl+Shift+P"),
        )
        for dock, key in docks:
            view_menu.addAction(dock_action(dock, key))
        self._build_tools_menu(bar.addMenu("&Tools"))
        help_menu = bar.addMenu("&Help")
        self.menu_actions["about"] = self._menu_action(
            help_menu, "&About medgui", None, self._about
        )

    def _build_tools_menu(self, menu) -> None:
        group = QActionGroup(self)
        tools = {}
        for tool in Tool:
            # The keys are the slice view's (they act where the keyboard focus is): shown after
            # the tab, not claimed as shortcuts.
            action = menu.addAction(f"{TOOL_NAMES[tool]}\t{TOOL_SHORTCUTS[tool]}")
            action.setCheckable(True)
            action.setChecked(tool is self.measurements.tool)
            action.triggered.connect(partial(self.measurements.set_tool, tool))
            group.addAction(action)
            tools[tool] = self.menu_actions[f"tool_{tool.value}"] = action
        self.measurements.tool_changed.connect(lambda tool: tools[tool].setChecked(True))
        menu.addSeparator()
        delete = menu.addAction("Delete selected measurement\tDel")
        delete.triggered.connect(self.measurements.delete_selected)

    def _menu_action(self, menu, text: str, key, slot) -> QAction:
        action = menu.addAction(text)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(partial(self.open_path, path))
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear recent")
        clear.triggered.connect(self.settings.clear_recent)
        clear.setEnabled(bool(self.settings.recent_files()))

    def _ask_file(self, title: str, file_filter: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, self.settings.last_folder(), file_filter)
        if path:
            self.open_path(path)

    def _ask_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder", self.settings.last_folder())
        if path:
            self.open_path(path)

    def _about(self) -> None:
        AboutDialog(self.labels.workspace.root, self).show()
