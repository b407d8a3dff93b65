"""Typed access to the user's settings (QSettings): window geometry, folders, layout, presets.

Lists and maps are stored as JSON strings: QSettings' own list handling differs between
backends (an INI file returns a one-element list as a bare string), and JSON reads back the same
everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from medgui.core.image.viewer_state import LAYOUTS
from medgui.core.image.windowing import WindowLevel

MAX_RECENT = 10

_GEOMETRY = "window/geometry"
_STATE = "window/state"
_LAST_FOLDER = "files/last_folder"
_RECENT = "files/recent"
_LAYOUT = "view/layout"
_PRESETS = "view/user_presets"
_DEMO_OFFERED = "app/demo_opened_once"
_SMOOTH = "view/smooth_zoomed"


class AppSettings:
    """The settings medgui keeps between sessions, over one QSettings store.

    Without an argument it uses the application's default store (organisation and application
    name "medgui"); tests pass a QSettings on a temporary file.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    def _json(self, key: str, default):
        raw = self.store.value(key, "")
        try:
            return json.loads(raw) if raw else default
        except (TypeError, ValueError):
            # A hand-edited or foreign value is ignored rather than stopping the app from starting.
            return default

    def window_geometry(self) -> QByteArray | None:
        value = self.store.value(_GEOMETRY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.store.value(_STATE)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        """Remember the main window's geometry and its docks' arrangement."""
        self.store.setValue(_GEOMETRY, geometry)
        self.store.setValue(_STATE, state)

    def last_folder(self) -> str:
        """The folder the last file dialog ended in (home when unknown or gone)."""
        folder = str(self.store.value(_LAST_FOLDER, "") or "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set_last_folder(self, folder: str | Path) -> None:
        self.store.setValue(_LAST_FOLDER, str(folder))

    def recent_files(self) -> list[str]:
        """Recently opened paths, newest first (at most `MAX_RECENT`)."""
        items = self._json(_RECENT, [])
        if not isinstance(items, list):
            return []
        return [p for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> list[str]:
        """Put `path` first in the recent list (once) and return the new list."""
        path = str(Path(path).resolve())
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.store.setValue(_RECENT, json.dumps(recent[:MAX_RECENT]))
        return recent[:MAX_RECENT]

    def clear_recent(self) -> None:
        self.store.setValue(_RECENT, "[]")

    def layout(self) -> str:
        value = str(self.store.value(_LAYOUT, "1"))
        return value if value in LAYOUTS else "1"

    def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.store.setValue(_LAYOUT, layout)

    def user_presets(self) -> dict[str, WindowLevel]:
        """The user's own window/level presets by name; invalid entries are skipped."""
        raw = self._json(_PRESETS, {})
        presets = {}
        if isinstance(raw, dict):
            for name, pair in raw.items():
                try:
                    presets[str(name)] = WindowLevel(float(pair[0]), float(pair[1]))
                except (TypeError, ValueError, IndexError, KeyError):
                    continue
        return presets

    def set_user_preset(self, name: str, window: WindowLevel) -> None:
        presets = {k: [v.center, v.width] for k, v in self.user_presets().items()}
        presets[name] = [window.center, window.width]
        self.store.setValue(_PRESETS, json.dumps(presets))

    def remove_user_preset(self, name: str) -> None:
        presets = {k: [v.center, v.width] for k, v in self.user_presets().items() if k != name}
        self.store.setValue(_PRESETS, json.dumps(presets))

    def demo_opened_once(self) -> bool:
        """Whether the first-run demo has been shown (it opens by itself only once)."""
        return str(self.store.value(_DEMO_OFFERED, "false")).lower() == "true"

    def set_demo_opened_once(self) -> None:
        self.store.setValue(_DEMO_OFFERED, "true")

    def smooth_display(self) -> bool:
        """Whether zoomed slices are drawn with bilinear interpolation (off: nearest pixel)."""
        return str(self.store.value(_SMOOTH, "false")).lower() == "true"

    def set_smooth_display(self, smooth: bool) -> None:
        self.store.setValue(_SMOOTH, "true" if smooth else "false")

    def sync(self) -> None:
        """Write pending changes to disk now (QSettings otherwise writes on its own schedule)."""
        self.store.sync()
