"""Two study-level actions of the main window: clearing the study index, and showing the demo
study's ground truth as the labels of its CT."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject

from medgui.core.image.volume import Volume
from medgui.core.io.index import default_index
from medgui.workers.label_workers import read_labels_worker


def clear_study_index(window) -> None:
    """Forget the headers (names, IDs, birth dates) of every scanned file, after asking."""
    index = default_index()
    question = (
        f"The study index remembers the headers of {index.count()} scanned file(s), with patient "
        "names, IDs and birth dates, so that folders reopen fast.\n"
        "Clear it? Folders are then read afresh when opened."
    )
    if window.labels.dialogs.confirm("Clear study index", question, "Clear"):
        window.statusBar().showMessage(f"Study index cleared ({index.clear()} file(s))", 8000)


class DemoLabels(QObject):
    """Shows the demo's labelled organs (named and coloured by their table) on its CT once it
    is loaded, unless the CT already shows labels (saved by an earlier session)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._labels: Path | None = None
        self._worker = None
        window.jobs.volume_loaded.connect(self._on_loaded)

    def expect(self, labels: Path) -> None:
        """The next load is the demo CT whose labels are `labels`."""
        self._labels = labels

    def _on_loaded(self, volume: Volume, *_args) -> None:
        labels, self._labels = self._labels, None
        session = self._window.labels.context.session
        source = Path(volume.slice_sources[0][0]) if volume.slice_sources else None
        if labels is None or source is None or source.parent != labels.parent / "dicom":
            return
        if session is None or session.volume is not volume or not session.is_empty():
            return
        self._worker = read_labels_worker(labels, volume, resample=False)
        self._worker.returned.connect(partial(self._read, session))
        self._worker.errored.connect(partial(self._failed, labels))
        self._worker.start()

    def _read(self, session, labelmap) -> None:
        self._worker = None
        # Only onto the same, still untouched labels: the user may have moved on meanwhile.
        if self._window.labels.context.session is session and session.is_empty():
            session.replace(labelmap)

    def _failed(self, labels: Path, error: Exception) -> None:
        self._worker = None
        self._window.statusBar().showMessage(f"The demo labels did not open: {error}", 10000)
