"""The Signal model checks its shape, channel list and rate, and finds leads by name."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.signals.signal import Annotation, Signal


def _two_leads() -> Signal:
    samples = np.vstack([np.sin(np.linspace(0, 6, 500)), np.cos(np.linspace(0, 6, 500))])
    return Signal(samples, 250.0, ["Lead I", "II"], ["mV", "mV"], source="test")


def test_duration_and_time_follow_the_rate():
    signal = _two_leads()
    assert signal.n_samples == 500 and signal.duration_s == pytest.approx(2.0)
    assert signal.time_s(125) == pytest.approx(0.5)
    assert np.allclose(signal.time_s(np.array([0, 250])), [0.0, 1.0])


def test_leads_are_found_whatever_their_spelling():
    signal = _two_leads()
    assert np.array_equal(signal.channel("i"), signal.samples[0])
    assert np.array_equal(signal.channel("Lead II"), signal.samples[1])
    with pytest.raises(KeyError, match="no channel 'V1'"):
        signal.channel("V1")


@pytest.mark.parametrize(
    "samples, names, units, fs, message",
    [
        (np.zeros(10), ["I"], ["mV"], 250.0, "must be \\(channels, n\\)"),
        (np.zeros((2, 10)), ["I"], ["mV", "mV"], 250.0, "2 channels but 1 names"),
        (np.zeros((1, 10)), ["I"], ["mV"], 0.0, "must be positive"),
        (np.zeros((1, 10)), ["I"], ["mV"], float("nan"), "must be positive"),
    ],
)
def test_bad_shapes_and_rates_are_refused(samples, names, units, fs, message):
    with pytest.raises(ValueError, match=message):
        Signal(samples, fs, names, units)


def test_an_episode_has_an_end_and_a_beat_has_none():
    beat, episode = Annotation(100, "N"), Annotation(100, "+", end=900, aux="(AFIB")
    assert beat.end is None and episode.end == 900 and episode.aux == "(AFIB"
