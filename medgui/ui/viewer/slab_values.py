"""What a slice view shows of its plane: the slice itself, or the thick-slab projection around
it (`core.image.slab`). A slab small enough projects at once on the GUI thread (a few ms); a
bigger one goes to a worker, one at a time (the latest request waits, those it replaced are
dropped), and `ready` says when it has landed."""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Signal

from medgui.core.image.reformat import Plane, extract_slice
from medgui.core.image.slab import slab_projection, slab_voxels
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.workers.view_workers import slab_worker

# numpy reduces a few hundred million voxels a second here: 4 M keeps a projection on the GUI
# thread well under the 50 ms a turn of the event loop may take.
SYNC_VOXELS = 4_000_000


class SlabValues(QObject):
    """The values for one view: `values()` now, or None while a worker projects them."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key: tuple | None = None
        self._result: np.ndarray | None = None
        self._busy = False
        self._queued: tuple | None = None

    def invalidate(self) -> None:
        """Forget the projection kept (voxels landed, or another volume)."""
        self._key, self._result = None, None

    def values(
        self, volume: Volume, state: ViewerState, plane: Plane, index: int
    ) -> np.ndarray | None:
        projection = state.projection
        if projection is None or volume.is_color:
            return extract_slice(volume, plane, index)
        key = (id(volume), plane, index, state.slab_mm, projection)
        if key == self._key and self._result is not None:
            return self._result  # a window or zoom change re-renders the same slab
        self._key, self._result = key, None
        args = (volume, plane, index, state.slab_mm, projection)
        if slab_voxels(volume, plane, index, state.slab_mm) <= SYNC_VOXELS:
            self._result = slab_projection(*args)
            return self._result
        self._start(key, args)
        return None

    @property
    def pending(self) -> bool:
        """Whether a projection is being worked out in a worker."""
        return self._busy or self._queued is not None

    def _start(self, key: tuple, args: tuple) -> None:
        if self._busy:
            self._queued = (key, args)
            return
        self._busy = True
        worker = slab_worker(*args)
        worker.returned.connect(partial(self._landed, key))
        worker.errored.connect(partial(self._landed, key, None))
        worker.start()

    def _landed(self, key: tuple, values: np.ndarray | None, *_: object) -> None:
        self._busy = False
        queued, self._queued = self._queued, None
        if queued is not None and queued[0] == self._key:
            self._start(*queued)
        elif key == self._key and values is not None:
            self._result = values
            self.ready.emit()
