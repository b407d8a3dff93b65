"""Cine: play the active plane's slices (or a time series' frames) in a loop.

`CineController` steps the state's active plane at the state's `cine_fps`; it only calls
`set_slice`, so the views' coalesced rendering drops frames the display cannot keep up with
instead of building a backlog. `CineControls` is the small play/pause + frame-rate strip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QToolButton, QWidget

from medgui.core.image.viewer_state import CINE_FPS_RANGE, ViewerState
from medgui.core.image.volume import Volume


def is_time_series(volume: Volume | None) -> bool:
    """Whether `volume`'s slices are frames in time (a cine loop) rather than positions."""
    return volume is not None and bool(volume.metadata.get("frames_are_time"))


class CineController(QObject):
    """Plays the active plane's slices in a loop at the state's cine rate."""

    playing_changed = Signal(bool)
    state_changed = Signal(object)  # the followed ViewerState, or None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._step)
        self._state: ViewerState | None = None

    @property
    def state(self) -> ViewerState | None:
        return self._state

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_state(self, state: ViewerState | None) -> None:
        """Follow `state` (stops playback: a new volume starts still)."""
        self.stop()
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._state = state
        if state is not None:
            state.events.connect(self._on_state_event)
        self.state_changed.emit(state)

    def play(self) -> None:
        """Start playing (no-op without a state or with a single slice)."""
        state = self._state
        if self.playing or state is None or state.n_slices(state.active_plane) < 2:
            return
        self._timer.start(round(1000 / state.cine_fps))
        self.playing_changed.emit(True)

    def stop(self) -> None:
        """Pause."""
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        self.stop() if self.playing else self.play()

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "cine_fps" and self.playing:
            self._timer.setInterval(round(1000 / value))

    def _step(self) -> None:
        state = self._state
        plane = state.active_plane
        state.set_slice(plane, (state.slice_index(plane) + 1) % state.n_slices(plane))


class CineControls(QWidget):
    """Play/pause and a frame-rate box bound to a `CineController` and its state."""

    def __init__(self, controller: CineController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._state: ViewerState | None = None
        self.play_button = QToolButton(self)
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause cine (Space)")
        self.fps = QDoubleSpinBox(self)
        self.fps.setRange(*CINE_FPS_RANGE)
        self.fps.setDecimals(1)
        self.fps.setSuffix(" fps")
        self.fps.setToolTip("Cine frame rate ([ slower, ] faster)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Cine", self))
        row.addWidget(self.play_button)
        row.addWidget(self.fps)
        self.play_button.clicked.connect(controller.toggle)
        self.fps.valueChanged.connect(self._set_fps)
        controller.playing_changed.connect(self._show_playing)
        controller.state_changed.connect(self._follow)
        self._follow(controller.state)
        self._show_playing(controller.playing)

    def _set_fps(self, fps: float) -> None:
        if self._state is not None:
            self._state.set_cine_fps(fps)

    def _follow(self, state: ViewerState | None) -> None:
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._state = state
        if state is not None:
            state.events.connect(self._on_state_event)
            self._show_fps(state.cine_fps)
        self.setEnabled(state is not None)

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "cine_fps":
            self._show_fps(value)

    def _show_fps(self, fps: float) -> None:
        with QSignalBlocker(self.fps):
            self.fps.setValue(fps)

    def _show_playing(self, playing: bool) -> None:
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self.play_button.setText("❚❚" if playing else "▶")
