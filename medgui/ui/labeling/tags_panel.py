"""Classification tags: the user's class list, a tag for the series and one per image (slice k
of the acquisition plane), with keys to tag the image on show and move on.

`TagCommands` is the logic the keys (Alt+1..9, Alt+0, Alt+U) and the panel share; `TagsPanel`
shows the session's `ClassTagSet` and is rebuilt from it on every change. A series that has no
tags yet uses the window's class list (normal / abnormal until the user edits it).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medgui.core.annotations.model import ClassTagSet
from medgui.core.annotations.session import DEFAULT_CLASSES
from medgui.core.image.reformat import plane_for_axis
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.session import LabelContext, LabelSession

_NONE = "—"


class TagCommands(QObject):
    """Tagging the image on show and the series; `message(text)` for the status bar."""

    classes_changed = Signal()
    message = Signal(str)

    def __init__(self, context: LabelContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.class_list = list(DEFAULT_CLASSES)
        context.session_changed.connect(lambda _s: self.classes_changed.emit())

    def classes(self) -> list[str]:
        """The class list of the series on show (the window's list if it has no tags yet)."""
        session = self._context.session
        if session is not None and session.annotations.tags is not None:
            return list(session.annotations.tags.classes)
        return list(self.class_list)

    def _session(self) -> LabelSession | None:
        session = self._context.session
        if session is not None and session.annotations.tags is None:
            session.set_classes(self.class_list)
        return session

    def current_image(self) -> int | None:
        """The image (slice k) on show, or None without a series."""
        state = self._context.state
        return None if state is None else int(state.crosshair[2])

    def _go_to(self, image: int) -> None:
        session, state = self._context.session, self._context.state
        state.set_slice(plane_for_axis(session.volume, 2), image)

    def tag_key(self, key: int) -> None:
        """Tag the image on show with class `key` (1-based), then show the next untagged one
        (the next image when every image is tagged)."""
        session, image = self._session(), self.current_image()
        if session is None or image is None:
            return
        try:
            name = session.tags.class_for_key(key)
        except ValueError as error:
            self.message.emit(str(error))
            return
        session.tag(image, name)
        following = session.tags.next_untagged(image)
        if following is None:
            following = min(image + 1, session.tags.n_images - 1)
        self._go_to(following)
        self.message.emit(f"Image {image + 1} tagged '{name}'")

    def untag(self) -> None:
        session, image = self._session(), self.current_image()
        if session is not None and image is not None:
            session.tag(image, None)

    def next_untagged(self) -> None:
        session, image = self._session(), self.current_image()
        if session is None or image is None:
            return
        following = session.tags.next_untagged(image)
        if following is None:
            self.message.emit("Every image is tagged")
        else:
            self._go_to(following)

    def tag_series(self, name: str | None) -> None:
        session = self._session()
        if session is not None:
            session.tag(None, name)

    def set_classes(self, classes: list[str], renamed: dict[str, str] | None = None) -> None:
        """Use `classes` from now on (ValueError for empty or repeated names)."""
        ClassTagSet(classes, 0)  # the same checks as the model, before anything changes
        self.class_list = list(classes)
        session = self._context.session
        if session is not None:
            session.set_classes(list(classes), renamed)
        self.classes_changed.emit()


class TagsPanel(QWidget):
    """The class list editor, the series tag, the image on show with its tag, and counts."""

    def __init__(self, commands: TagCommands, context: LabelContext, dialogs: Dialogs, parent=None):
        super().__init__(parent)
        self._commands, self._context, self._dialogs = commands, context, dialogs
        self._session: LabelSession | None = None
        self._state = None
        self.class_list = QListWidget(self)
        self.class_list.itemChanged.connect(self._on_class_edited)
        add, remove = QPushButton("Add class"), QPushButton("Remove class")
        add.clicked.connect(self._add_class)
        remove.clicked.connect(self._remove_class)
        self.series_tag = QComboBox(self)
        self.series_tag.currentTextChanged.connect(self._on_series_tag)
        # Where the series tag came from when a report set it (the user reviews it here).
        self.series_origin = QLabel(self)
        self.series_origin.setWordWrap(True)
        self.image_label = QLabel(self)
        self.counts = QLabel(self)
        self.counts.setWordWrap(True)
        self._class_buttons = QGridLayout()
        clear, untagged = QPushButton("Clear tag (Alt+0)"), QPushButton("Next untagged (Alt+U)")
        clear.clicked.connect(commands.untag)
        untagged.clicked.connect(commands.next_untagged)
        classes_box = QGroupBox("Classes", self)
        column = QVBoxLayout(classes_box)
        column.addWidget(self.class_list)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        column.addLayout(row)
        form = QFormLayout()
        form.addRow("Series:", self.series_tag)
        form.addRow("", self.series_origin)
        form.addRow("Image:", self.image_label)
        layout = QVBoxLayout(self)
        layout.addWidget(classes_box)
        layout.addLayout(form)
        layout.addLayout(self._class_buttons)
        tail = QHBoxLayout()
        tail.addWidget(clear)
        tail.addWidget(untagged)
        layout.addLayout(tail)
        layout.addWidget(self.counts)
        layout.addStretch(1)
        commands.classes_changed.connect(self.refresh)
        context.session_changed.connect(self._bind)
        self._bind(context.session)

    def _bind(self, session: LabelSession | None) -> None:
        if self._session is not None:
            self._session.annotations_changed.disconnect(self.refresh)
        if self._state is not None:
            self._state.events.disconnect(self._on_state)
        self._session, self._state = session, self._context.state
        if session is not None:
            session.annotations_changed.connect(self.refresh)
        if self._state is not None:
            self._state.events.connect(self._on_state)
        self.refresh()

    def _on_state(self, name: str, _value) -> None:
        if name == "crosshair":
            self._show_image()

    def refresh(self) -> None:
        """Show the model: classes, series tag, class buttons, the image's tag, counts."""
        classes, session = self._commands.classes(), self._session
        tags = session.annotations.tags if session is not None else None
        with QSignalBlocker(self.class_list):
            self.class_list.clear()
            for name in classes:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.class_list.addItem(item)
        with QSignalBlocker(self.series_tag):
            self.series_tag.clear()
            self.series_tag.addItems([_NONE, *classes])
            self.series_tag.setCurrentText(tags.series_tag if tags and tags.series_tag else _NONE)
            self.series_tag.setEnabled(session is not None)
        origin = tags.origins.get(None) if tags is not None and tags.series_tag else None
        self.series_origin.setText(
            f"from the report ({origin.get('status', '')}): “{origin.get('sentence', '')}”"
            if origin
            else ""
        )
        self.series_origin.setVisible(origin is not None)
        while self._class_buttons.count():
            self._class_buttons.takeAt(0).widget().deleteLater()
        for n, name in enumerate(classes[:9]):
            button = QPushButton(f"{name} (Alt+{n + 1})")
            button.setEnabled(session is not None)
            button.clicked.connect(partial(self._commands.tag_key, n + 1))
            self._class_buttons.addWidget(button, n // 2, n % 2)
        if tags is None:
            self.counts.setText("No image tagged yet" if session is not None else "")
        else:
            counts = tags.counts()
            parts = [f"{name}: {count}" for name, count in counts.items()]
            untagged = tags.n_images - sum(counts.values())
            self.counts.setText(", ".join([*parts, f"untagged: {untagged}"]))
        self._show_image()

    def _show_image(self) -> None:
        session, image = self._session, self._commands.current_image()
        if session is None or image is None:
            self.image_label.setText("")
            return
        tags = session.annotations.tags
        tag = tags.get(image) if tags is not None else None
        n = session.volume.shape_zyx[0]
        source = " (from a report)" if tag and image in tags.origins else ""
        self.image_label.setText(f"{image + 1} / {n}: {tag or 'untagged'}{source}")

    # Class list edits.

    def _apply(self, classes: list[str], renamed: dict[str, str] | None = None) -> None:
        try:
            self._commands.set_classes(classes, renamed)
        except ValueError as error:
            self._dialogs.warn("Classes", str(error))
            self.refresh()

    def _on_class_edited(self, item: QListWidgetItem) -> None:
        old = self._commands.classes()
        row = self.class_list.row(item)
        new = [self.class_list.item(n).text().strip() for n in range(self.class_list.count())]
        self._apply(new, {old[row]: new[row]} if row < len(old) else None)

    def _add_class(self) -> None:
        classes = self._commands.classes()
        name = next(
            f"class {n}" for n in range(len(classes) + 1, 1000) if f"class {n}" not in classes
        )
        self._apply([*classes, name])

    def _remove_class(self) -> None:
        row = self.class_list.currentRow()
        classes = self._commands.classes()
        if 0 <= row < len(classes):
            self._apply(classes[:row] + classes[row + 1 :])

    def _on_series_tag(self, text: str) -> None:
        self._commands.tag_series(None if text in (_NONE, "") else text)
