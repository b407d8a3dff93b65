"""The View menu's actions (layouts, planes, display toggles, cine, window presets), bound to
the `ViewLayout`'s current `ViewerState`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import LAYOUTS, ViewerState
from medgui.core.image.windowing import CT_PRESETS
from medgui.core.util.atomic import atomic_write_bytes
from medgui.ui.common.settings import AppSettings
from medgui.ui.viewer.view_layout import ViewLayout


class ViewActions(QObject):
    """The View menu's actions, bound to the layout's current `ViewerState`.

    Each slot is one call on the state; check marks follow the state's events (with signals
    blocked while they are set, so a mark never echoes back as a command).
    """

    def __init__(self, view_layout: ViewLayout, settings: AppSettings) -> None:
        super().__init__(view_layout)
        self._layout = view_layout
        self._settings = settings
        self._watched: ViewerState | None = None
        self.actions: dict[str, QAction] = {}
        self._checkable = QActionGroup(self), QActionGroup(self)
        add = self._add
        add("layout_1", "One view", "Ctrl+1", lambda: view_layout.set_layout("1"), group=0)
        add("layout_3", "Three planes", "Ctrl+3", lambda: view_layout.set_layout("3"), group=0)
        add("layout_4", "Three planes and 3-D", "Ctrl+4", partial(self._layout_3d, "4"), group=0)
        add("layout_3d", "3-D view", "Ctrl+5", partial(self._layout_3d, "3d"), group=0)
        for plane, key in zip(Plane, ("Ctrl+Shift+A", "Ctrl+Shift+C", "Ctrl+Shift+S"), strict=True):
            slot = partial(self._call, "set_active_plane", plane)
            add(f"plane_{plane.value}", plane.value.capitalize(), key, slot, group=1)
        add("reset", "Reset display", "R", partial(self._call, "reset"))
        add("fit", "Fit to window", "F", self._fit)
        # Toggles pass their checked state on to the setter.
        add("invert", "Invert", "I", partial(self._call, "set_invert"), checkable=True)
        add("flip_h", "Flip horizontally", "H", partial(self._call, "set_flip_h"), checkable=True)
        add("flip_v", "Flip vertically", "V", partial(self._call, "set_flip_v"), checkable=True)
        add("rotate_cw", "Rotate clockwise", "Ctrl+R", partial(self._turn, 90))
        add("rotate_ccw", "Rotate counter-clockwise", "Ctrl+Shift+R", partial(self._turn, -90))
        add("cine", "Play / pause cine", "Space", view_layout.cine.toggle)
        add("cine_faster", "Cine faster", "]", partial(self._cine_rate, 1.25))
        add("cine_slower", "Cine slower", "[", partial(self._cine_rate, 0.8))
        # 0 is the slice view's key for it (as 1–8 are the presets'); shown, not claimed.
        add("default_window", "Automatic window\t0", None, self._default_window)
        add("save_preset", "Save window as preset…", None, self._save_preset)
        add("smooth", "Smooth zoomed images (bilinear)", None, self._smooth, checkable=True)
        add("export_png", "Export view as PNG…", "Ctrl+Shift+E", self._ask_export)
        self.presets_menu = QMenu("Presets")
        self.presets_menu.aboutToShow.connect(self._fill_presets)
        view_layout.state_changed.connect(self._watch)
        view_layout.layout_changed.connect(self._sync)
        self._watch(view_layout.state)

    def _add(self, name, text, key, slot, *, checkable=False, group=None) -> QAction:
        action = QAction(text, self)
        if key:
            action.setShortcut(QKeySequence(key))
        action.setCheckable(checkable or group is not None)
        if group is not None:
            self._checkable[group].addAction(action)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.actions[name] = action
        return action

    def populate(self, menu: QMenu) -> None:
        """Add the actions to `menu`, grouped."""
        a = self.actions
        groups = (
            ("layout_1", "layout_3", "layout_4", "layout_3d"),
            ("plane_axial", "plane_coronal", "plane_sagittal"),
            ("reset", "fit", "invert", "flip_h", "flip_v", "rotate_cw", "rotate_ccw", "smooth"),
            ("export_png",),
        )
        for names in groups:
            for name in names:
                menu.addAction(a[name])
            menu.addSeparator()
        menu.addMenu(self.presets_menu)
        self._fill_presets()
        menu.addSeparator()
        for name in ("cine", "cine_faster", "cine_slower"):
            menu.addAction(a[name])

    def _fill_presets(self) -> None:
        menu = self.presets_menu
        menu.clear()
        volume = self._layout.volume
        ct = volume is not None and volume.modality.upper() == "CT"
        for n, (name, window) in enumerate(CT_PRESETS.items(), 1):
            # Number keys are the slice view's (they act on the view under the keyboard); the
            # text after the tab shows the key in the shortcut column without claiming it.
            action = menu.addAction(f"{name.capitalize()}\t{n}")
            action.triggered.connect(partial(self._call, "set_window", window.center, window.width))
            action.setEnabled(ct)  # HU windows, as the number keys: CT only
        user = self._settings.user_presets()
        if user:
            menu.addSeparator()
            for name, window in user.items():
                action = menu.addAction(name)
                action.triggered.connect(
                    partial(self._call, "set_window", window.center, window.width)
                )
        menu.addSeparator()
        menu.addAction(self.actions["default_window"])
        menu.addAction(self.actions["save_preset"])

    def _call(self, method: str, *args) -> None:
        if self._layout.state is not None:
            getattr(self._layout.state, method)(*args)

    def _fit(self) -> None:
        self._call("set_zoom", 1.0)
        self._call("set_pan", 0.0, 0.0)

    def _layout_3d(self, layout: str) -> None:
        try:
            self._layout.set_layout(layout)
        except ValueError:  # a layout without a 3-D view (a stand-in window)
            self._sync()

    def _turn(self, degrees: int) -> None:
        if self._layout.state is not None:
            self._layout.state.set_rotate(self._layout.state.rotate + degrees)

    def _cine_rate(self, factor: float) -> None:
        if self._layout.state is not None:
            self._layout.state.set_cine_fps(self._layout.state.cine_fps * factor)

    def _default_window(self) -> None:
        self._call("use_default_window")

    def _save_preset(self) -> None:
        state = self._layout.state
        if state is None:
            return
        name, ok = QInputDialog.getText(self._layout, "Save window preset", "Preset name:")
        if ok and name.strip():
            self._settings.set_user_preset(name.strip(), state.window)

    def _smooth(self, smooth: bool) -> None:
        self._settings.set_smooth_display(smooth)
        self._apply_smooth()

    def _apply_smooth(self) -> None:
        smooth = self._settings.smooth_display()
        for view in self._layout.views.values():
            item = getattr(view, "image_item", None)  # a stand-in view has none
            if item is not None and item.smooth != smooth:
                item.smooth = smooth
                item.update()

    def export_png(self, path: str | Path) -> Path:
        """Save the views on show (slice views and 3-D view, as laid out) as a PNG at `path`;
        OSError naming the file when it cannot be written."""
        for view in self._layout.visible_views().values():
            getattr(view, "flush", lambda: None)()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        encoded = self._layout.grab().save(buffer, "PNG")
        buffer.close()
        if not encoded:
            raise OSError(f"{path}: could not encode the PNG")
        return atomic_write_bytes(Path(path), data.data())

    def _ask_export(self) -> None:
        if self._layout.state is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self._layout, "Export view as PNG", "view.png", "PNG images (*.png)"
        )
        if path:
            try:
                self.export_png(path if path.lower().endswith(".png") else path + ".png")
            except OSError as error:
                QMessageBox.warning(self._layout, "Export view", str(error))

    def _watch(self, state: ViewerState | None) -> None:
        if self._watched is not None:
            self._watched.events.disconnect(self._on_state_event)
        self._watched = state
        if state is not None:
            state.events.connect(self._on_state_event)
        for name, action in self.actions.items():
            if not name.startswith("layout_"):
                action.setEnabled(state is not None)
        # Here, not when the menu is about to show: a disabled menu never shows, so it would
        # stay disabled once made so before the first series opened.
        self.presets_menu.setEnabled(state is not None)
        self._fill_presets()
        self._apply_smooth()
        self._sync()

    def _on_state_event(self, name: str, value: Any) -> None:
        if name in ("invert", "flip_h", "flip_v", "active_plane"):
            self._sync()

    def _sync(self, *_: Any) -> None:
        state = self._layout.state
        checks = {f"layout_{n}": self._layout.layout_name == n for n in LAYOUTS}
        if state is not None:
            checks.update({f"plane_{p.value}": state.active_plane is p for p in Plane})
            checks.update(invert=state.invert, flip_h=state.flip_h, flip_v=state.flip_v)
        checks["smooth"] = self._settings.smooth_display()
        for name, checked in checks.items():
            action = self.actions[name]
            blocked = action.blockSignals(True)
            action.setChecked(checked)
            action.blockSignals(blocked)
