"""Two series read side by side: `SeriesLink` keeps the second one's slice at the same position
in patient coordinates as the first one's (plus an offset the user sets), and the two share
window/level, zoom and thick-slab projection.

Positions are the LPS coordinate along the plane's normal (z for axial, y for coronal, x for
sagittal) of each slice's centre, as the slice views' "z = ... mm" readout shows it; the second
series goes to its slice nearest to the first's position plus the offset, so different slice
spacings, counts and origins line up. Either series may be scrolled: the other follows. With
the link off each scrolls alone, and turning it on again keeps the two as they are then (the
offset becomes their difference): how the user aligns a prior whose patient lay differently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from medgui.core.image.reformat import Plane, normal_axis
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.util.events import Callbacks

_LPS_AXIS = {Plane.AXIAL: 2, Plane.CORONAL: 1, Plane.SAGITTAL: 0}
# What the two series share: a prior is read with the same window, magnification and slab.
SHARED = ("window", "zoom", "invert", "projection", "slab_mm")


def slice_positions(volume: Volume, plane: Plane) -> np.ndarray:
    """The position (mm along the plane's LPS axis) of every slice of `plane`, at its centre."""
    axis = normal_axis(volume, plane)
    n = int(volume.array.shape[2 - axis])
    centre = [
        (s - 1) / 2 for s in (volume.array.shape[2], volume.array.shape[1], volume.array.shape[0])
    ]
    ijk = np.tile(np.asarray(centre, float), (n, 1))
    ijk[:, axis] = np.arange(n)
    return volume.voxel_to_world(ijk)[:, _LPS_AXIS[plane]]


class SeriesLink:
    """Links `second` (a state of `second_volume`) to `first` (of `first_volume`) on `plane`.

    Events on `events` (name, value): "linked" (bool), "offset_mm" (float).
    """

    def __init__(
        self,
        first: ViewerState,
        first_volume: Volume,
        second: ViewerState,
        second_volume: Volume,
        plane: Plane,
        *,
        offset_mm: float = 0.0,
    ) -> None:
        self.first, self.second, self.plane = first, second, Plane(plane)
        self._positions = (
            slice_positions(first_volume, plane),
            slice_positions(second_volume, plane),
        )
        self.events = Callbacks()
        self._linked = True
        self._offset = float(offset_mm)
        self._busy = False  # applying one state's change to the other: its echo is ignored
        self._handlers: list[tuple[ViewerState, Callable]] = []
        for source, target in ((first, second), (second, first)):
            handler = self._mirror(source, target)
            source.events.connect(handler)
            self._handlers.append((source, handler))
        for name in SHARED:
            self._copy(first, second, name)
        second.set_active_plane(self.plane)
        self._follow(first)

    def close(self) -> None:
        """Stop following either state."""
        for state, handler in self._handlers:
            state.events.disconnect(handler)
        self._handlers = []

    @property
    def linked(self) -> bool:
        return self._linked

    def set_linked(self, linked: bool) -> None:
        """Link or unlink scrolling; linking keeps the two slices on show (the offset becomes
        the difference of their positions)."""
        linked = bool(linked)
        if linked == self._linked:
            return
        if linked:
            self._set_offset(self.position(1) - self.position(0))
        self._linked = linked
        self.events.emit("linked", linked)

    @property
    def offset_mm(self) -> float:
        """The second series' position minus the first's, in mm along the plane's normal."""
        return self._offset

    def set_offset_mm(self, offset_mm: float) -> None:
        """Set the offset; the second series moves to it (the first stays)."""
        self._set_offset(offset_mm)
        if self._linked:
            self._follow(self.first)

    def position(self, which: int) -> float:
        """The position (mm) of the slice on show of the first (0) or second (1) series."""
        state = (self.first, self.second)[which]
        return float(self._positions[which][state.slice_index(self.plane)])

    def _set_offset(self, offset_mm: float) -> None:
        value = float(offset_mm)
        if not math.isfinite(value):
            raise ValueError(f"offset must be a finite number of mm, got {offset_mm!r}")
        if value != self._offset:
            self._offset = value
            self.events.emit("offset_mm", value)

    def _follow(self, source: ViewerState) -> None:
        """Move the other series to the slice nearest the position of `source`'s slice."""
        which = 0 if source is self.first else 1
        target = self.second if which == 0 else self.first
        wanted = self.position(which) + (self._offset if which == 0 else -self._offset)
        index = int(np.argmin(np.abs(self._positions[1 - which] - wanted)))
        self._apply(lambda: target.set_slice(self.plane, index))

    def _copy(self, source: ViewerState, target: ViewerState, name: str) -> None:
        if name == "window":
            window = source.window
            self._apply(lambda: target.set_window(window.center, window.width))
        else:
            value = getattr(source, name)
            self._apply(lambda: getattr(target, f"set_{name}")(value))

    def _apply(self, change: Callable[[], None]) -> None:
        self._busy = True
        try:
            change()
        finally:
            self._busy = False

    def _mirror(self, source: ViewerState, target: ViewerState) -> Callable[[str, Any], None]:
        def handler(name: str, value: Any) -> None:
            if self._busy:
                return
            if name == "slice_index" and value[0] is self.plane and self._linked:
                self._follow(source)
            elif name in SHARED:
                self._copy(source, target, name)

        return handler
