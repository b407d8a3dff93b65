"""Workers for display work too big for the GUI thread: a thick-slab projection over many
slices of a large volume (`core.image.slab`)."""

from __future__ import annotations

from superqt.utils import FunctionWorker, create_worker

from medgui.core.image.reformat import Plane
from medgui.core.image.slab import slab_projection
from medgui.core.image.volume import Volume


def slab_worker(
    volume: Volume, plane: Plane, index: int, thickness_mm: float, projection: str
) -> FunctionWorker:
    """An unstarted worker; `returned(projected slice)`, errors through `errored`."""
    return create_worker(
        slab_projection,
        volume,
        plane,
        index,
        thickness_mm,
        projection,
        _start_thread=False,
        _ignore_errors=True,
    )
