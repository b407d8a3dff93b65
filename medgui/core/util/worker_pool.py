"""A process pool kept for the session, behind a small API (`workers`, `submit`, `map`,
`shutdown`), so that no caller reaches into `ProcessPoolExecutor`'s private parts.

The processes start on first use and come from `worker_context` (they never re-run the user's
script). A worker that dies (a decoder crash, the OOM killer) breaks a `ProcessPoolExecutor`
for good; this pool starts a fresh one on the next `submit` or `map`, so one crash costs the
files it held, never the rest of the session.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from medgui.core.util.worker_context import worker_context


class WorkerPool:
    """`workers` processes, started when first asked for and replaced when broken."""

    def __init__(self, workers: int) -> None:
        self._workers = max(1, int(workers))
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        atexit.register(self.shutdown)

    @property
    def workers(self) -> int:
        """How many processes the pool runs (for sizing chunks of work)."""
        return self._workers

    def _live(self, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
        """The running executor; a fresh one when there is none or it is `broken`."""
        with self._lock:
            if broken is not None and self._executor is broken:
                self._executor = None
                broken.shutdown(wait=False, cancel_futures=True)
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self._workers, mp_context=worker_context())
            return self._executor

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn(*args)` in a worker process (picklable by module name)."""
        executor = self._live()
        try:
            return executor.submit(fn, *args)
        except BrokenProcessPool:  # a worker died during an earlier job
            return self._live(broken=executor).submit(fn, *args)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """`fn` over `items` in the workers, results in order."""
        items = list(items)
        executor = self._live()
        try:
            return executor.map(fn, items)
        except BrokenProcessPool:
            return self._live(broken=executor).map(fn, items)

    def shutdown(self) -> None:
        """Stop the processes now (queued jobs are cancelled); a later job starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
