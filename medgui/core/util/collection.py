"""Holding off Python's cycle collection while a thread builds objects that live for good.

Importing torch and MONAI creates hundreds of thousands of objects at once, all long-lived.
A collection in the middle of that scans them all for nothing: on the GUI thread, where
medgui runs its collections (`ui.main_thread_gc`), that was a 90 ms stall during the ML
warm-up. `paused_collection()` turns automatic collection off for the burst and tells the GUI
thread's collector to wait; the caller then freezes what it built (`gc.freeze`) so that later
passes skip it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holds = 0
_was_enabled = False


@contextmanager
def paused_collection() -> Iterator[None]:
    """No cycle collection, automatic or by the GUI thread's collector, inside the block (from
    any thread; nested and concurrent blocks are counted)."""
    global _holds, _was_enabled
    with _lock:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            if _holds == 0 and _was_enabled:
                gc.enable()


def collection_paused() -> bool:
    """Whether a `paused_collection()` block is running."""
    return _holds > 0
