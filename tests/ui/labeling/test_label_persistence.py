"""Keeping labels: autosave after edits stop, restore offered by the next window, explicit
save, autosave on close, and import/export of NIfTI, NRRD and DICOM SEG with clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from label_testing import (
    ALT,
    CTRL,
    K,
    ScriptedDialogs,
    open_labelled,
)

from medgui.core.labels.io import load_label_map, save_label_map
from medgui.core.labels.labelmap import LabelMap


def _open(qtbot, window, folder, wait_idle, scripted, quiet_s=0.05):
    window.labels.autosave.quiet_s = quiet_s
    return open_labelled(qtbot, window, folder, wait_idle, scripted)


def test_autosave_then_a_new_window_offers_to_restore(
    qtbot,
    window,
    new_window,
    settings,
    single_series,
    wait_idle,
    dialogs,
    dab,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs)
    workspace, key = lab.bench.workspace, lab.session.key
    assert workspace.recoverable() == []
    dab(lab)
    painted = lab.session.labelmap.layers[0].copy()
    assert painted.any()
    qtbot.waitUntil(lambda: [r.key for r in workspace.recoverable()] == [key], timeout=5000)
    qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    assert workspace.load_series(key) is None  # never saved explicitly

    second_dialogs = ScriptedDialogs()
    again = new_window(settings)
    assert "can be restored" in again.statusBar().currentMessage()  # said on start
    again.resize(1000, 700)
    again.show()
    restored = _open(qtbot, again, single_series, wait_idle, second_dialogs)
    (question,) = second_dialogs.questions
    assert question[0] == "Restore labels" and "autosaved" in question[1]
    assert np.array_equal(restored.session.labelmap.layers[0], painted)


def test_declining_the_restore_keeps_the_image_without_the_autosave(
    qtbot,
    window,
    new_window,
    settings,
    single_series,
    wait_idle,
    dialogs,
    dab,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs)
    dab(lab)
    qtbot.waitUntil(lambda: bool(lab.bench.workspace.recoverable()), timeout=5000)
    qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    no = ScriptedDialogs()
    no.answer = False
    again = new_window(settings)
    restored = _open(qtbot, again, single_series, wait_idle, no)
    assert no.questions and not restored.session.labelmap.layers[0].any()


def test_explicit_save_then_reopen_loads_silently(
    qtbot,
    window,
    new_window,
    settings,
    single_series,
    wait_idle,
    dialogs,
    dab,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs, quiet_s=60)
    dab(lab)
    lab.session.set_label(1, name="Kidney")
    lab.state.set_slice(lab.plane, 2)
    qtbot.keyClick(lab.view, K.Key_1, ALT)  # a tag
    qtbot.keyClick(lab.view, K.Key_S, CTRL)
    workspace, key = lab.bench.workspace, lab.session.key
    qtbot.waitUntil(lambda: workspace.load_series(key) is not None, timeout=5000)
    qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    saved = workspace.load_series(key)
    assert np.array_equal(saved.labelmap.layers[0], lab.session.labelmap.layers[0])
    assert workspace.recoverable() == []
    assert "saved" in lab.window.statusBar().currentMessage()

    quiet = ScriptedDialogs()
    again = new_window(settings)
    reopened = _open(qtbot, again, single_series, wait_idle, quiet)
    assert quiet.questions == []
    assert np.array_equal(reopened.session.labelmap.layers[0], lab.session.labelmap.layers[0])
    assert reopened.session.labelmap.table.get(1).name == "Kidney"
    assert reopened.session.annotations.tags.get(2) == "normal"


@pytest.mark.parametrize("autosaved_first", [False, True])
def test_quitting_saves_the_labels_and_never_asks_to_restore_them(
    qtbot,
    window,
    new_window,
    settings,
    single_series,
    wait_idle,
    dialogs,
    autosaved_first,
    dab,
):
    lab = _open(
        qtbot, window, single_series, wait_idle, dialogs, quiet_s=0.05 if autosaved_first else 600
    )
    dab(lab)
    painted = lab.session.labelmap.layers[0].copy()
    workspace, key = lab.bench.workspace, lab.session.key
    if autosaved_first:  # an autosave ran during the session: it must not outlive the quit
        qtbot.waitUntil(lambda: [r.key for r in workspace.recoverable()] == [key], timeout=5000)
        qtbot.waitUntil(lambda: not lab.bench.autosave.saving)
    window.close()
    assert workspace.recoverable() == []
    assert np.array_equal(workspace.load_series(key).labelmap.layers[0], painted)

    quiet = ScriptedDialogs()
    again = new_window(settings)
    assert "can be restored" not in again.statusBar().currentMessage()
    reopened = _open(qtbot, again, single_series, wait_idle, quiet)
    assert quiet.questions == []
    assert np.array_equal(reopened.session.labelmap.layers[0], painted)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".dcm"])
def test_export_then_import_round_trip(
    qtbot,
    window,
    single_series,
    wait_idle,
    dialogs,
    tmp_path,
    suffix,
    dab,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs, quiet_s=600)
    dab(lab)
    lab.session.set_label(1, name="Lesion", color=(255, 0, 0))
    painted = lab.session.labelmap.layers[0].copy()
    files = lab.bench.files
    dialogs.paths = [str(tmp_path / f"labels{suffix}")]
    lab.bench.actions.actions["export_labels"].trigger()
    qtbot.waitUntil(lambda: not files.busy, timeout=10_000)
    assert (tmp_path / f"labels{suffix}").is_file(), dialogs.warnings
    qtbot.keyClick(lab.view, K.Key_Z, CTRL)
    assert not lab.session.labelmap.layers[0].any()

    dialogs.paths = [str(tmp_path / f"labels{suffix}")]
    lab.bench.actions.actions["import_labels"].trigger()
    qtbot.waitUntil(lambda: not files.busy, timeout=10_000)
    assert dialogs.warnings == []
    assert np.array_equal(lab.session.labelmap.layers[0], painted)
    assert lab.session.labelmap.table.get(1).name == "Lesion"
    assert not lab.session.history.can_undo  # a new map: its history starts afresh


def test_a_label_file_on_another_grid_is_refused_then_resampled_on_request(
    qtbot,
    window,
    single_series,
    wait_idle,
    dialogs,
    tmp_path,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs, quiet_s=600)
    volume = lab.session.volume
    layer = np.zeros(volume.shape_zyx, np.uint8)
    layer[5:10, 10:30, 10:30] = 1
    origin = tuple(o + 1.0 for o in volume.origin)  # one millimetre off
    shifted = LabelMap([layer], volume.spacing_mm, origin, volume.direction)
    shifted.table.add("Moved")
    path = save_label_map(shifted, tmp_path / "moved.nii.gz")
    files = lab.bench.files

    dialogs.answer = False
    files.import_labels(path)
    qtbot.waitUntil(lambda: not files.busy, timeout=10_000)
    (title, text), *_ = dialogs.questions
    assert title == "Label grid does not match"
    assert "label map:" in text and "image:" in text
    assert not lab.session.labelmap.layers[0].any()

    dialogs.answer = True
    files.import_labels(path)
    qtbot.waitUntil(lambda: not files.busy and lab.session.labelmap.layers[0].any(), timeout=10_000)
    want = load_label_map(path, volume, resample=True)
    assert np.array_equal(lab.session.labelmap.layers[0], want.layers[0])


def test_a_corrupt_label_file_is_named_and_the_labels_stay(
    qtbot,
    window,
    single_series,
    wait_idle,
    dialogs,
    tmp_path,
    dab,
):
    lab = _open(qtbot, window, single_series, wait_idle, dialogs, quiet_s=600)
    dab(lab)
    painted = lab.session.labelmap.layers[0].copy()
    bad = tmp_path / "broken.nii.gz"
    bad.write_bytes(b"not a nifti file at all")
    lab.bench.files.import_labels(bad)
    qtbot.waitUntil(lambda: not lab.bench.files.busy, timeout=10_000)
    ((title, text),) = dialogs.warnings
    assert title == "Cannot import labels" and "broken.nii.gz" in text
    assert np.array_equal(lab.session.labelmap.layers[0], painted)
