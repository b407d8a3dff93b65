"""Issue 13, reading, in the real main window: what replaces the image when the next file has
none or fails, and that every error shown is also logged with its traceback."""

from __future__ import annotations

from pathlib import Path

import data_store
import pydicom
import pytest
from label_testing import ScriptedDialogs, open_labelled
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from view_testing import at, drag, move

from medgui.ui.common.dock_actions import bring_to_front, in_front
from medgui.ui.common.error_dialog import install_crash_handlers, log_path
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.measure.context import Tool

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
PYDICOM_DATA = Path(data_store.__file__).parent / "data"


@pytest.fixture
def logged(qapp):
    """The crash handlers the app installs: what medgui logs lands in the log file."""
    reporter = install_crash_handlers(qapp)
    yield log_path
    reporter.uninstall()


def _open_ct(window, folder, wait_shown):
    window.open_path(folder)
    wait_shown(window)
    assert "Single" in window.windowTitle()


@pytest.mark.parametrize(("name", "kind"), [("test-SR.dcm", "SR"), ("liver_1frame.dcm", "SEG")])
def test_a_file_without_image_clears_the_previous_patient(
    qtbot, window, single_series, wait_idle, wait_shown, name, kind
):
    _open_ct(window, single_series, wait_shown)
    window.open_path(PYDICOM_FILES / name)
    wait_idle(window)
    assert window.view_layout.volume is None and window.volume is None
    assert window.windowTitle() == "medgui"
    assert window.view_layout.placeholder_text() == f"No image to show in {name} ({kind})"


def test_a_failed_load_clears_the_image_and_logs_its_traceback(
    qtbot, window, single_series, folder_with_bad_file, wait_idle, wait_shown, logged
):
    _open_ct(window, single_series, wait_shown)
    broken = folder_with_bad_file / "broken.dcm"
    window.load(broken)
    wait_idle(window)
    assert window.view_layout.volume is None and window.windowTitle() == "medgui"
    assert window.view_layout.placeholder_text().startswith("Cannot open broken.dcm: ")
    log = logged().read_text(encoding="utf-8")
    entry = log[log.rindex(f"cannot open {broken}") :]
    assert "Traceback (most recent call last)" in entry and "medgui/core/" in entry


def test_a_corrupt_file_opened_alone_clears_the_image(
    qtbot, window, single_series, folder_with_bad_file, wait_idle, wait_shown
):
    _open_ct(window, single_series, wait_shown)
    window.open_path(folder_with_bad_file / "broken.dcm")
    wait_idle(window)
    assert window.view_layout.volume is None and window.windowTitle() == "medgui"
    assert "1 file(s) cannot be read" in window.view_layout.placeholder_text()


def _entry(log_file, start: str) -> str:
    text = log_file().read_text(encoding="utf-8")
    return text[text.rindex(start) :]


def test_a_label_file_that_cannot_be_imported_is_logged_with_its_traceback(
    qtbot, window, single_series, wait_idle, tmp_path, logged
):
    scripted = ScriptedDialogs()
    lab = open_labelled(qtbot, window, single_series, wait_idle, scripted)
    bad = tmp_path / "broken.nii.gz"
    bad.write_bytes(b"not a nifti file at all")
    lab.bench.files.import_labels(bad)
    qtbot.waitUntil(lambda: not lab.bench.files.busy, timeout=10_000)
    assert [title for title, _ in scripted.warnings] == ["Cannot import labels"]
    entry = _entry(logged, f"shown to the user: cannot import labels from {bad}")
    assert "Traceback (most recent call last)" in entry


def test_a_warning_shown_while_handling_an_error_logs_its_traceback(monkeypatch, logged):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[1:]))
    try:
        int("twelve")
    except ValueError as error:
        Dialogs().warn("Label", str(error))
    assert shown == [("Label", "invalid literal for int() with base 10: 'twelve'")]
    entry = _entry(logged, "shown to the user: Label: invalid literal")
    assert "Traceback (most recent call last)" in entry and 'int("twelve")' in entry


