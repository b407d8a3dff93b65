"""Errors that escape into Qt: logged to <data dir>/logs/medgui.log and shown in a dialog with
the message, the traceback, a working "Copy details" button and the log's path."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from medgui.ui.common.error_dialog import install_crash_handlers, log_path


@pytest.fixture
def reporter(qapp):
    installed = install_crash_handlers(qapp)
    yield installed
    installed.uninstall()
    if installed.dialog is not None:
        installed.dialog.close()


def _raise_in_slot():
    raise RuntimeError("the slot went wrong")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_and_shown(qtbot, qapp, reporter, artifacts):
    button = QPushButton("Break")
    qtbot.addWidget(button)
    button.clicked.connect(_raise_in_slot)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert "RuntimeError: the slot went wrong" in dialog.message.text()
    details = dialog.details.toPlainText()
    assert details.startswith("Traceback") and "_raise_in_slot" in details
    dialog.copy_button.click()
    assert qapp.clipboard().text() == details
    assert str(log_path()) in " ".join(
        label.text() for label in dialog.findChildren(type(dialog.message))
    )
    logged = log_path().read_text(encoding="utf-8")
    assert "unhandled RuntimeError" in logged and "the slot went wrong" in logged
    assert "_raise_in_slot" in logged
    dialog.grab().save(str(artifacts / "error_dialog.png"))
    # The app lives on: the same button still works and a second error joins the first.
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.details.toPlainText().count("Traceback") == 2)
    assert reporter.dialog is dialog


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_thread_reaches_the_dialog_on_the_gui_thread(qtbot, reporter):
    def work():
        raise ValueError("worker thread failed")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert "ValueError: worker thread failed" in reporter.dialog.message.text()
    assert "worker thread failed" in log_path().read_text(encoding="utf-8")


def test_uninstall_puts_the_previous_hooks_back(qapp):
    before = sys.excepthook, threading.excepthook
    installed = install_crash_handlers(qapp)
    assert sys.excepthook == installed.report
    installed.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_a_window_that_cannot_be_built_shows_why_and_exits_1(qapp, monkeypatch):
    from medgui import app
    from medgui.ui.common.error_dialog import ErrorDialog

    def broken_window(*_args, **_kwargs):
        raise OSError("settings folder is read-only")

    shown: list[str] = []
    monkeypatch.setattr(app, "create_application", lambda: qapp)  # keep the tests' theme
    monkeypatch.setattr(app, "show_main_window", broken_window)
    monkeypatch.setattr(ErrorDialog, "exec", lambda dialog: shown.append(dialog.message.text()))
    installed = []

    def install(parent):
        installed.append(install_crash_handlers(parent))
        return installed[-1]

    monkeypatch.setattr(app, "install_crash_handlers", install)
    try:
        assert app.run_app() == 1
    finally:
        for reporter in installed:
            reporter.uninstall()
    assert len(shown) == 1 and "OSError: settings folder is read-only" in shown[0]
    assert "settings folder is read-only" in log_path().read_text(encoding="utf-8")
