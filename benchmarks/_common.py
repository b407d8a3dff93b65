"""Shared pieces of the benchmarks: synthetic CT series and a median timer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume


def synthetic_ct(shape_zyx: tuple[int, int, int], seed: int = 0) -> Volume:
    """A body-like CT (air, fat, soft tissue, bone, noise): realistic compression ratios."""
    z, y, x = shape_zyx
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[-1 : 1 : y * 1j, -1 : 1 : x * 1j]
    body = (xx / 0.85) ** 2 + (yy / 0.65) ** 2
    base = np.where(body < 1, 40.0, -1000.0)
    base[(body < 1) & (body > 0.8)] = -100.0
    base[(xx**2 + (yy - 0.35) ** 2) < 0.012] = 700.0
    volume = np.empty(shape_zyx, np.int16)
    for k in range(z):
        noise = rng.normal(0, 12, (y, x))
        volume[k] = np.clip(base + noise + 20 * np.sin(k / 9.0) * (body < 0.3), -1024, 3071)
    return Volume(volume, spacing_mm=(0.7, 0.7, 1.0), origin=(-179.0, -179.0, -150.0))


def write_ct(folder: Path, shape_zyx, transfer_syntax=None, seed=0, series_number=1) -> list[Path]:
    kwargs = {"transfer_syntax": transfer_syntax} if transfer_syntax else {}
    info = SeriesInfo(series_number=series_number, series_description=f"bench {series_number}")
    return write_dicom_series(
        synthetic_ct(shape_zyx, seed), folder, info, shuffle_names=True, seed=seed, **kwargs
    )


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