def test_dock_shortcuts_bring_their_dock_to_the_front_and_never_hide_it_first(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    training, labels = window.training, window.labels
    docks = {
        "Ctrl+Shift+T": training.train_dock,
        "Ctrl+Shift+U": training.model_dock,
        "Ctrl+Shift+L": labels.label_dock,
        "Ctrl+Shift+G": labels.tags_dock,
        "Ctrl+Shift+M": window.measurement_dock,
        "Ctrl+T": window.tags_dock,
    }
    # Every one after every other: most are tabbed together on the right, so each press must
    # raise a dock that is open but behind another tab.
    for key in [*docks, *docks]:
        qtbot.keySequence(window, key)
        qtbot.waitUntil(lambda key=key: in_front(docks[key]))
    window.measurement_dock.hide()
    qtbot.keySequence(window, "Ctrl+Shift+M")  # closed: shown again
    qtbot.waitUntil(lambda: in_front(window.measurement_dock))
    qtbot.keySequence(window, "Ctrl+Shift+M")  # in front: the second press hides it
    qtbot.waitUntil(window.measurement_dock.isHidden)


def test_view_presets_work_for_ct_and_the_overlay_names_the_preset(
    qtbot, window, single_series, wait_shown
):
    _open_ct(window, single_series, wait_shown)
    menu = window.view_actions.presets_menu
    assert menu.isEnabled()
    abdomen = next(a for a in menu.actions() if a.text().startswith("Abdomen"))
    assert abdomen.isEnabled()
    abdomen.trigger()
    state = window.view_layout.state
    assert (state.window.width, state.window.center) == (400, 40)
    view = window.view_layout.views[state.active_plane]
    qtbot.waitUntil(lambda: "Abdomen  W 400  L 40" in view.overlay.corner_text("bottom_left"))
    state.set_window(41, 400)  # no longer the preset: no name
    qtbot.waitUntil(lambda: "W 400  L 41" in view.overlay.corner_text("bottom_left"))


def test_a_radiograph_shows_patient_orientation_letters_and_mm_at_the_detector(
    qtbot, window, wait_shown
):
    window.open_path(PYDICOM_FILES / "dicomdirtests/77654033/CR1/6154")  # CR, L\F, 0.1 mm
    wait_shown(window)
    state = window.view_layout.state
    view = window.view_layout.views[state.active_plane]
    assert view.overlay.orientation == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    window.measurements.set_tool(Tool.RULER)
    drag(view, at(view, 2, 2), at(view, 2, 12))
    (ruler,) = window.measurements.measurements()
    assert view.measurements.items[ruler.uid].label.toPlainText() == "1.0 mm at detector"
    # No patient geometry: no slice position and no LPS point to give, only pixels and values.
    assert not any(" mm" in line for line in view.overlay.corner_text("bottom_left"))
    move(view, at(view, 5, 5))
    qtbot.waitUntil(lambda: bool(view.overlay.corner_text("bottom_right")))
    readout = view.overlay.corner_text("bottom_right")
    assert readout[1].startswith("Voxel") and not any("LPS" in line for line in readout)


def test_an_ultrasound_without_a_plane_shows_no_orientation_letters(qtbot, window, wait_shown):
    window.open_path(PYDICOM_DATA / "US1_UNCR.dcm")
    wait_shown(window)
    view = window.view_layout.views[window.view_layout.state.active_plane]
    assert set(view.overlay.orientation.values()) == {""}


def _wheel(widget, notches: int) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_plot_scrolls_its_dock_until_the_plot_is_clicked(qtbot, window, artifacts):
    window.resize(1000, 420)  # the training dock needs its scroll bar
    dock = window.training.train_dock
    bring_to_front(dock)
    qtbot.waitUntil(lambda: in_front(dock))
    bar = dock.widget().verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    plot = window.training.panel.loss_plot
    x_range = list(plot.viewRange()[0])
    _wheel(plot.viewport(), -2)  # towards the user: down the dock
    window.grab().save(str(artifacts / "training_dock_scrolled.png"))
    assert bar.value() > 0
    assert plot.viewRange()[0] == x_range  # the plot did not zoom
    value = bar.value()
    plot.setFocus()  # as a click on it does
    qtbot.waitUntil(plot.hasFocus)
    _wheel(plot.viewport(), 2)
    assert bar.value() == value
    assert plot.viewRange()[0] != x_range  # now it zooms


def test_opening_another_study_with_several_series_clears_the_image_until_one_is_chosen(
    qtbot, window, single_series, series_folder, wait_idle, wait_shown
):
    _open_ct(window, single_series, wait_shown)
    window.open_path(single_series)  # the study on show again: the image stays
    wait_shown(window)
    window.open_path(series_folder)  # two series of another patient
    wait_idle(window)
    assert window.view_layout.volume is None and window.windowTitle() == "medgui"
    assert window.view_layout.placeholder_text() == "Choose a series in the browser"
