"""`ViewerState`: what the viewer shows of one volume, as plain data that Qt widgets watch.

Widgets read the state's properties, call its setters from their slots, and redraw from the
change events (napari's model/view split). Every setter validates or clamps its input and emits
``(name, value)`` only when the value really changes, so a widget that pushes a value back into
the state in response to an event ends the loop there.

The three slice indices and the crosshair are one piece of state: the crosshair voxel is where
the three displayed planes meet, so a plane's slice index is the crosshair's component along
that plane's normal axis. Moving either moves the other.

Display transforms apply to each view's slice (as `reformat.extract_slice` orients it) in this
order: `flip_h` / `flip_v` first, then `rotate` degrees clockwise.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from medgui.core.image.reformat import Plane, normal_axis, plane_for_axis
from medgui.core.image.slab import DEFAULT_SLAB_MM, check_projection, check_thickness
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import WindowLevel, default_window
from medgui.core.util.events import Callbacks

LAYOUTS = ("1", "3", "3d", "4")
ROTATIONS = (0, 90, 180, 270)
# Beyond these a slice is a few screen pixels or a few voxels per screen: never useful, and the
# renderer's transforms lose precision at the extremes.
ZOOM_RANGE = (0.05, 50.0)
# Below 1 fps cine is stepping by hand; above 60 most displays drop the frames anyway.
CINE_FPS_RANGE = (1.0, 60.0)
DEFAULT_CINE_FPS = 15.0

Callback = Callable[[str, Any], None]


class Events(Callbacks):
    """The subscribers to a state's changes; each is called as ``callback(name, value)``."""


def _finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


