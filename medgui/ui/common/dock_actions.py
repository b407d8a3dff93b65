"""The menu entries with shortcuts that bring a dock to the user.

Qt's own `toggleViewAction` hides a dock that is open but behind another tab, so the first
press of its shortcut took the dock away instead of showing it. Here a press shows a hidden
dock and raises one that is behind a tab; only a dock already in front is hidden.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFrame, QMenu, QScrollArea, QWidget


def in_front(dock: QDockWidget) -> bool:
    """Whether the user sees `dock`: shown, and the current tab when tabbed with others."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def bring_to_front(dock: QDockWidget) -> None:
    """Show `dock` and make it the current tab of its group."""
    dock.show()
    dock.raise_()


def dock_action(dock: QDockWidget, key: str) -> QAction:
    """A checkable action named after `dock` (checked while it is open) whose shortcut `key`
    brings it to the front, or hides it when it already is."""
    action = QAction(dock.windowTitle(), dock)
    action.setCheckable(True)
    action.setChecked(not dock.isHidden())
    action.setShortcut(QKeySequence(key))

    def pressed(_checked: bool) -> None:
        if in_front(dock):
            dock.hide()
        else:
            bring_to_front(dock)
        action.setChecked(not dock.isHidden())

    action.triggered.connect(pressed)
    # Closed with its title bar button, or shown by code: the check mark follows.
    dock.visibilityChanged.connect(lambda _visible: action.setChecked(not dock.isHidden()))
    return action


def scrolled(widget: QWidget) -> QScrollArea:
    """`widget` in a scroll area for a dock, so its height never sets the window's minimum."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def add_menu_actions(
    menu: QMenu, actions_by_name: dict[str, QAction], entries: dict[str, tuple]
) -> dict[str, QAction]:
    """An action per entry ``name: (text, slot)`` or ``name: (text, slot, shortcut)`` added to
    `menu` and to `actions_by_name` (the window's actions by name); the new actions."""
    made = {}
    for name, (text, slot, *key) in entries.items():
        action = QAction(text, menu.parent())
        if key:
            action.setShortcut(QKeySequence(key[0]))
        action.triggered.connect(lambda _=False, slot=slot: slot())
        menu.addAction(action)
        actions_by_name[name] = made[name] = action
    return made
