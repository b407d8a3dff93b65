"""The main window's waveform records: the central area holds either the image views or the
ECG panel, and this switches between them as records and image series are opened.

The image views are only put aside while a record shows, never cleared, so their volume, window
and slices are as they were when an image series comes back; the image-only docks and actions
are put aside with them (`signal_mode`), and File's WFDB annotation import and export
(`signal_files`) act on the record while it shows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from medgui.core import Series
from medgui.ui.signals.ecg_panel import EcgPanel, describe_record
from medgui.ui.window.signal_files import SignalFiles
from medgui.ui.window.signal_mode import ImageOnlyUi
from medgui.workers.study_jobs import StudyJobs

# What the scan lists as a waveform file by its name (see core.io.scan).
_WAVEFORM_SUFFIXES = (".hea", ".edf")


def is_waveform_source(source: Series | str | Path) -> bool:
    """Whether `source` is read as a waveform record rather than loaded as an image volume."""
    if isinstance(source, Series):
        return source.kind == "waveform"
    return str(source).lower().endswith(_WAVEFORM_SUFFIXES)


class SignalActions(QObject):
    """Owns the central stack (image views, ECG panel) of `window`, and shows each record that
    `jobs` reads; an image volume opening brings the image views back."""

    def __init__(self, window: QMainWindow, images: QWidget, jobs: StudyJobs) -> None:
        super().__init__(window)
        self._window = window
        self.stack = QStackedWidget(window)
        self.images = images
        self.panel = EcgPanel(self.stack)
        self.stack.addWidget(images)
        self.stack.addWidget(self.panel)
        self.image_only = ImageOnlyUi(window)
        self.files = SignalFiles(window, self.panel)
        jobs.signal_loaded.connect(self._on_loaded)
        jobs.volume_opened.connect(lambda _volume: self.show_images())

    @property
    def showing_record(self) -> bool:
        return self.stack.currentWidget() is self.panel

    def show_images(self) -> None:
        """Put the image views back (the record on show, if any, is dropped)."""
        self.stack.setCurrentWidget(self.images)
        self.panel.clear()
        self.image_only.bring_back()
        self.files.set_enabled(False)

    def _on_loaded(self, signal, _name: str, path: str, seconds: float) -> None:
        name = Path(path).name
        # The labels workbench is made after this: it is there by the time a record is read.
        self.panel.show_record(name, signal, self._window.labels.workspace.root)
        self.stack.setCurrentWidget(self.panel)
        self.image_only.put_away()
        self.files.set_enabled(True)
        self._window.setWindowTitle(f"medgui — {name}")
        warnings = list(signal.warnings) + ([self.panel.problem] if self.panel.problem else [])
        self._window.problems.set_volume_warnings(path, warnings)
        self._window.statusBar().showMessage(
            f"Read {describe_record(name, signal)} in {seconds:.1f} s", 10000
        )
