"""The ECG filters remove what they name and keep the rest; the overview keeps every spike."""

from __future__ import annotations

import time

import numpy as np
import pytest

from medgui.core.signals.filters import apply_filters
from medgui.core.signals.overview import minmax_decimate

FS = 500.0
T = np.arange(int(10 * FS)) / FS


def _gain_db(before: np.ndarray, after: np.ndarray) -> float:
    core = slice(500, -500)  # away from the edges
    return 20 * np.log10(np.std(after[core]) / np.std(before[core]))


def _sine(hz: float) -> np.ndarray:
    return np.sin(2 * np.pi * hz * T)


@pytest.mark.parametrize("mains", [50, 60])
def test_notch_removes_mains_and_keeps_ecg_frequencies(mains):
    name = f"notch{mains}"
    assert _gain_db(_sine(mains), apply_filters(_sine(mains), FS, {name})) < -20
    assert abs(_gain_db(_sine(10), apply_filters(_sine(10), FS, {name}))) < 1


def test_baseline_high_pass_removes_wander_and_keeps_the_qrs_band():
    assert _gain_db(_sine(0.1), apply_filters(_sine(0.1), FS, {"baseline"})) < -20
    assert abs(_gain_db(_sine(10), apply_filters(_sine(10), FS, {"baseline"}))) < 1


@pytest.mark.parametrize(("name", "cut"), [("lowpass40", 40), ("lowpass150", 150)])
def test_low_pass_removes_above_its_cutoff(name, cut):
    high = _sine(2 * cut if 2 * cut < FS / 2 else 240)
    assert _gain_db(high, apply_filters(high, FS, {name})) < -20
    assert abs(_gain_db(_sine(5), apply_filters(_sine(5), FS, {name}))) < 1


def test_filters_are_zero_phase_and_work_per_channel():
    pulse = np.exp(-0.5 * ((T - 5.0) / 0.01) ** 2)
    two = np.vstack([pulse, 2 * pulse])
    out = apply_filters(two, FS, {"baseline", "notch50", "lowpass40"})
    assert out.shape == two.shape
    assert np.argmax(out[0]) == np.argmax(pulse)  # the peak did not move
    assert np.allclose(out[1], 2 * out[0])


def test_unknown_filter_is_named_and_filters_above_nyquist_pass():
    with pytest.raises(ValueError, match="notch55"):
        apply_filters(T, FS, {"notch55"})
    slow = _sine(1)
    assert np.allclose(apply_filters(slow, 100.0, {"lowpass150"}), slow)


def test_overview_of_ten_million_samples_is_fast_and_keeps_a_spike():
    values = np.sin(np.arange(10_000_000) * 1e-4)
    values[7_654_321] = 50.0
    values[1_234_567] = -40.0
    start = time.perf_counter()
    x, y = minmax_decimate(values, 1000)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"{elapsed:.2f} s"
    assert x.shape == y.shape == (2000,)
    assert y.max() == 50.0 and y.min() == -40.0
    assert abs(x[np.argmax(y)] - 7_654_321) <= 10_000_000 / 1000  # in the right column
    assert np.all(np.diff(x) >= 0)


def test_short_records_come_back_whole():
    x, y = minmax_decimate(np.arange(10.0), 100)
    assert x.tolist() == list(range(10)) and y.tolist() == list(range(10))
