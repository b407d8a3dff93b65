"""Two study-level actions of the main window: clearing the study index, and showing the demo
study's ground truth as the labels of its CT."""

from __future__ import annotations

from pathlib import Path

from medgui.core.scan_index import default_index
from medgui.core.volume import Volume


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


def show_demo_labels(labels_ui, volume: Volume, labels: Path) -> None:
    """Import the demo's labelled organs (named, coloured by their table) onto its CT once it is
    loaded, unless the CT already shows labels (saved by an earlier session)."""
    source = Path(volume.slice_sources[0][0]) if volume.slice_sources else None
    session = labels_ui.context.session
    if source is None or source.parent != labels.parent / "dicom" or not labels.is_file():
        return
    if session is not None and session.volume is volume and session.is_empty():
        labels_ui.files.import_labels(labels)
