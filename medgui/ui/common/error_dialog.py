"""Errors that escape anywhere in the GUI: written to a rotating log file in the user data dir
and shown in a dialog with the message, a "Copy details" button and the log's path.

`install_crash_handlers()` replaces `sys.excepthook` (exceptions in slots and event handlers
land there under PySide6) and `threading.excepthook` (plain Python threads), and routes Qt's
critical and fatal messages to the log. The app keeps running after an error: the user decides
whether to save and quit. Errors from other threads reach the dialog through a queued signal,
because widgets may only be touched on the GUI thread.
"""

from __future__ import annotations

import html
import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QObject, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medgui.core.io.index import data_dir

LOG_NAME = "medgui.log"
_LOG_BYTES = 1_000_000
_LOG_BACKUPS = 3
log = logging.getLogger("medgui.crash")


def log_path() -> Path:
    """<data dir>/logs/medgui.log (the folder is made when missing)."""
    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / LOG_NAME


def log_caught(message: str, error: BaseException | None = None) -> None:
    """Log an error the app caught and showed the user (a message box, the problems panel)
    with a traceback, for a bug report: `error`'s, else the one being handled now."""
    exc_info = error if error is not None else sys.exc_info()[1]
    log.error("shown to the user: %s", message, exc_info=exc_info)


class ErrorDialog(QDialog):
    """One unexpected error (more append to it while it is open): message, details, log path."""

    def __init__(self, message: str, details: str, log_file: Path, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("medgui: unexpected error")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 200)
        path = html.escape(str(log_file))
        where = QLabel(
            f"The details are also in the log file:<br><code>{path}</code><br>"
            "Your work is autosaved; you may save and restart medgui."
        )
        where.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.message, self.details, where, buttons):
            layout.addWidget(widget)
        self.add(message, details)

    def add(self, message: str, details: str) -> None:
        """Show `message` and append `details` (a traceback) to the details box."""
        self.message.setText(f"<b>Something went wrong.</b><br>{html.escape(message)}")
        text = self.details.toPlainText()
        self.details.setPlainText(f"{text}\n{details}".strip() if text else details)

    def copy_details(self) -> None:
        """Put the message and tracebacks on the clipboard, for a bug report."""
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class CrashReporter(QObject):
    """Logs errors and shows them; lives on the GUI thread, `report` works from any thread.
    Made by `install_crash_handlers`; `uninstall()` puts the previous hooks back."""

    reported = Signal(str, str)  # message, details

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_path()
        self.dialog: ErrorDialog | None = None
        self.reported.connect(self._show)
        self._handler = _log_handler(self.log_file)
        self._before = sys.excepthook, threading.excepthook
        self._qt_before = None

    def report(self, kind: type[BaseException], value: BaseException, tb) -> None:
        """Log the exception with its traceback and show it (queued when off the GUI thread)."""
        if issubclass(kind, KeyboardInterrupt):
            self._before[0](kind, value, tb)  # Ctrl+C in the terminal stays Ctrl+C
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        log.error("unhandled %s", kind.__name__, exc_info=(kind, value, tb))
        message = f"{kind.__name__}: {value}" if str(value) else kind.__name__
        self.reported.emit(message, details)

    def report_fatal(self, error: BaseException) -> None:
        """Log `error` and show it in a modal dialog, for an error the app cannot go on after."""
        self.report(type(error), error, error.__traceback__)
        if self.dialog is not None:
            self.dialog.exec()

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            self.report(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, message: str, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add(message, details)
        else:
            self.dialog = ErrorDialog(message, details, self.log_file, _main_widget())
        self.dialog.show()
        self.dialog.raise_()

    def install(self) -> None:
        logging.getLogger("medgui").addHandler(self._handler)
        log.setLevel(logging.INFO)
        sys.excepthook = self.report
        threading.excepthook = self._thread_hook
        self._qt_before = qInstallMessageHandler(_qt_message)

    def uninstall(self) -> None:
        """Put back the hooks that were there before `install`."""
        sys.excepthook, threading.excepthook = self._before
        qInstallMessageHandler(self._qt_before)
        logging.getLogger("medgui").removeHandler(self._handler)
        self._handler.close()


def _main_widget() -> QWidget | None:
    app = QApplication.instance()
    windows = [w for w in app.topLevelWidgets() if w.isWindow() and w.isVisible()] if app else []
    return windows[0] if windows else None


def _qt_message(kind: QtMsgType, _context, text: str) -> None:
    # Installing a handler silences Qt's own printing: warnings and worse still reach stderr.
    if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        log.critical("Qt: %s", text)
    elif kind == QtMsgType.QtWarningMsg:
        log.warning("Qt: %s", text)
    if kind not in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg):
        print(text, file=sys.stderr)


def _log_handler(path: Path) -> RotatingFileHandler:
    handler = RotatingFileHandler(
        path, maxBytes=_LOG_BYTES, backupCount=_LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def install_crash_handlers(parent: QObject | None = None) -> CrashReporter:
    """Send every uncaught exception (GUI thread, Python threads) and Qt's critical messages to
    the log file and the error dialog; returns the installed `CrashReporter`."""
    reporter = CrashReporter(parent or QApplication.instance())
    reporter.install()
    return reporter
