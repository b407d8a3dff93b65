"""The DICOM tag browser: every element of the current image's header, sequences included.

The header is read again from the file (pydicom, ``stop_before_pixels``) rather than taken from
the loaded volume, which keeps only what the viewer needs; so the browser shows exactly what is
in the file. A search box filters by keyword, tag number (``0010,0010``, ``00100010`` or
``(0010,0010)``) or value text; the parents of a match stay visible so a match inside a
sequence is shown in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume

COLUMNS = ("Tag", "Keyword", "VR", "Value")
MAX_VALUE_CHARS = 160
REFRESH_MS = 150
_BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}


def format_value(element: pydicom.DataElement) -> str:
    """An element's value as one line of text, long values truncated, binary ones sized."""
    value = element.value
    if element.VR == "SQ":
        return f"{len(value)} item(s)"
    if element.VR in _BINARY_VRS or isinstance(value, bytes | bytearray):
        return f"<{len(value) if value is not None else 0} bytes>"
    if isinstance(value, pydicom.multival.MultiValue | list | tuple):
        text = "\\".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _tag_text(element: pydicom.DataElement) -> str:
    return f"({element.tag.group:04X},{element.tag.element:04X})"


def matches(item: QTreeWidgetItem, query: str) -> bool:
    """Whether row `item` matches the lower-case `query`: keyword, value text, or tag number
    written as (0010,0010), 0010,0010 or 00100010."""
    if query in item.text(1).lower() or query in item.text(3).lower():
        return True
    tag = item.text(0).lower()
    compact_query = "".join(c for c in query if c not in "(), ")
    return bool(compact_query) and compact_query in "".join(c for c in tag if c not in "(),")


class TagBrowser(QWidget):
    """A search box over a tree of (tag, keyword, VR, value) rows for one DICOM file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("DICOM tags")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search keyword, tag (0010,0010) or value")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.source = QLabel(self)
        self.source.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.search)
        column.addWidget(self.tree)
        column.addWidget(self.source)
        self.search.textChanged.connect(self.apply_filter)
        self._path: Path | None = None
        self._volume: Volume | None = None
        self._state: ViewerState | None = None
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self._show_current)

    @property
    def path(self) -> Path | None:
        """The file on show."""
        return self._path

    def show_file(self, path: str | Path | None, frame: int = 0) -> None:
        """Show the header of DICOM file `path` (None clears); a bad file shows why."""
        path = Path(path) if path is not None else None
        if path == self._path:
            return
        self._path = path
        self.tree.clear()
        if path is None:
            self.source.setText("")
            return
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        except (OSError, InvalidDicomError, ValueError, EOFError) as error:
            self.source.setText(f"{path.name}: cannot read the header ({error})")
            return
        meta = getattr(dataset, "file_meta", None)
        if meta is not None:
            self._add_dataset(self.tree.invisibleRootItem(), meta)
        self._add_dataset(self.tree.invisibleRootItem(), dataset)
        self.tree.resizeColumnToContents(0)
        self.tree.resizeColumnToContents(1)
        suffix = f", frame {frame + 1}" if frame else ""
        self.source.setText(f"{path}{suffix}")
        self.apply_filter(self.search.text())

    def _add_dataset(self, parent: QTreeWidgetItem, dataset: Dataset) -> None:
        for element in dataset:
            item = QTreeWidgetItem(
                parent, [_tag_text(element), element.keyword or "", element.VR, ""]
            )
            try:
                item.setText(3, format_value(element))
            except (ValueError, TypeError) as error:
                # A malformed value must not hide the rest of the header.
                item.setText(3, f"<unreadable: {error}>")
            if element.VR == "SQ":
                for n, child in enumerate(element.value, 1):
                    entry = QTreeWidgetItem(item, ["", f"Item {n}", "", ""])
                    self._add_dataset(entry, child)

    def follow(self, volume: Volume | None, state: ViewerState | None) -> None:
        """Show the file of the slice `state`'s crosshair is on, and keep following it (the
        header is read while the browser is visible)."""
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._volume, self._state = volume, state
        if state is not None:
            state.events.connect(self._on_state_event)
        self._show_current()

    def _on_state_event(self, name: str, _value: Any) -> None:
        # Reading and listing a header takes milliseconds: while slices scroll by, refresh a
        # few times a second, and not at all while the browser is hidden.
        if name == "crosshair" and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._show_current()

    def _show_current(self) -> None:
        if not self.isVisible():
            return
        volume, state = self._volume, self._state
        if volume is None or state is None or not volume.slice_sources:
            self.show_file(None)
            return
        path, frame = volume.slice_sources[state.crosshair[2]]
        self.show_file(path, frame)

    def apply_filter(self, query: str) -> None:
        """Hide rows that do not match `query`; the parents of a match stay visible (and open)
        and so do the contents of a matching sequence. An empty query shows everything."""
        query = query.strip().lower()
        root = self.tree.invisibleRootItem()
        for n in range(root.childCount()):
            self._filter(root.child(n), query, inside_match=False)

    def _filter(self, item: QTreeWidgetItem, query: str, inside_match: bool) -> bool:
        """Filter `item`'s subtree; True when the subtree holds a match of its own."""
        own = bool(query) and matches(item, query)
        below = False
        for n in range(item.childCount()):
            below |= self._filter(item.child(n), query, inside_match or own)
        item.setHidden(bool(query) and not (inside_match or own or below))
        item.setExpanded(below)
        return own or below

    def visible_keywords(self) -> list[str]:
        """The keywords of the rows on show, depth first (for tests and quick checks)."""
        found: list[str] = []

        def walk(item: QTreeWidgetItem) -> None:
            for n in range(item.childCount()):
                child = item.child(n)
                if not child.isHidden():
                    found.append(child.text(1))
                    walk(child)

        walk(self.tree.invisibleRootItem())
        return found

    def find_items(self, keyword: str) -> list[QTreeWidgetItem]:
        """All rows (visible or not) whose keyword is `keyword`."""
        found: list[QTreeWidgetItem] = []

        def walk(item: QTreeWidgetItem) -> None:
            for n in range(item.childCount()):
                child = item.child(n)
                if child.text(1) == keyword:
                    found.append(child)
                walk(child)

        walk(self.tree.invisibleRootItem())
        return found
