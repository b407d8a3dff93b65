"""`SliceView`: one plane of a volume on screen, driven by a shared `ViewerState`.

Rendering is extract_slice → one lookup from stored values to display pixels → a QImage drawn
as it is (`medgui.ui.viewer.slice_image`). Everything that only moves the picture (zoom, pan, flips,
rotation, millimetre aspect) is a transform, never a re-render: the image and the
measurement/crosshair items sit in one "slice group" whose
coordinates are slice pixels (x = column, y = row, centres at integers, as in `reformat`), and
whose transform takes them to display millimetres. Render requests are coalesced in a 0 ms timer,
so a burst of wheel or key events renders once, with the latest state (older requests are
dropped, never queued). Mouse and keys: `medgui.ui.viewer.slice_input`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from medgui.core.image.reformat import (
    Plane,
    extract_slice,
    normal_axis,
    orientation_labels,
    slice_geometry,
    slice_pixel_to_voxel,
    voxel_to_slice_pixel,
)
from medgui.core.image.slab import slab_label
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import preset_name
from medgui.core.util.events import unsubscribe
from medgui.ui.measure.context import MeasurementContext
from medgui.ui.measure.tools import MeasurementLayer
from medgui.ui.viewer.overlay_layer import OverlayLayer
from medgui.ui.viewer.overlays import (
    PLANE_COLORS,
    CrosshairLines,
    patient_lines,
    readout_lines,
    series_lines,
    slice_lines,
)
from medgui.ui.viewer.slab_values import SlabValues
from medgui.ui.viewer.slice_image import (
    SliceGraphicsView,
    SliceImageItem,
    display_size_mm,
    display_transform,
    to_display,
)
from medgui.ui.viewer.slice_input import InputViewBox, SliceInput

# While a series loads, a coronal or sagittal view gains a row with every slice; refreshing at
# this period instead of per slice keeps a fast load from re-rendering hundreds of times.
LOADING_REFRESH_MS = 150
_POSITION_AXIS = {Plane.AXIAL: (2, "z"), Plane.CORONAL: (1, "y"), Plane.SAGITTAL: (0, "x")}


class SliceView(QWidget):
    """One plane (`plane`) of the volume that `state` views.

    The main window calls `set_volume(volume | None)`, `slice_updated(k)` while loading and
    `render_to_image()` for screenshots. `measurements` is the window's shared
    `MeasurementContext` (a private one when omitted).
    """

    def __init__(
        self,
        state: ViewerState,
        plane: Plane,
        parent: QWidget | None = None,
        *,
        measurements: MeasurementContext | None = None,
    ) -> None:
        super().__init__(parent)
        self._state, self._plane = state, Plane(plane)
        self._volume: Volume | None = None
        self._values: np.ndarray | None = None  # the raw slice on show, for the cursor readout
        # The mouse in the scene (None: away), so the readout follows wheel, key and cine slices.
        self._mouse_scene: QPointF | None = None
        self._index = 0
        self._shape, self._spacing = (1, 1), (1.0, 1.0)
        self._normal = 2
        self._centre_ijk = [0.0, 0.0, 0.0]
        self._crosshair_at: list[int] | None = None  # crosshair voxel placed, normal axis zeroed
        # The slice text's inputs that change with geometry or zoom, not with the slice: worked
        # out once, not per slice change (together ~5 % of one).
        self._positions: dict[int, float] = {}  # slice index → position readout (mm)
        self._magnification = 1.0
        self._generation = self._rendered = 0
        self._connected = False
        self._crosshair_on = True
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(64, 64)

        self.graphics = SliceGraphicsView(self, background="k")
        # Keys must reach this widget, not QAbstractScrollArea's arrow-key scrolling.
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.box = InputViewBox()
        self.input = self.box.handler = SliceInput(self)
        self.graphics.setCentralItem(self.box)
        self.slice_group = pg.ItemGroup()
        self.box.addItem(self.slice_group, ignoreBounds=True)
        self.image_item = SliceImageItem(self.slice_group)
        self.graphics.image_item = self.image_item
        self.crosshair = CrosshairLines(self.slice_group)
        self.overlay = OverlayLayer(self)
        context = measurements if measurements is not None else MeasurementContext(parent=self)
        self.measurements = MeasurementLayer(context, self._plane, self.slice_group, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)

        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self._render)
        self._loading_timer = QTimer(self, singleShot=True, interval=LOADING_REFRESH_MS)
        self._loading_timer.timeout.connect(self._request_render)
        self.slab = SlabValues(self)
        self.slab.ready.connect(self._request_render)
        self.box.sigResized.connect(self._apply_range)
        # A view deleted without set_volume(None) must not stay subscribed to the state.
        self.destroyed.connect(partial(unsubscribe, state, self._on_state_event))
        # pyqtgraph's sigMouseMoved is rate-limited and can drop the last move, which would
        # leave a stale value under the cursor: the viewport's own events are all seen here.
        self.graphics.viewport().installEventFilter(self)

    @property
    def plane(self) -> Plane:
        """The plane this view shows."""
        return self._plane

    @property
    def state(self) -> ViewerState:
        """The shared view state this view shows and drives."""
        return self._state

    @property
    def volume(self) -> Volume | None:
        return self._volume

    @property
    def shown_index(self) -> int:
        """The slice index on screen (the state's, once a pending render is drawn)."""
        return self._index

    @property
    def shown_values(self) -> np.ndarray | None:
        """The values on show: the slice, or the slab's projection."""
        return self._values

    @property
    def render_pending(self) -> bool:
        """Whether a state change has not been drawn yet (a slab may be in a worker)."""
        return self._rendered != self._generation or self.slab.pending

    # The main window's API.

    def set_volume(self, volume: Volume | None) -> None:
        """Show `volume` (the one `state` was made for), or clear the view with None."""
        context = self.measurements.context
        self._volume = volume
        self.slab.invalidate()
        if volume is None:
            if self._connected:
                self._state.events.disconnect(self._on_state_event)
                self._connected = False
            context.unbind(self._state)
            self.image_item.clear()
            self._values = None
            self.crosshair.set_visible(False)
            self.overlay.clear()
            return
        if not self._connected:
            self._state.events.connect(self._on_state_event)
            self._connected = True
        context.bind(volume, self._state)
        self._normal = normal_axis(volume, self._plane)
        # A narrow view (a side plane of layout "3") shows neither: they are the same in every
        # view and in the window title.
        self.overlay.set_corner("top_left", patient_lines(volume.metadata), compact=[])
        self.overlay.set_corner("top_right", series_lines(volume.metadata), compact=[])
        self.crosshair.set_plane(volume, self._plane)
        self.crosshair.set_visible(self._crosshair_on)
        self._apply_geometry()
        self._update_active()
        self._render()  # at once: the first slice of a load must show immediately

    def slice_updated(self, k: int) -> None:
        """Array slice `k` has landed: redraw if it is on screen (throttled for planes that
        cut through every slice)."""
        if self._volume is None:
            return
        self.slab.invalidate()
        if self._normal == 2:
            if k == self._state.slice_index(self._plane):
                self._request_render()
        elif not self._loading_timer.isActive():
            self._loading_timer.start()

    def render_to_image(self) -> QImage:
        """The view as it looks now, overlays included (works on a hidden widget)."""
        self.flush()
        self.layout().activate()
        return self.grab().toImage()

    def flush(self) -> None:
        """Draw a pending render now."""
        if self.render_pending or self._render_timer.isActive():
            self._render()

    def toggle_crosshair(self) -> None:
        """Show or hide the crosshair lines."""
        self._crosshair_on = not self._crosshair_on
        self.crosshair.set_visible(self._crosshair_on)

    def slice_to_viewport(self, row: float, col: float) -> QPointF:
        """Where slice pixel (row, col) is drawn, in the graphics viewport's pixels."""
        scene = self.slice_group.mapToScene(QPointF(col, row))
        return self.graphics.viewportTransform().map(scene)

    def viewport_to_slice(self, point: QPointF) -> tuple[float, float]:
        """The slice (row, col) under viewport pixel `point`."""
        scene = self.graphics.viewportTransform().inverted()[0].map(QPointF(point))
        return self.scene_to_slice(scene)

    def scene_to_slice(self, scene_pos: QPointF) -> tuple[float, float]:
        """The slice (row, col) at scene position `scene_pos`."""
        point = self.slice_group.mapFromScene(scene_pos)
        return point.y(), point.x()

    def pixels_per_mm(self) -> float:
        """Screen pixels per millimetre at the current zoom."""
        return self._fit_scale() * self._state.zoom

    # Rendering.

    def _request_render(self) -> None:
        self._generation += 1
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _render(self) -> None:
        """Draw the latest state; requests made since the last render are all served by this."""
        self._render_timer.stop()
        self._rendered = self._generation
        volume = self._volume
        if volume is None:
            return
        self._index = self._state.slice_index(self._plane)
        # A view, not a copy: a loader thread may be writing these voxels now, which is safe
        # because the display lookup covers every value the dtype can hold (and other dtypes
        # are copied by `window_to_uint8` first); a slice that lands is rendered again.
        values = self.slab.values(volume, self._state, self._plane, self._index)
        if values is None:
            return  # a big slab is projected in a worker; `slab.ready` renders again
        self._values = values
        state = self._state
        self.image_item.set_image(
            to_display(self._values, state.window, state.invert, volume.is_color)
        )
        self.measurements.show_slice(self._index)
        self._update_slice_text()
        self._update_readout()

    def _apply_geometry(self) -> None:
        volume, state = self._volume, self._state
        row_mm, col_mm, _ = slice_geometry(volume, self._plane)
        self._spacing = (row_mm, col_mm)
        self._shape = extract_slice(volume, self._plane, 0).shape[:2]
        transform = display_transform(
            self._shape, self._spacing, state.flip_h, state.flip_v, state.rotate
        )
        self.slice_group.setTransform(transform)
        # The voxel at the slice centre, but for the slice index: the position readout.
        centre = ((self._shape[0] - 1) / 2, (self._shape[1] - 1) / 2)
        self._centre_ijk = list(slice_pixel_to_voxel(volume, self._plane, 0, *centre))
        self._positions = {}
        self._crosshair_at = None
        labels = orientation_labels(
            volume, self._plane, flip_h=state.flip_h, flip_v=state.flip_v, rotate=state.rotate
        )
        self.overlay.set_orientation(labels)
        self._update_crosshair()
        self._apply_range()

    def _fit_scale(self) -> float:
        """Screen pixels per millimetre at zoom 1 (the slice fits the view)."""
        width, height = display_size_mm(self._shape, self._spacing, self._state.rotate)
        return max(min(self.box.width() / width, self.box.height() / height), 1e-6)

    def _apply_range(self) -> None:
        if self._volume is None:
            return
        scale = self.pixels_per_mm()
        half_w, half_h = max(self.box.width(), 1) / 2 / scale, max(self.box.height(), 1) / 2 / scale
        # Pan is the image centre's offset from the view centre, in screen pixels.
        cx, cy = -self._state.pan[0] / scale, -self._state.pan[1] / scale
        self.box.setRange(
            xRange=(cx - half_w, cx + half_w), yRange=(cy - half_h, cy + half_h), padding=0
        )
        # pyqtgraph defers the new transform to the next paint; mouse mapping needs it now.
        self.box.updateMatrix()
        self._magnification = scale * self._spacing[1]
        self._update_slice_text()

    def _update_slice_text(self) -> None:
        volume = self._volume
        if volume is None:
            return
        n = self._state.n_slices(self._plane)
        axis, name = _POSITION_AXIS[self._plane]
        mm = self._positions.get(self._index)
        if mm is None:
            ijk = list(self._centre_ijk)
            ijk[self._normal] = self._index
            mm = self._positions[self._index] = float(volume.voxel_to_world(ijk)[axis])
        position = (name, mm) if volume.metadata.get("oriented", True) else None
        magnification = self._magnification
        window = None if volume.is_color and volume.array.dtype == np.uint8 else self._state.window
        frame = bool(volume.metadata.get("frames_are_time")) and self._normal == 2
        args = (self._index, n, position, window)
        slab = None if volume.is_color else self._state.projection
        kw = {"frame": frame, "preset": preset_name(window, volume.modality) if window else None}
        kw["slab"] = slab_label(slab, self._state.slab_mm) if slab else None
        lines, compact = slice_lines(*args, magnification, **kw), slice_lines(*args, None, **kw)
        self.overlay.set_corner("bottom_left", lines, compact)

    def _update_crosshair(self) -> None:
        if self._volume is None:
            return
        # Scrolling this view's own slices moves the crosshair along the normal only.
        in_plane = list(self._state.crosshair)
        in_plane[self._normal] = 0
        if in_plane != self._crosshair_at:
            self._crosshair_at = in_plane
            _, row, col = voxel_to_slice_pixel(self._volume, self._plane, self._state.crosshair)
            self.crosshair.place(row, col, self._shape)

    def _update_active(self) -> None:
        state = self._state
        active = state.layout == "3" and state.active_plane is self._plane
        self.overlay.set_border(PLANE_COLORS[self._plane] if active else None)

    def _on_state_event(self, name: str, value) -> None:
        if name == "slice_index":
            if value[0] is self._plane:
                self._request_render()
        elif name in ("window", "invert", "projection", "slab_mm"):
            self._request_render()
        elif name == "crosshair":
            self._update_crosshair()
        elif name in ("zoom", "pan"):
            self._apply_range()
        elif name in ("flip_h", "flip_v", "rotate"):
            self._apply_geometry()
        elif name in ("active_plane", "layout"):
            self._update_active()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._mouse_scene = QPointF(scene_pos)
        if self._volume is None or self._values is None:
            return
        self.measurements.hover(self.scene_to_slice(scene_pos))
        self._update_readout()

    def _update_readout(self) -> None:
        """The value, voxel and position under the mouse, on the slice now on show."""
        if self._mouse_scene is None or self._volume is None or self._values is None:
            return
        point = self.scene_to_slice(self._mouse_scene)
        lines = readout_lines(self._volume, self._plane, self._index, self._values, point)
        self.overlay.set_corner("bottom_right", lines, compact=lines[:1])  # the value alone

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.MouseMove:
            to_scene = self.graphics.viewportTransform().inverted()[0]
            self._on_mouse_moved(to_scene.map(event.position()))
        return super().eventFilter(watched, event)

    def leaveEvent(self, event) -> None:
        self._mouse_scene = None
        self.overlay.set_corner("bottom_right", [])
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())
        self.overlay.raise_()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """The viewer's keys (`slice_input.KEYS_HELP`); others go to the parent."""
        if not self.input.key(event):
            super().keyPressEvent(event)
