"""Waveform records in the real main window: a DICOM ECG or a WFDB record opens (read in a
worker) in the ECG view in place of the image views, an image series brings them back, and a
bad record is named in the window's error path with the last patient's image cleared."""

from __future__ import annotations

import pathlib
import shutil
import threading

import pydicom
import pytest
from ecg_testing import LEADS, write_wfdb_record
from PySide6.QtCore import Qt, QThreadPool

ECG_DCM = pathlib.Path(pydicom.__file__).parent / "data" / "test_files" / "waveform_ecg.dcm"


@pytest.fixture
def wait_record(qtbot, wait_idle):
    """wait_record(window): wait until the ECG panel shows a record and the job is over."""

    def wait(win, timeout=15_000) -> None:
        panel = win.signals.panel
        qtbot.waitUntil(
            lambda: bool(win.signals.showing_record and panel.view and panel.view.cells),
            timeout=timeout,
        )
        wait_idle(win, timeout=timeout)

    return wait


def test_a_dicom_ecg_opens_in_the_ecg_view_with_its_12_leads(
    qtbot, window, wait_record, tmp_path, artifacts
):
    window.open_path(ECG_DCM)
    wait_record(window)
    view = window.signals.panel.view
    assert len(view.signal.channel_names) == 12
    assert {c.lead for c in view.cells} == set(view.signal.channel_names)
    assert window.centralWidget().currentWidget() is window.signals.panel
    assert not window.view_layout.isVisible()
    assert "waveform_ecg.dcm" in window.windowTitle()
    assert window.signals.panel.title.text().startswith("waveform_ecg.dcm — 12 channels")
    window.grab().save(str(artifacts / "main_window_ecg.png"))


def test_the_browser_lists_waveforms_as_openable_and_double_click_opens_one(
    qtbot, window, wait_record, wait_shown, single_series, tmp_path
):
    folder = tmp_path / "mixed"
    shutil.copytree(single_series, folder / "ct")
    shutil.copy(ECG_DCM, folder / "ecg.dcm")
    write_wfdb_record(folder)
    window.open_path(folder)
    wait_shown(window)  # the one image series opens by itself
    items = window.browser.series_items()
    waveforms = {uid: item for uid, item in items.items() if "waveform" in item.text()}
    assert len(waveforms) == 2 and all(item.isEnabled() for item in waveforms.values())
    # The record's signal file is part of the record, not a problem.
    assert not [row for row in window.problems.rows() if row[1].endswith("rec.dat")]
    uid = next(uid for uid in waveforms if uid.endswith("rec.hea"))
    index = window.browser.index_of(uid)
    window.browser.tree.setCurrentIndex(index)
    qtbot.keyClick(window.browser.tree, Qt.Key.Key_Return)
    wait_record(window)
    assert window.signals.panel.view.signal.channel_names == list(LEADS)
    assert "rec.hea" in window.windowTitle()


def test_an_image_series_brings_back_the_image_views_with_their_state(
    qtbot, window, wait_record, wait_shown, tmp_path, single_series
):
    window.open_path(single_series)
    wait_shown(window)
    window.view_layout.state.set_window(123, 456)
    volume = window.view_layout.volume
    window.open_path(write_wfdb_record(tmp_path))
    wait_record(window)
    # Put aside, not cleared, while the record shows.
    assert window.view_layout.volume is volume
    assert window.view_layout.state.window.center == 123
    window.open_path(single_series)
    qtbot.waitUntil(lambda: window.view_layout.volume is not volume, timeout=10_000)
    wait_shown(window)
    assert window.centralWidget().currentWidget() is window.view_layout
    assert window.view_layout.isVisible() and window.view_layout.visible_views()
    assert window.signals.panel.view is None  # the record's samples are let go


def test_a_bad_record_is_named_and_clears_the_last_image(
    qtbot, window, wait_shown, wait_idle, tmp_path, single_series
):
    window.open_path(single_series)
    wait_shown(window)
    bad = tmp_path / "broken.hea"
    bad.write_text("this is not a WFDB header\n")
    window.open_path(bad)
    qtbot.waitUntil(lambda: window.view_layout.volume is None, timeout=10_000)
    wait_idle(window)
    rows = [row for row in window.problems.rows() if row[0] == "load"]
    assert rows and rows[-1][1].endswith("broken.hea") and rows[-1][2]
    assert "broken.hea" in window.view_layout.placeholder_text()
    assert window.centralWidget().currentWidget() is window.view_layout
    assert window.windowTitle() == "medgui"


def test_a_record_is_read_off_the_gui_thread_and_a_cancel_drops_it(
    qtbot, qapp, window, wait_idle, tmp_path, monkeypatch
):
    """A long record's read holds no GUI turn: the window stays busy and responsive while the
    reader (held here until released) runs in a worker thread; after a cancel its result is
    never shown."""
    from medgui.workers import signal_worker

    release, threads = threading.Event(), []
    real = signal_worker.load_signal

    def held(path):
        threads.append(threading.current_thread())
        release.wait(10)
        return real(path)

    monkeypatch.setattr(signal_worker, "load_signal", held)
    window.open_path(write_wfdb_record(tmp_path))
    qtbot.waitUntil(lambda: bool(threads), timeout=10_000)  # the GUI turns while it reads
    assert threads[0] is not threading.main_thread() and window.busy
    window.cancel()
    release.set()
    wait_idle(window)
    QThreadPool.globalInstance().waitForDone(5000)
    qapp.processEvents()  # the worker's queued result, had it been let through, lands here
    assert not window.signals.showing_record and window.signals.panel.view is None


def test_a_folder_of_records_lists_them_and_waits_for_a_choice(qtbot, window, wait_idle, tmp_path):
    shutil.copy(ECG_DCM, tmp_path / "ecg.dcm")
    write_wfdb_record(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: len(window.browser.series_items()) == 2, timeout=10_000)
    wait_idle(window)
    assert "0 image series, 2 waveform(s)" in window.statusBar().currentMessage()
    assert "waveform" in window.view_layout.placeholder_text()
    assert not window.signals.showing_record  # two records: the user picks one
