"""Workers for display work too big for the GUI thread: a thick-slab projection over many
slices of a large volume (`core.image.slab`), the 3-D view's label surfaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def display_worker(function: Callable[..., Any], *args: Any) -> FunctionWorker:
    """An unstarted worker running `function(*args)` for a view (the 3-D view's label surfaces:
    the function lives with its VTK code in `ui.render3d`, which core and workers never
    import); `returned(result)`, errors through `errored`."""
    return create_worker(function, *args, _start_thread=False, _ignore_errors=True)
