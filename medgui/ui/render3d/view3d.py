"""`View3D`: the 3-D view of the layouts "3d" and "4". VTK draws offscreen (`scene.Scene`) and
this widget shows the frame; mouse drags and the wheel move VTK's camera (left rotate, right
zoom, middle or Shift+left pan; R faces the patient again), a click on a surface moves the
shared crosshair there.

Label surfaces follow the label session, throttled: an edit starts a worker at once that
contours again the labels it touched; edits made while one runs are gathered and go in the next
run, started as it lands. So a click shows in 3-D within ~300 ms and a brush stroke of many
events costs a run per worker's time, not one per event.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.util.events import unsubscribe
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.render3d import VOLUME_MODES
from medgui.ui.render3d.scene import Scene
from medgui.ui.render3d.surfaces import update_surfaces
from medgui.workers.view_workers import display_worker

DEGREES_PER_PIXEL = 0.4
ZOOM_PER_NOTCH = 1.1
CLICK_SLOP_PX = 3  # a press and release closer than this is a click, not a drag
# While the camera moves, frames are drawn at this fraction of the resolution: software OpenGL's
# time goes with the pixels, and the full frame follows when the drag ends.
MOVING_SCALE = 0.5
MODE_NAMES = {"off": "Surfaces only", "bone": "Bone", "soft tissue": "Soft tissue",
              "vessels": "Vessels", "mip": "MIP"}  # fmt: skip


class View3D(QWidget):
    """The label surfaces and the volume rendering of the volume on show."""

    surfaces_updated = Signal()

    def __init__(self, labels: LabelContext | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(64, 64)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.scene = Scene()
        self._labels, self._session = labels, None
        self._state: ViewerState | None = None
        self._volume: Volume | None = None
        self._frame: QImage | None = None
        self._changes: list | None = []  # voxel edits not yet contoured; None: everything
        self._dirty = False  # edits wait for the run in progress
        self._busy = False
        self._generation = 0  # bumped per volume/session: a late worker result is dropped
        self._press: tuple[QPointF, QPointF, Qt.MouseButton, bool] | None = None
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self._render)

        self.mode = QComboBox(self)
        for mode in VOLUME_MODES:
            self.mode.addItem(MODE_NAMES[mode], mode)
        self.mode.setToolTip("Volume rendering of the image (CT presets, maximum intensity)")
        self.show_surfaces = QCheckBox("Labels", self)
        self.show_surfaces.setChecked(True)
        self.show_surfaces.setToolTip("Show the label surfaces")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 6, 6, 6)
        bar.addWidget(self.mode)
        bar.addWidget(self.show_surfaces)
        bar.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(bar)
        outer.addStretch(1)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.show_surfaces.toggled.connect(self._on_show_surfaces)
        if labels is not None:
            labels.session_changed.connect(self._follow_session)
        self.destroyed.connect(self.scene.close)

    # The layout's API.

    def set_volume(self, volume: Volume | None, state: ViewerState | None = None) -> None:
        """Show `volume`, whose views share `state` (None clears)."""
        if self._state is not None:
            unsubscribe(self._state, self._on_state_event)
        self._volume, self._state = volume, state if volume is not None else None
        self._generation += 1
        self.scene.set_volume(volume)
        if self._state is not None:
            self._state.events.connect(self._on_state_event)
            self._on_state_event("crosshair", self._state.crosshair)
        self._follow_session(self._labels.session if self._labels is not None else None)
        self.request_render()

    def slice_updated(self, k: int) -> None:
        """Slices land while a series loads; the volume is drawn once complete."""

    @property
    def render_pending(self) -> bool:
        """Whether the frame on show lags behind the scene or the labels."""
        return self._render_timer.isActive() or self._busy or self._dirty

    def render_to_image(self) -> QImage:
        """The view as it looks now (works on a hidden widget)."""
        if self._render_timer.isActive():
            self._render()
        self.layout().activate()
        return self.grab().toImage()

    def request_render(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    def set_mode(self, mode: str) -> None:
        """The volume rendering: one of `VOLUME_MODES`; ValueError naming them otherwise."""
        if mode not in VOLUME_MODES:
            raise ValueError(f"volume mode must be one of {', '.join(VOLUME_MODES)}, got {mode!r}")
        self.mode.setCurrentIndex(self.mode.findData(mode))

    # Drawing.

    def _render(self) -> None:
        self._render_timer.stop()
        ratio = self.devicePixelRatioF() * (MOVING_SCALE if self.scene.interactive else 1.0)
        self.scene.set_size(round(self.width() * ratio), round(self.height() * ratio))
        pixels = self.scene.render()
        height, width = pixels.shape[:2]
        frame = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self._frame = frame.copy()  # the array is reused by the next render
        self._frame.setDevicePixelRatio(ratio)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._frame is None:
            painter.fillRect(self.rect(), Qt.GlobalColor.black)
        else:
            painter.drawImage(self.rect(), self._frame)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.request_render()

    def _on_mode(self, index: int) -> None:
        self.scene.set_mode(self.mode.itemData(index))
        self.request_render()

    def _on_show_surfaces(self, shown: bool) -> None:
        self.scene.set_surfaces_visible(shown)
        self.request_render()

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "crosshair" and self._volume is not None:
            self.scene.set_marker(tuple(self._volume.voxel_to_world(value)))
            self.request_render()

    # Label surfaces.

    def _follow_session(self, session: LabelSession | None) -> None:
        if self._session is not None:
            self._session.voxels_changed.disconnect(self._on_voxels)
            self._session.table_changed.disconnect(self._on_table)
        if session is not None and session.volume is not self._volume:
            session = None  # the session of another volume than the one drawn
        self._session = session
        self._generation += 1
        self.scene.set_surfaces([])
        if session is not None:
            session.voxels_changed.connect(self._on_voxels)
            session.table_changed.connect(self._on_table)
            self._on_table()

    def _on_voxels(self, layer: int, box) -> None:
        if box is None or self._changes is None:
            self._changes = None
        else:
            self._changes.append((layer, box))
        self._dirty = True
        if not self._busy:
            self._rebuild()

    def _on_table(self) -> None:
        self._on_voxels(-1, None)

    def _rebuild(self) -> None:
        session = self._session
        self._dirty = False
        if session is None:
            return
        labelmap = session.labelmap
        layers = [layer.copy() for layer in labelmap.layers]  # the worker's own, while edits go on
        labels = [dataclasses.replace(label) for label in labelmap.table.labels]
        changes, self._changes = self._changes, []
        old = list(self.scene.surfaces) if changes is not None else []
        worker = display_worker(update_surfaces, old, layers, labels, labelmap.spacing_mm, changes)
        worker.returned.connect(partial(self._surfaces_landed, self._generation))
        worker.errored.connect(self._surfaces_failed)
        self._busy = True
        worker.start()

    def _surfaces_landed(self, generation: int, surfaces: list) -> None:
        self._busy = False
        if generation == self._generation:
            self.scene.set_surfaces(surfaces)
            self.request_render()
            self.surfaces_updated.emit()
        if self._dirty:
            self._rebuild()

    def _surfaces_failed(self, *_: object) -> None:
        self._busy = False
        self._changes = None  # contour everything on the next run (the next edit's, if none)
        if self._dirty:
            self._rebuild()

    # Mouse.

    def mousePressEvent(self, event: QMouseEvent) -> None:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._press = (event.position(), event.position(), event.button(), shift)
        self.setFocus()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        start, last, button, shift = self._press
        delta = event.position() - last
        self._press = (start, event.position(), button, shift)
        if (event.position() - start).manhattanLength() < CLICK_SLOP_PX:
            return
        self.scene.set_interactive(True)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shift):
            height = max(self.height(), 1)
            self.scene.pan(delta.x() / height, -delta.y() / height)
        elif button == Qt.MouseButton.LeftButton:
            self.scene.rotate(delta.x() * DEGREES_PER_PIXEL, delta.y() * DEGREES_PER_PIXEL)
        elif button == Qt.MouseButton.RightButton:
            self.scene.zoom(ZOOM_PER_NOTCH ** (-delta.y() / 10))
        self.request_render()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        start, _, button, _ = self._press
        self._press = None
        if self.scene.interactive:
            self.scene.set_interactive(False)  # the full-quality frame once the drag is over
            self.request_render()
        elif button == Qt.MouseButton.LeftButton:
            self.pick(event.position())

    def pick(self, point: QPointF) -> bool:
        """Move the crosshair to the surface under widget pixel `point`; False if none."""
        if self._volume is None or self._state is None:
            return False
        if self._render_timer.isActive():
            self._render()  # pick in the scene as it is drawn
        ratio = self.scene.window.GetSize()[0] / max(self.width(), 1)  # frame pixels per widget's
        lps = self.scene.pick(point.x() * ratio, point.y() * ratio)
        if lps is None:
            return False
        self._state.set_crosshair(tuple(self._volume.world_to_voxel(lps)))
        return True

    def event(self, event) -> bool:
        # R is also the window's "Reset display" shortcut: in this view it is the camera's.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.key() == Qt.Key.Key_R
            and not event.modifiers()
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        """R faces the patient again with the whole volume in view; other keys go on."""
        if event.key() == Qt.Key.Key_R and not event.modifiers():
            self.scene.reset_camera()
            self.request_render()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.scene.zoom(ZOOM_PER_NOTCH ** (event.angleDelta().y() / 120))
        self.request_render()
