"""File → Import / Export beat annotations (WFDB): the labels of the record on show read from
or written to a WFDB annotation file (``NAME.atr``, ``.qrs``...) through its `BeatSession`.

An import replaces the record's labels in one undo step (and is saved to the workspace as any
edit); a file that cannot be read, or whose beats do not fit the record, is named in a warning
with the reason, and the labels stay as they were.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow

from medgui.ui.signals.ecg_panel import EcgPanel

_ANNOTATIONS = "WFDB annotations (*.atr *.qrs *.ann *.ecg *.hea *);;All files (*)"


class SignalFiles:
    """The two File menu actions (`import_action`, `export_action`) of `window`, enabled while
    `panel` shows a record."""

    def __init__(self, window: QMainWindow, panel: EcgPanel) -> None:
        self._window, self._panel = window, panel
        self.import_action = QAction("Import beat annotations (WFDB)…", window)
        self.import_action.triggered.connect(lambda: self.import_annotations())
        self.export_action = QAction("Export beat annotations (WFDB)…", window)
        self.export_action.triggered.connect(lambda: self.export_annotations())
        actions = window.menu_actions
        quit_action = actions["quit"]
        file_menu = next(  # the File menu: the one that holds Quit
            entry.menu()
            for entry in window.menuBar().actions()
            if entry.menu() is not None and quit_action in entry.menu().actions()
        )
        for name, action in (
            ("import_annotations", self.import_action),
            ("export_annotations", self.export_action),
        ):
            file_menu.insertAction(quit_action, action)
            actions[name] = action
        file_menu.insertSeparator(quit_action)
        self.set_enabled(False)

    def set_enabled(self, on: bool) -> None:
        self.import_action.setEnabled(on)
        self.export_action.setEnabled(on)

    def _folder(self) -> str:
        source = self._panel.session.signal.source if self._panel.session else ""
        return str(Path(source).parent) if source else self._window.settings.last_folder()

    def _warn(self, title: str, text: str) -> None:
        self._window.labels.dialogs.warn(title, text)
        self._window.statusBar().showMessage(text, 10000)

    def import_annotations(self, path: str | Path | None = None) -> bool:
        """Replace the record's labels with those of the WFDB annotation file `path` (None:
        ask); False when nothing was imported (no record, cancelled, a bad file)."""
        session = self._panel.session
        if session is None:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self._window, "Import beat annotations", self._folder(), _ANNOTATIONS
            )
            if not path:
                return False
        try:
            session.import_wfdb(path)
        except (OSError, ValueError) as error:
            self._warn("Import beat annotations", str(error))
            return False
        beats, episodes = len(session.beats), len(session.episodes)
        self._window.statusBar().showMessage(
            f"Imported {Path(path).name}: {beats} beat(s), {episodes} rhythm episode(s)", 10000
        )
        return True

    def export_annotations(self, path: str | Path | None = None) -> Path | None:
        """Write the record's labels as the WFDB annotation file `path` (None: ask; no
        extension: ``.atr``); the file written, or None."""
        session = self._panel.session
        if session is None:
            return None
        if path is None:
            stem = Path(session.signal.source).stem or "record"
            path, _ = QFileDialog.getSaveFileName(
                self._window, "Export beat annotations", str(Path(self._folder()) / f"{stem}.atr"),
                _ANNOTATIONS,
            )  # fmt: skip
            if not path:
                return None
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".atr")
        try:
            written = session.export_wfdb(path)
        except (OSError, ValueError) as error:
            self._warn("Export beat annotations", str(error))
            return None
        self._window.statusBar().showMessage(f"Exported the labels to {written}", 10000)
        return written
