"""medgui's policy for Python's cycle collector, in one place (Qt-free).

Three rules, each with its reason:

- **Who collects.** In the GUI, automatic collection is off and the GUI thread collects
  (`take_over_collection`, then `collect_due` from a timer: `ui.window.main_thread_gc` is the
  thin Qt adapter). CPython would otherwise collect in whichever thread allocates past the
  threshold, often a worker, and free the Python wrappers of Qt objects that live on the GUI
  thread there: their timers then crash the GUI thread.
- **When nobody collects.** Importing torch and MONAI creates hundreds of thousands of objects
  at once, all long-lived; a collection in the middle scans them all for nothing (a 90 ms
  stall of the window during the ML warm-up). `paused_collection()` holds every collection off
  for such a burst, automatic or by the GUI thread.
- **Freezing after imports.** What the first ML imports leave lives as long as the process:
  `freeze_once()` moves it out of later full passes (`gc.freeze`), once, so that later garbage
  is never frozen.

Automatic collection is on only while nothing holds it off and no thread has taken it over;
when the last of them lets go, it is given back as it was before medgui first touched it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holds = 0  # open paused_collection() blocks, all threads together
_taken_over = False  # a thread (the GUI's) collects instead of CPython
_before: bool | None = None  # automatic collection before medgui took control; None: not taken
_frozen = False


def _apply() -> None:
    """Set automatic collection from the state above (called holding `_lock`)."""
    global _before
    if _holds or _taken_over:
        if _before is None:
            _before = gc.isenabled()
        gc.disable()
    elif _before is not None:
        if _before:
            gc.enable()
        _before = None


@contextmanager
def paused_collection() -> Iterator[None]:
    """No cycle collection, automatic or by the collecting thread, inside the block (from any
    thread; nested and concurrent blocks are counted)."""
    global _holds
    with _lock:
        _holds += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            _apply()


def collection_paused() -> bool:
    """Whether a `paused_collection()` block is running."""
    return _holds > 0


def take_over_collection() -> None:
    """Turn automatic collection off for good: the caller's thread collects, by calling
    `collect_due` often (the GUI thread, from a timer)."""
    global _taken_over
    with _lock:
        _taken_over = True
        _apply()


def give_back_collection() -> None:
    """Undo `take_over_collection`: CPython collects again as it did before (unless a
    `paused_collection()` block still runs; its end gives it back then)."""
    global _taken_over
    with _lock:
        _taken_over = False
        _apply()


def collection_taken_over() -> bool:
    """Whether a thread collects instead of CPython (`take_over_collection`)."""
    return _taken_over


def collect_due() -> int | None:
    """Collect the oldest generation whose count passed its threshold (CPython's rule:
    generation n+1 is due once n has been collected more than its threshold times); returns the
    generation collected, or None when nothing was due or a block holds collection off."""
    thresholds, counts = gc.get_threshold(), gc.get_count()
    if counts[0] <= thresholds[0] or collection_paused():
        return None
    generation = 0
    while generation < 2 and counts[generation + 1] > thresholds[generation + 1]:
        generation += 1
    gc.collect(generation)
    return generation


def freeze_once() -> None:
    """Everything alive after the first ML import (the window, torch, MONAI) lives as long as
    the process: keep it out of the collector's full passes, which otherwise scan it all while
    holding the GIL and stall the window for 100-200 ms each time training allocates. Once per
    process, so later garbage is never frozen."""
    global _frozen
    with _lock:
        if not _frozen:
            _frozen = True
            gc.freeze()
