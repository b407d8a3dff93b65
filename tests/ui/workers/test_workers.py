"""The workers: progress is coalesced, errors arrive as signals, cancel stops the work."""

from __future__ import annotations

import time

import numpy as np
import pytest

from medgui.core import scan
from medgui.workers import load_worker as module
from medgui.workers.load_worker import (
    LoadStep,
    ProgressWorker,
    WorkFailed,
    load_worker,
    scan_worker,
    series_thumbnail,
    thumbnail_worker,
)


def test_load_steps_show_the_first_slice_at_once_then_coalesce(single_series):
    steps = []
    gen = module.load_steps(single_series, interval_s=10.0)
    with pytest.raises(StopIteration) as stop:
        while True:
            steps.append(next(gen))
    volume = stop.value.value
    # The first slice on its own, then everything else in one step (the interval never passed).
    assert [len(s.slices) for s in steps] == [1, 20]
    assert steps[0].volume is volume and steps[-1].done == steps[-1].total == 20
    assert sorted(set(sum((s.slices for s in steps), ()))) == list(range(20))


def test_load_steps_every_slice_without_throttle(single_series):
    steps = list(module.load_steps(single_series, interval_s=0.0))
    assert len(steps) == 21  # one per slice, and the loader's final "finished" step


def test_runtime_errors_are_not_swallowed(monkeypatch):
    def broken(source):
        raise RuntimeError("ITK could not read it")
        yield

    monkeypatch.setattr(module, "iter_load", broken)
    with pytest.raises(WorkFailed, match="ITK could not read it"):
        list(module.load_steps("x"))


def test_load_worker_signals(qtbot, single_series):
    worker = load_worker(single_series)
    steps: list[LoadStep] = []
    worker.yielded.connect(steps.append)
    returned = []
    worker.returned.connect(returned.append)
    # Both in one blocker: a second waitSignal made after `finished` fired would never be
    # waited on, and its blocker's late slot crashed the interpreter when the signal arrived.
    with qtbot.waitSignals([worker.returned, worker.finished], timeout=10_000):
        worker.start()
    assert returned[0].shape_zyx == (20, 40, 40)
    qtbot.waitUntil(lambda: steps and steps[-1].done == 20)


def test_load_worker_error_is_a_signal(qtbot, tmp_path):
    worker = load_worker(tmp_path / "missing")
    with qtbot.waitSignal(worker.errored, timeout=5_000) as errored:
        worker.start()
    assert isinstance(errored.args[0], FileNotFoundError)


def test_quit_closes_the_loader(qtbot, single_series, slow_loads):
    slow = slow_loads(delay_s=0.02)
    worker = load_worker(single_series)
    returned = []
    worker.returned.connect(returned.append)
    with qtbot.waitSignal(worker.yielded, timeout=5_000):
        worker.start()
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        worker.quit()
    assert slow.closed
    assert returned == []


def test_scan_worker_reports_and_returns(qtbot, series_folder):
    worker = scan_worker(series_folder)
    with qtbot.waitSignal(worker.returned, timeout=10_000) as returned:
        worker.start()
    assert len(returned.args[0].image_series) == 2


def test_progress_worker_cancels_at_the_callback(qtbot):
    reached = []

    def long_job(progress):
        for n in range(1000):
            progress(n, 1000)
            reached.append(n)
            time.sleep(0.005)  # slow work, so that quit comes mid-job
        return "done"

    worker = ProgressWorker(long_job, interval_s=0.0)
    returned = []
    worker.returned.connect(returned.append)
    with qtbot.waitSignal(worker.progressed, timeout=5_000):
        worker.start()
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        worker.quit()
    assert returned == [] and len(reached) < 1000


def test_thumbnail_of_a_series(series_folder):
    found = scan(series_folder, index=False)
    image = series_thumbnail(found.image_series[0], size=32)
    assert image.dtype == np.uint8
    # 40 columns × 48 rows of square pixels: the longer side (rows) becomes 32.
    assert image.shape == (32, 27)
    assert image[16, 13] > 0 and image[0, 0] == 0


def test_thumbnail_worker_skips_what_it_cannot_read(qtbot, series_folder, tmp_path):
    found = scan(series_folder, index=False)
    broken = found.image_series[1]
    broken.instances = [
        type(h)(**{**h.to_json(), "path": str(tmp_path / "gone.dcm")}) for h in broken.instances
    ]
    worker = thumbnail_worker(found.series)
    got = []
    worker.yielded.connect(got.append)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()
    assert [uid for uid, _ in got] == [found.image_series[0].uid]
