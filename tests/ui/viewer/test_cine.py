"""Cine playback: frames advance while playing, loop at the end, stop on pause."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from medgui.core import Volume
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.viewer.cine import CineController, CineControls, is_time_series


@pytest.fixture
def state():
    volume = Volume(np.zeros((6, 8, 8), np.int16), metadata={"frames_are_time": True})
    return ViewerState(volume)


def test_plays_loops_and_pauses(qtbot, state):
    controller = CineController()
    controller.set_state(state)
    plane = state.active_plane
    state.set_cine_fps(60)
    state.set_slice(plane, 3)
    seen = []
    state.events.connect(
        lambda name, value: (
            seen.append(value[1]) if name == "slice_index" and value[0] is plane else None
        )
    )
    with qtbot.waitSignal(controller.playing_changed):
        controller.play()
    qtbot.waitUntil(lambda: len(seen) >= 5, timeout=3000)
    # 3 → 4 → 5 → 0 (loop) → 1 ...
    assert seen[:4] == [4, 5, 0, 1]
    with qtbot.waitSignal(controller.playing_changed) as paused:
        controller.toggle()
    assert paused.args == [False] and not controller.playing


def test_controls_follow_and_drive_the_state(qtbot, state):
    controller = CineController()
    controls = CineControls(controller)
    qtbot.addWidget(controls)
    assert not controls.isEnabled()
    controller.set_state(state)
    assert controls.isEnabled()
    assert controls.fps.value() == pytest.approx(state.cine_fps)
    controls.fps.setValue(24)
    assert state.cine_fps == 24
    state.set_cine_fps(30)
    assert controls.fps.value() == 30
    qtbot.mouseClick(controls.play_button, Qt.MouseButton.LeftButton)
    assert controller.playing and controls.play_button.isChecked()
    qtbot.mouseClick(controls.play_button, Qt.MouseButton.LeftButton)
    assert not controller.playing and not controls.play_button.isChecked()
    controller.set_state(None)
    assert not controls.isEnabled()


def test_single_slice_does_not_play(state):
    controller = CineController()
    controller.set_state(ViewerState(Volume(np.zeros((1, 4, 4), np.int16))))
    controller.play()
    assert not controller.playing
    assert is_time_series(Volume(np.zeros((2, 2, 2)), metadata={"frames_are_time": True}))
    assert not is_time_series(Volume(np.zeros((2, 2, 2))))
