"""Python's cycle collector, run on the GUI thread only.

CPython runs an automatic collection in whichever thread happens to allocate past the
threshold. In medgui that is often a worker (the scan, the loader, the thumbnails, training),
and a collection frees every unreachable cycle, including the Python wrappers of Qt objects
that live on the GUI thread (a closed window, a replaced view and their timers). Their C++
destructors then run on the worker: Qt prints "QBasicTimer::stop: Failed. Possibly trying to
stop from a different thread", the timers stay registered, and the GUI thread later delivers
a timer event to freed memory and crashes (seen as a segfault in
`QCoreApplicationPrivate::sendThroughObjectEventFilters`, one run of the main-window tests in
four, always after a collection of about a thousand objects on a pool thread).

So, as pyqtgraph's `GarbageCollector` does, automatic collection is turned off and a timer on
the GUI thread collects instead, generation by generation with CPython's own thresholds: the
same work, done where Qt objects may be freed. Reference counting still frees everything not in
a cycle at once, in any thread; only cycles wait, at most one interval.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from medgui.core.util.collection import collection_paused

# Often enough that each pass stays small while workers allocate: during a 300-slice load the
# young-generation passes took 0.2-6 ms at this interval, against 7-10 ms at 500 ms.
INTERVAL_MS = 100

_installed: MainThreadCollector | None = None


class MainThreadCollector(QObject):
    """Collects on the GUI thread every `INTERVAL_MS`, the generations CPython would have."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int | None:
        """Collect the oldest generation whose count passed its threshold (CPython's rule:
        generation n+1 is due once n has been collected more than its threshold times);
        returns the generation collected, or None when nothing was due or a thread holds
        collection off (`core.collection.paused_collection`)."""
        counts = gc.get_count()
        if counts[0] <= self._thresholds[0] or collection_paused():
            return None
        generation = 0
        while generation < 2 and counts[generation + 1] > self._thresholds[generation + 1]:
            generation += 1
        gc.collect(generation)
        return generation

    def stop(self) -> None:
        """Stop collecting here and give collection back to CPython (as it was before)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


def collect_on_main_thread(app: QCoreApplication | None = None) -> MainThreadCollector:
    """Move cycle collection onto the GUI thread of `app` (default: the running application),
    once per process; returns the collector."""
    global _installed
    if _installed is None:
        app = app if app is not None else QCoreApplication.instance()
        if app is None:
            raise RuntimeError("collect_on_main_thread needs a QApplication")
        _installed = MainThreadCollector(app)
    return _installed


def uninstall() -> None:
    """Undo `collect_on_main_thread` (tests of this module)."""
    global _installed
    if _installed is not None:
        _installed.stop()
        _installed.deleteLater()
        _installed = None
