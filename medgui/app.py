"""The QApplication: theme, main window, and what to open at start."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from medgui import __version__
from medgui.ui.common.error_dialog import install_crash_handlers
from medgui.ui.common.settings import AppSettings
from medgui.ui.common.theme import apply_dark_theme
from medgui.ui.window.about import app_icon
from medgui.ui.window.main_window import MainWindow
from medgui.ui.window.welcome import show_welcome_once

APP_NAME = "medgui"


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), named for QSettings and themed."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    # QSettings() with no arguments finds the store from these names.
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    # Matches resources/medgui.desktop, so Wayland shells show the entry's icon and name.
    app.setDesktopFileName(APP_NAME)
    apply_dark_theme(app)
    return app


def show_main_window(path: str | Path | None = None, demo: bool = False) -> MainWindow:
    """Build and show the main window, then open `path`, or the demo study when `demo` is set.
    On the very first run the welcome shows over it and offers the demo study."""
    settings = AppSettings()
    window = MainWindow(settings)
    window.show()
    # Opened from the event loop, so the window paints before the first worker starts.
    if path is not None:
        QTimer.singleShot(0, window, partial(window.open_path, path))
    elif demo:
        QTimer.singleShot(0, window, window.open_demo)
    show_welcome_once(window)
    return window


def run_app(path: str | Path | None = None, demo: bool = False) -> int:
    """Run the medgui GUI until its window closes; returns the exit status."""
    app = create_application()
    reporter = install_crash_handlers(app)
    try:
        window = show_main_window(path, demo)
    # A window that cannot even be built still says why, instead of vanishing.
    except Exception as error:  # noqa: BLE001
        reporter.report_fatal(error)
        return 1
    status = app.exec()
    del window
    return status
