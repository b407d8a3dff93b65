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
a cycle at once, in any thread; only cycles wait, at most one interval. The policy itself (who
collects, when nobody does, what is frozen) is `core.util.collection`; this is its Qt timer.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from medgui.core.util import collection

# Often enough that each pass stays small while workers allocate: during a 300-slice load the
# young-generation passes took 0.2-6 ms at this interval, against 7-10 ms at 500 ms.
INTERVAL_MS = 100

_installed: MainThreadCollector | None = None


class MainThreadCollector(QObject):
    """Collects on the GUI thread every `INTERVAL_MS` (`collection.collect_due`)."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        collection.take_over_collection()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int | None:
        """One timer tick: the generation collected, or None (see `collection.collect_due`)."""
        return collection.collect_due()

    def stop(self) -> None:
        """Stop collecting here and give collection back to CPython (as it was before)."""
        self._timer.stop()
        collection.give_back_collection()


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
