""" "Why this class?" in the real main window: a beat is clicked and W (or the context menu)
explains its class with the workspace's active beats model in a worker; the band is drawn
under the rhythm strip over the model's window, strongest around the beat. On a synthetic
WFDB record with V beats and on pydicom's real 12-lead ECG; screenshots with episodes and a
band are saved to look at."""

from __future__ import annotations

import pathlib

import numpy as np
import pydicom
import pyqtgraph as pg
import pytest
from beat_model_testing import train_tiny_beat_model, v_ecg
from ecg_mouse_testing import at_sample, choose, click, hover
from label_testing import ScriptedDialogs
from PySide6.QtCore import Qt
from signal_testing import write_wfdb_record as write_v_record

from medgui.ml.models.registry import ModelRegistry
from medgui.ml.training.checkpoint import TrainedModel
from medgui.ui.signals.episode_layer import EpisodeLayer

ECG_DCM = pathlib.Path(pydicom.__file__).parent / "data" / "test_files" / "waveform_ecg.dcm"


@pytest.fixture(scope="module")
def beat_model(tmp_path_factory):
    return TrainedModel.load(train_tiny_beat_model(tmp_path_factory.mktemp("beat_model")))


@pytest.fixture
def workspace(tmp_path, beat_model):
    """A workspace whose active "beats" model is the tiny trained one."""
    root = tmp_path / "ws"
    ModelRegistry(root).save_version("beats", beat_model.network.state_dict(), beat_model.card)
    return root


def _open(qtbot, window, wait_idle, path):
    panel = window.signals.panel
    old = panel.view
    window.open_path(path)
    qtbot.waitUntil(
        lambda: panel.view not in (None, old) and bool(panel.view.cells), timeout=15_000
    )
    wait_idle(window)
    view = panel.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    return view


def _explained(qtbot, window):
    layer = window.signals.panel.saliency
    qtbot.waitUntil(lambda: not layer.running, timeout=30_000)
    assert not layer.failure, layer.failure
    return layer.result


def _band(view) -> list[pg.ImageItem]:
    return [i for i in view.box.addedItems if isinstance(i, pg.ImageItem)]


def _add_episode(qtbot, view, start: int, end: int, rhythm: str) -> None:
    hover(qtbot, view, start)
    qtbot.keyClick(view, Qt.Key.Key_E)
    hover(qtbot, view, end)
    qtbot.keyClick(view, Qt.Key.Key_E)
    layer = next(la for la in view.layers if isinstance(la, EpisodeLayer))
    choose(qtbot, layer.menu, rhythm)


@pytest.mark.slow
def test_w_explains_a_clicked_v_beat_with_a_band_around_it(
    qtbot, window, wait_idle, workspace, tmp_path, artifacts
):
    assert window.labels.set_workspace(workspace)
    ecg = v_ecg(7)  # not one of the model's training records
    record = tmp_path / "record"
    record.mkdir()
    view = _open(qtbot, window, wait_idle, write_v_record(record, "held_out", ecg))
    fs = ecg.fs_hz
    ventricular = [b for b, s in zip(ecg.beats, ecg.symbols, strict=True) if s == "V"]
    beat = ventricular[0]
    assert beat / fs < 6.0  # on the page as it opens
    click(view, at_sample(view, beat + 10))
    assert view.selected_beat == beat
    qtbot.keyClick(view, Qt.Key.Key_W)
    result = _explained(qtbot, window)
    assert result.beat_sample == beat and result.symbol == "V"
    assert _band(view) and "Why V" in view.status.text()
    times = result.start_s + np.arange(len(result.values)) / result.fs_hz
    near = np.abs(times - beat / fs) <= 0.15
    assert result.values[near].sum() > result.values[~near].sum()

    # The context menu explains the beat under the mouse, here a normal one.
    normal = next(b for b, s in zip(ecg.beats, ecg.symbols, strict=True) if s == "N" and b > fs)
    click(view, at_sample(view, normal), Qt.MouseButton.RightButton)
    choose(qtbot, view.context_menu, "Why is this beat N")
    result = _explained(qtbot, window)
    assert result.beat_sample == normal and result.symbol == "N"

    _add_episode(qtbot, view, round(0.3 * fs), round(2.6 * fs), "(N")
    _add_episode(qtbot, view, round(2.7 * fs), round(7.5 * fs), "(B")
    assert [e.rhythm for e in view.session.episodes] == ["(N", "(B"]
    view.selected_beat = beat
    qtbot.keyClick(view, Qt.Key.Key_W)
    _explained(qtbot, window)
    window.grab().save(str(artifacts / "ecg_episodes_saliency.png"))
    view.page.grab().save(str(artifacts / "ecg_episodes_saliency_page.png"))


@pytest.mark.slow
def test_the_real_dicom_ecgs_beat_is_explained(qtbot, window, wait_idle, workspace, artifacts):
    assert window.labels.set_workspace(workspace)
    view = _open(qtbot, window, wait_idle, ECG_DCM)
    fs = view.signal.fs_hz
    lead_ii = view.signal.channel_index("II")
    peak = int(np.argmax(view.signal.samples[lead_ii, round(2.0 * fs) : round(3.0 * fs)]))
    hover(qtbot, view, round(2.0 * fs) + peak)
    qtbot.keyClick(view, Qt.Key.Key_A)  # a beat at the R peak, then W: why its class
    [beat] = [b for b in view.session.beats if abs(b.sample - (round(2.0 * fs) + peak)) < 30]
    qtbot.keyClick(view, Qt.Key.Key_W)
    result = _explained(qtbot, window)
    assert result.beat_sample == beat.sample and result.symbol in ("N", "V")
    assert _band(view)
    _add_episode(qtbot, view, round(0.5 * fs), round(8.0 * fs), "(SBR")
    window.grab().save(str(artifacts / "ecg_dicom_saliency.png"))


def test_w_without_a_beats_model_says_why(qtbot, window, wait_idle, tmp_path):
    ScriptedDialogs().install(window.labels.dialogs)
    assert window.labels.set_workspace(tmp_path / "empty_ws")
    ecg = v_ecg(1, seconds=8)
    view = _open(qtbot, window, wait_idle, write_v_record(tmp_path, "rec", ecg))
    qtbot.keyClick(view, Qt.Key.Key_W)  # no beat selected, none under the mouse
    assert "Click a beat" in view.status.text()
    click(view, at_sample(view, ecg.beats[1]))
    qtbot.keyClick(view, Qt.Key.Key_W)
    layer = window.signals.panel.saliency
    qtbot.waitUntil(lambda: bool(layer.failure), timeout=15_000)
    assert "no active 'beats' model" in layer.failure and "empty_ws" in layer.failure
    assert layer.failure in view.status.text() and not _band(view)
