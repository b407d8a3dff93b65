"""What of the main window is for images only, and putting it aside while a waveform record is
on show: the docks that act on an image series (measurements, DICOM tags, labels, class tags)
hide, and the menu actions that act on one are disabled (their plain-key shortcuts, such as
L "Show labels" and V "Flip vertically", would otherwise take the ECG view's keys). When an
image series comes back, each dock is shown or hidden as it was and each action enabled as
it was.

The training and model docks stay: beat models are trained and chosen there too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from medgui.ui.common.dock_actions import in_front

# Docks by object name (the dock title without spaces).
IMAGE_DOCKS = ("Measurements", "DICOMtags", "Labels", "Classtags")
# Actions of `menu_actions` by name: whole families by prefix, and single ones.
_IMAGE_PREFIXES = ("label_", "tool_", "layout_", "plane_")
_IMAGE_ACTIONS = frozenset({
    "reset", "fit", "invert", "flip_h", "flip_v", "rotate_cw", "rotate_ccw", "cine",
    "cine_faster", "cine_slower", "default_window", "save_preset", "export", "mark_key_image",
    "report", "next_uncertain", "next_uncertain_series", "run_model", "accept_proposal",
    "reject_proposal",
})  # fmt: skip


def is_image_action(name: str) -> bool:
    """Whether the window's action `name` acts on an image series only."""
    return name in _IMAGE_ACTIONS or name.startswith(_IMAGE_PREFIXES)


class ImageOnlyUi:
    """Hides and disables `window`'s image-only docks and actions while a record shows."""

    def __init__(self, window: QMainWindow) -> None:
        self._window = window
        self._docks: dict[QDockWidget, bool] | None = None  # None: images on show
        self._front: list[QDockWidget] = []  # the docks that were the front tab of their group
        self._actions: dict[QAction, bool] = {}
        self._widgets: dict[QWidget, bool] = {}

    @property
    def put_aside(self) -> bool:
        return self._docks is not None

    def image_docks(self) -> list[QDockWidget]:
        docks = self._window.findChildren(QDockWidget)
        return [d for d in docks if d.objectName() in IMAGE_DOCKS]

    def image_actions(self) -> list[QAction]:
        """The image-only actions, with the docks' own (their menu entries and shortcuts)."""
        actions = self._window.menu_actions
        found = [a for name, a in actions.items() if is_image_action(name)]
        direct = Qt.FindChildOption.FindDirectChildrenOnly
        for dock in self.image_docks():
            found += [dock.toggleViewAction(), *dock.findChildren(QAction, options=direct)]
        return list(dict.fromkeys(found))

    def image_widgets(self) -> list[QWidget]:
        """Controls outside the image docks that act on images only: the image model's
        proposal and classifier controls, the slab and cine controls of the status bar."""
        window = self._window
        training = window.training
        return [
            *training.model_panel.image_controls(), training.classifier.panel,
            window.slab_control, window.cine_controls,
        ]  # fmt: skip

    def put_away(self) -> None:
        """A record shows: hide the image docks and disable the image actions (once)."""
        if self._docks is not None:
            return
        self._docks = {d: not d.isHidden() for d in self.image_docks()}
        self._front = [d for d in self._docks if in_front(d)]
        self._actions = {a: a.isEnabled() for a in self.image_actions()}
        for dock in self._docks:
            dock.hide()
        for action in self._actions:
            action.setEnabled(False)
        self._widgets = {w: not w.isHidden() for w in self.image_widgets()}
        for widget in self._widgets:
            widget.hide()

    def bring_back(self) -> None:
        """Images show again: every dock and action as it was before the record."""
        if self._docks is None:
            return
        for dock, shown in self._docks.items():
            dock.setVisible(shown)
        for dock in self._front:
            dock.raise_()
        for action, enabled in self._actions.items():
            action.setEnabled(enabled)
        for widget, shown in self._widgets.items():
            widget.setVisible(shown)
        self._docks, self._front, self._actions, self._widgets = None, [], {}, {}
