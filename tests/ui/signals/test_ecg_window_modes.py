"""The main window around an ECG: the image-only docks hide while a record shows and come back
as they were with an image series, the image-only actions (and their plain-key shortcuts) are
off, and File's WFDB annotation import/export act on the record, a bad file named with why."""

from __future__ import annotations

import pathlib

import numpy as np
import pydicom
import pytest
import wfdb
from ecg_testing import beat_times, write_wfdb_record
from label_testing import ScriptedDialogs
from PySide6.QtCore import Qt

from medgui.ui.common.dock_actions import bring_to_front, in_front

ECG_DCM = pathlib.Path(pydicom.__file__).parent / "data" / "test_files" / "waveform_ecg.dcm"
FS = 500.0
R_PEAKS = [round(t * FS) for t in beat_times(75.0, 10.0)]


@pytest.fixture
def open_record(qtbot, window, wait_idle):
    """open_record(path): open a waveform in `window` and wait for its new ECG view."""

    def open_(path):
        panel = window.signals.panel
        old = panel.view
        window.open_path(path)
        qtbot.waitUntil(
            lambda: panel.view not in (None, old) and bool(panel.view.cells), timeout=15_000
        )
        wait_idle(window)
        return panel.view

    return open_


def _state(window) -> dict[str, bool]:
    names = ("measurement_dock", "tags_dock")
    docks = {n: getattr(window, n) for n in names}
    docks |= {"labels": window.labels.label_dock, "class tags": window.labels.tags_dock}
    return {name: not dock.isHidden() for name, dock in docks.items()}


def test_image_docks_hide_for_an_ecg_and_come_back_as_they_were(
    qtbot, window, wait_shown, open_record, single_series, tmp_path
):
    window.open_path(single_series)
    wait_shown(window)
    labels = window.labels.label_dock
    bring_to_front(labels)
    window.tags_dock.show()
    window.measurement_dock.hide()
    qtbot.waitUntil(lambda: in_front(labels))
    before = _state(window)
    assert before == {"measurement_dock": False, "tags_dock": True, "labels": True,
                      "class tags": False}  # fmt: skip
    actions = window.menu_actions
    hea = write_wfdb_record(tmp_path)
    for _round in range(2):  # ECG → images → ECG → images
        view = open_record(hea)
        assert not any(_state(window).values())
        image_only = ("label_undo", "label_overlay", "flip_v", "tool_ruler", "export",
                      "run_model", "accept_proposal", "reject_proposal")  # fmt: skip
        for name in image_only:
            assert not actions[name].isEnabled(), name
        assert actions["beats_rest"].isEnabled()  # the beat actions stay
        panel = window.training.model_panel
        image_widgets = [panel.run_button, panel.uncertain_button, panel.accept_all_button,
                         window.training.classifier.panel, window.slab_control,
                         window.cine_controls]  # fmt: skip
        assert all(w.isHidden() for w in image_widgets)
        assert not panel.cancel_button.isHidden()  # Label the rest's job is cancelled there
        assert actions["import_annotations"].isEnabled()
        assert actions["export_annotations"].isEnabled()
        assert window.browser.isVisible()  # not an image-only dock
        # L "Show labels", S "Sphere", P "Brush" over images; over the ECG they are the view's
        # layout, speed and low-pass keys again.
        layout, speed = view.paper.layout, view.paper.speed_mm_s
        lowpass = "lowpass40" in view.paper.filters  # the paper is kept between records
        view.setFocus()
        qtbot.waitUntil(view.hasFocus)
        for key in (Qt.Key.Key_L, Qt.Key.Key_S, Qt.Key.Key_P):
            qtbot.keyClick(view, key)
        assert view.paper.layout != layout and view.paper.speed_mm_s != speed
        assert ("lowpass40" in view.paper.filters) != lowpass
        window.open_path(single_series)
        qtbot.waitUntil(lambda: window.signals.showing_record is False, timeout=15_000)
        wait_shown(window)
        assert _state(window) == before
        assert not any(w.isHidden() for w in image_widgets)
        qtbot.waitUntil(lambda: in_front(labels))
        assert actions["label_overlay"].isEnabled() and actions["flip_v"].isEnabled()
        assert not actions["import_annotations"].isEnabled()


def test_annotations_export_and_import_back_and_a_bad_file_is_named(
    qtbot, window, open_record, tmp_path
):
    dialogs = ScriptedDialogs().install(window.labels.dialogs)
    assert window.labels.set_workspace(tmp_path / "ws")
    view = open_record(write_wfdb_record(tmp_path))
    session, files = view.session, window.signals.files
    for peak in R_PEAKS[:6]:
        session.add_beat(peak, "V" if peak == R_PEAKS[3] else "N")
    session.add_episode(R_PEAKS[0] - 50, R_PEAKS[5] + 50, "(B")
    (tmp_path / "out").mkdir()
    written = files.export_annotations(tmp_path / "out" / "rec")  # no extension: .atr
    assert written == tmp_path / "out" / "rec.atr"
    read = wfdb.rdann(str(tmp_path / "out" / "rec"), "atr")
    assert read.sample.tolist()[1:] == R_PEAKS[:6] and read.fs == FS
    assert read.symbol[1:] == ["N", "N", "N", "V", "N", "N"] and read.aux_note[0] == "(B"
    saved = [(b.sample, b.symbol) for b in session.beats]

    for beat in list(session.beats):
        session.delete_beat(beat.sample)
    session.delete_episode(R_PEAKS[0] - 50)
    assert files.import_annotations(written)
    assert [(b.sample, b.symbol) for b in session.beats] == saved
    assert [(e.rhythm, e.end) for e in session.episodes] == [("(B", FS * 10)]  # to the end
    assert "rec.atr" in window.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.beats == ()  # the import was one step

    # Another record's annotations: a beat past this record's end (5000 samples).
    wfdb.wrann("other", "atr", np.array([100, 9000]), symbol=["N", "N"], fs=FS,
               write_dir=str(tmp_path))  # fmt: skip
    assert not files.import_annotations(tmp_path / "other.atr")
    assert session.beats == () and len(dialogs.warnings) == 1
    title, text = dialogs.warnings[0]
    assert title == "Import beat annotations" and "other.atr" in text
    assert "9000 is outside the record" in text
    assert not files.import_annotations(tmp_path / "missing.atr")
    assert "missing.atr" in dialogs.warnings[1][1] and "no such" in dialogs.warnings[1][1]
    assert files.export_annotations(tmp_path / "empty.atr") is None  # no labels: said why
    assert "empty.atr" in dialogs.warnings[2][1] and "empty" in dialogs.warnings[2][1]


def test_the_real_dicom_ecgs_labels_export_at_its_own_rate(qtbot, window, open_record, tmp_path):
    ScriptedDialogs().install(window.labels.dialogs)
    view = open_record(ECG_DCM)
    fs = view.signal.fs_hz
    beat = view.session.add_beat(round(2.0 * fs))
    view.session.add_episode(round(1.0 * fs), round(4.0 * fs), "(N")
    written = window.signals.files.export_annotations(tmp_path / "ecg.atr")
    read = wfdb.rdann(str(tmp_path / "ecg"), "atr")
    assert written.is_file() and read.fs == fs
    assert beat.sample in read.sample.tolist() and "(N" in read.aux_note
