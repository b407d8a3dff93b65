"""Mouse and keyboard of a `SliceView`: what each gesture and key does to the `ViewerState`.

As in common viewers: the wheel scrolls slices and Ctrl+wheel zooms at the cursor; a left drag
sets the window (horizontal = width, vertical = level), a right drag zooms, a middle or
Shift+left drag pans, a click moves the crosshair so the other planes follow. With a
measurement tool on, left drags and clicks draw instead. `KEYS_HELP` lists the keys.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent

from medgui.core.image.reformat import slice_pixel_to_voxel
from medgui.core.image.slab import next_projection, step_thickness
from medgui.core.image.windowing import CT_PRESETS
from medgui.ui.measure.context import TOOL_SHORTCUTS, Tool

KEYS_HELP = (
    "Up/Left/PageUp/Home and Down/Right/PageDown/End scroll slices; R reset, F fit, I invert, "
    "H/V flip, Ctrl+R / Ctrl+Shift+R rotate, X crosshair, 1–8 CT presets, 0 or A automatic "
    "window; D thick slab (MIP, MinIP, mean, off), + / - slab thicker / thinner; "
    "W window/level, M ruler, N angle, E ellipse, B rectangle; Delete removes the "
    "selected measurement, Esc stops drawing."
)
WHEEL_STEP = 120  # one notch of a standard mouse wheel
ZOOM_STEP = 1.25  # per wheel notch
_ZOOM_DRAG_PX = 150.0  # vertical drag that zooms by a factor of e
_WL_DRAG_PX = 256.0  # drag that changes level or width by the window's own width
_LEFT, _MIDDLE, _RIGHT = (
    Qt.MouseButton.LeftButton,
    Qt.MouseButton.MiddleButton,
    Qt.MouseButton.RightButton,
)


class InputViewBox(pg.ViewBox):
    """A ViewBox whose mouse belongs to `SliceInput` (no pyqtgraph pan, zoom or menu)."""

    def __init__(self) -> None:
        super().__init__(invertY=True, enableMenu=False, defaultPadding=0.0)
        self.setMouseEnabled(False, False)
        self.disableAutoRange()
        self.handler: SliceInput | None = None

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.handler is not None:
            self.handler.drag(ev)

    def mouseClickEvent(self, ev) -> None:
        if self.handler is not None:
            self.handler.click(ev)

    def wheelEvent(self, ev, axis=None) -> None:
        if self.handler is not None:
            self.handler.wheel(ev)


class SliceInput:
    """Turns one view's mouse and key events into calls on its state and measurement layer."""

    def __init__(self, view) -> None:
        self._view = view
        self._wheel_rest = 0
        self._drag_start = None

    def _activate(self) -> None:
        view = self._view
        view.setFocus(Qt.FocusReason.MouseFocusReason)
        view.state.set_active_plane(view.plane)
        view.flush()  # act on the slice the state is on, not one still waiting to render

    def drag(self, ev) -> None:
        """A pyqtgraph drag event on the view box."""
        view, state = self._view, self._view.state
        if view.volume is None:
            ev.ignore()
            return
        ev.accept()
        button = ev.button()
        if ev.isStart():
            self._activate()
            self._drag_start = (state.window, state.zoom, state.pan)
        if button == _LEFT and view.measurements.drawing:
            self._draw(ev)
            return
        window, zoom, pan = self._drag_start
        delta = ev.scenePos() - ev.buttonDownScenePos()
        dx, dy = delta.x(), delta.y()
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if button == _MIDDLE or (button == _LEFT and shift):
            state.set_pan(pan[0] + dx, pan[1] + dy)
        elif button == _LEFT:
            # Proportional to the window, so a narrow brain window is as easy to tune as bone.
            step = max(window.width, 20.0) / _WL_DRAG_PX
            state.set_window(window.center + dy * step, window.width + dx * step)
        elif button == _RIGHT:
            state.set_zoom(zoom * math.exp(-dy / _ZOOM_DRAG_PX))

    def _draw(self, ev) -> None:
        layer, to_slice = self._view.measurements, self._view.scene_to_slice
        if ev.isStart():
            layer.press(to_slice(ev.buttonDownScenePos()))
        if ev.isFinish():
            layer.release(to_slice(ev.scenePos()))
        else:
            layer.drag_to(to_slice(ev.scenePos()))

    def click(self, ev) -> None:
        """A pyqtgraph click: move the crosshair there, or place a point of the tool."""
        view = self._view
        if view.volume is None or ev.button() != _LEFT:
            ev.ignore()
            return
        ev.accept()
        self._activate()
        point = view.scene_to_slice(ev.scenePos())
        if view.measurements.drawing:
            view.measurements.click(point)
            return
        view.measurements.context.select(None)
        ijk = slice_pixel_to_voxel(view.volume, view.plane, view.shown_index, *point)
        view.state.set_crosshair(ijk)

    def wheel(self, ev) -> None:
        """A scene wheel event: scroll slices, or zoom with Ctrl."""
        view = self._view
        if view.volume is None:
            ev.ignore()
            return
        ev.accept()
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._zoom_at(ev.scenePos(), ZOOM_STEP ** (ev.delta() / WHEEL_STEP))
            return
        # Touchpads send small deltas: one slice per full notch, the rest is kept.
        self._wheel_rest += ev.delta()
        steps = int(self._wheel_rest / WHEEL_STEP)
        if steps:
            self._wheel_rest -= steps * WHEEL_STEP
            view.state.set_active_plane(view.plane)
            self._step(-steps)

    def _zoom_at(self, scene_pos: QPointF, factor: float) -> None:
        """Zoom by `factor`, keeping the point under the cursor where it is."""
        view, state = self._view, self._view.state
        before = view.pixels_per_mm()
        offset = scene_pos - view.box.mapRectToScene(view.box.rect()).center()
        # The display point (mm from the image centre) under the cursor stays under it.
        point = ((offset.x() - state.pan[0]) / before, (offset.y() - state.pan[1]) / before)
        state.set_zoom(state.zoom * factor)
        after = view.pixels_per_mm()
        state.set_pan(offset.x() - point[0] * after, offset.y() - point[1] * after)

    def _step(self, steps: int) -> None:
        state, plane = self._view.state, self._view.plane
        state.set_slice(plane, state.slice_index(plane) + steps)

    def key(self, event: QKeyEvent) -> bool:
        """Act on a key press (see `KEYS_HELP`); False when the key is not the view's."""
        view, state, K = self._view, self._view.state, Qt.Key
        key = event.key()
        if view.volume is None:
            return False
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if key != K.Key_R:
                return False
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            state.set_rotate(state.rotate + (-90 if shift else 90))
            return True
        n = state.n_slices(view.plane)
        page = max(1, n // 10)
        steps = {K.Key_Up: -1, K.Key_Left: -1, K.Key_Down: 1, K.Key_Right: 1}
        steps.update({K.Key_PageUp: -page, K.Key_PageDown: page, K.Key_Home: -n, K.Key_End: n})
        if key in steps:
            state.set_active_plane(view.plane)
            self._step(steps[key])
            return True
        action = self._actions().get(key) or self._preset(key)
        if action is None:
            return False
        action()
        return True

    def _actions(self) -> dict:
        view, state = self._view, self._view.state
        context, K = view.measurements.context, Qt.Key
        actions = {
            K.Key_R: state.reset,
            K.Key_F: lambda: (state.set_zoom(1.0), state.set_pan(0.0, 0.0)),
            K.Key_I: lambda: state.set_invert(not state.invert),
            K.Key_H: lambda: state.set_flip_h(not state.flip_h),
            K.Key_V: lambda: state.set_flip_v(not state.flip_v),
            K.Key_X: view.toggle_crosshair,
            K.Key_0: state.use_default_window,
            K.Key_A: state.use_default_window,
            K.Key_D: lambda: state.set_projection(next_projection(state.projection)),
            K.Key_Plus: lambda: state.set_slab_mm(step_thickness(state.slab_mm, 1)),
            K.Key_Equal: lambda: state.set_slab_mm(step_thickness(state.slab_mm, 1)),
            K.Key_Minus: lambda: state.set_slab_mm(step_thickness(state.slab_mm, -1)),
            K.Key_Delete: context.delete_selected,
            K.Key_Backspace: context.delete_selected,
            K.Key_Escape: self._escape,
        }
        for tool, letter in TOOL_SHORTCUTS.items():
            actions[Qt.Key(ord(letter))] = lambda tool=tool: context.set_tool(tool)
        return actions

    def _preset(self, key: int):
        """Keys 1–8: the CT presets, for CT only (HU windows mean nothing on MR)."""
        view, presets = self._view, list(CT_PRESETS.values())
        if view.volume.modality.upper() != "CT" or not 0 <= key - Qt.Key.Key_1 < len(presets):
            return None
        window = presets[key - Qt.Key.Key_1]
        return lambda: view.state.set_window(window.center, window.width)

    def _escape(self) -> None:
        self._view.measurements.cancel()
        self._view.measurements.context.set_tool(Tool.NAVIGATE)
