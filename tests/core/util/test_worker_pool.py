"""WorkerPool: the session's process pool behind a small API; a dead worker costs its jobs,
never the pool."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from medgui.core.dicom.pixels import decode_pool
from medgui.core.util.worker_pool import WorkerPool


def _die(_item):
    os._exit(3)


@pytest.fixture
def pool():
    made = WorkerPool(2)
    yield made
    made.shutdown()


def test_the_decode_pool_says_how_many_workers_it_runs():
    workers = decode_pool().workers
    assert workers == max(1, min(os.cpu_count() or 1, 8))


def test_a_pool_replaces_processes_that_died(pool):
    assert pool.workers == 2
    with pytest.raises(BrokenProcessPool):
        pool.submit(_die, 0).result(timeout=60)
    assert pool.submit(abs, -3).result(timeout=60) == 3  # a fresh executor took over
    with pytest.raises(BrokenProcessPool):
        list(pool.map(_die, [0, 1]))
    assert list(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]


def test_a_pool_shut_down_starts_again_on_the_next_job(pool):
    assert pool.submit(abs, -1).result(timeout=60) == 1
    pool.shutdown()
    assert pool.submit(abs, -2).result(timeout=60) == 2