class ViewerState:
    """The view model of one volume: slices, crosshair, window, zoom, pan and display options.

    Events (name: value): ``slice_index``: (Plane, index) for each plane whose slice moved;
    ``crosshair``: (i, j, k); and for every other property its name and new value.
    """

    def __init__(self, volume: Volume) -> None:
        self.events = Events()
        array_shape = volume.array.shape
        self._size_ijk = (int(array_shape[2]), int(array_shape[1]), int(array_shape[0]))
        self._normal = {plane: normal_axis(volume, plane) for plane in Plane}
        self._volume = volume
        self._crosshair = tuple(n // 2 for n in self._size_ijk)
        # The window to open with and reset to, worked out again as the volume fills in.
        self._default_window = default_window(volume)
        self._window = self._default_window
        self._zoom = 1.0
        self._pan = (0.0, 0.0)
        self._invert = False
        self._flip_h = False
        self._flip_v = False
        self._rotate = 0
        self._layout = "1"
        # Open on the plane the volume was acquired in: the one without through-plane blur.
        self._active_plane = plane_for_axis(volume, 2)
        self._cine_fps = DEFAULT_CINE_FPS
        self._projection: str | None = None  # None: plain slices, else a `slab.PROJECTIONS` one
        self._slab_mm = DEFAULT_SLAB_MM

    def _set(self, name: str, value: Any) -> None:
        if getattr(self, f"_{name}") == value:
            return
        setattr(self, f"_{name}", value)
        self.events.emit(name, value)

    # Slices and crosshair.

    def n_slices(self, plane: Plane) -> int:
        """Number of slices `plane` has in this volume."""
        return self._size_ijk[self._normal[plane]]

    def slice_index(self, plane: Plane) -> int:
        """The slice of `plane` on show."""
        return self._crosshair[self._normal[plane]]

    @property
    def crosshair(self) -> tuple[int, int, int]:
        """The voxel (i, j, k) where the three planes meet."""
        return self._crosshair

    def set_slice(self, plane: Plane, index: int) -> None:
        """Show slice `index` of `plane` (clamped to the volume); the crosshair follows."""
        ijk = list(self._crosshair)
        ijk[self._normal[plane]] = operator.index(index)
        self.set_crosshair(ijk)

    def set_crosshair(self, ijk: tuple[float, float, float]) -> None:
        """Move the crosshair to voxel `ijk` (rounded to the nearest voxel and clamped to the
        volume) and every plane to the slice through it."""
        if len(ijk) != 3:
            raise ValueError(f"crosshair needs (i, j, k), got {ijk!r}")
        new = tuple(
            int(_clamp(round(_finite("crosshair", v)), 0, n - 1))
            for v, n in zip(ijk, self._size_ijk, strict=True)
        )
        old = self._crosshair
        if new == old:
            return
        self._crosshair = new
        # Every slice change comes through here: plain tuple lookups, no per-plane dicts.
        for plane, axis in self._normal.items():
            if new[axis] != old[axis]:
                self.events.emit("slice_index", (plane, new[axis]))
        self.events.emit("crosshair", new)

    # Window and display.

    @property
    def window(self) -> WindowLevel:
        return self._window

    @property
    def default_window(self) -> WindowLevel:
        """The automatic window (`windowing.default_window`) of the volume as it was loaded when
        last worked out: at the start, at `refresh_default_window` and at a reset."""
        return self._default_window

    def refresh_default_window(self) -> WindowLevel:
        """Work the default window out again from the volume as loaded now (call it when a
        progressive load completes: a window from percentiles was taken from the first slices).
        The window on show follows when it is the previous default, so a window the user chose
        stays. Returns the new default."""
        previous, self._default_window = self._default_window, default_window(self._volume)
        if self._window == previous:
            self.set_window(self._default_window.center, self._default_window.width)
        return self._default_window

    def use_default_window(self) -> None:
        """Show the default window, worked out from the volume as loaded now."""
        window = self.refresh_default_window()
        self.set_window(window.center, window.width)

    def set_window(self, center: float, width: float) -> None:
        """Set the window; a width below 1 (a drag past the end) is clamped to 1."""
        self._set("window", WindowLevel(_finite("window center", center), max(width, 1.0)))

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        """Set the magnification (1 = fit), clamped to `ZOOM_RANGE`."""
        self._set("zoom", _clamp(_finite("zoom", zoom), *ZOOM_RANGE))

    @property
    def pan(self) -> tuple[float, float]:
        return self._pan

    def set_pan(self, x: float, y: float) -> None:
        """Set the offset (x right, y down, in screen pixels) of the image from the view's
        centre."""
        self._set("pan", (_finite("pan x", x), _finite("pan y", y)))

    @property
    def invert(self) -> bool:
        return self._invert

    def set_invert(self, invert: bool) -> None:
        """Show grey levels inverted (white for low values)."""
        self._set("invert", bool(invert))

    @property
    def flip_h(self) -> bool:
        return self._flip_h

    def set_flip_h(self, flip: bool) -> None:
        """Mirror the views left to right."""
        self._set("flip_h", bool(flip))

    @property
    def flip_v(self) -> bool:
        return self._flip_v

    def set_flip_v(self, flip: bool) -> None:
        """Mirror the views top to bottom."""
        self._set("flip_v", bool(flip))

    @property
    def rotate(self) -> int:
        return self._rotate

    def set_rotate(self, degrees: int) -> None:
        """Rotate the views clockwise by a multiple of 90 degrees (taken modulo 360, so
        ``set_rotate(state.rotate + 90)`` turns once more)."""
        turned = degrees % 360
        if turned not in ROTATIONS:
            raise ValueError(f"rotation must be a multiple of 90 degrees, got {degrees!r}")
        self._set("rotate", int(turned))

    # Thick slabs.

    @property
    def projection(self) -> str | None:
        """The slab projection on show ("mip", "minip", "mean"), or None for plain slices."""
        return self._projection

    def set_projection(self, projection: str | None) -> None:
        """Show thick-slab projections of `slab_mm` (None: plain slices)."""
        self._set("projection", None if projection is None else check_projection(projection))

    @property
    def slab_mm(self) -> float:
        """The slab thickness in millimetres (kept while projections are off)."""
        return self._slab_mm

    def set_slab_mm(self, thickness_mm: float) -> None:
        self._set("slab_mm", check_thickness(thickness_mm))

    # Layout and playback.

    @property
    def layout(self) -> str:
        return self._layout

    def set_layout(self, layout: str) -> None:
        """Layout "1" shows the active plane alone, "3" axial, coronal and sagittal together,
        "3d" the 3-D view alone and "4" the three planes and the 3-D view."""
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self._set("layout", layout)

    @property
    def active_plane(self) -> Plane:
        return self._active_plane

    def set_active_plane(self, plane: Plane) -> None:
        """The plane that keyboard, wheel and cine act on (and that layout "1" shows)."""
        self._set("active_plane", Plane(plane))

    @property
    def cine_fps(self) -> float:
        return self._cine_fps

    def set_cine_fps(self, fps: float) -> None:
        """Cine playback rate in frames per second, clamped to `CINE_FPS_RANGE`."""
        self._set("cine_fps", _clamp(_finite("cine fps", fps), *CINE_FPS_RANGE))

    def reset(self) -> None:
        """Undo display adjustments (the R key): window, zoom, pan, invert, flips and rotation.

        Where the user is (slices, crosshair, active plane), the layout and the cine rate stay:
        R resets the look of the image, not the place in the study. The default window is
        worked out again (`use_default_window`), so a state made while the volume was still
        loading resets to the window of the whole volume.
        """
        self.use_default_window()
        self.set_zoom(1.0)
        self.set_pan(0.0, 0.0)
        self.set_invert(False)
        self.set_flip_h(False)
        self.set_flip_v(False)
        self.set_rotate(0)
