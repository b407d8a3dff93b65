"""Which part of the trace drove a beat's class: integrated gradients add up to the logit's
change from the flat baseline, and a trained beats model's V beats are explained by the trace
around them, not by the rest of the window."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from beat_model_testing import train_tiny_beat_model, v_ecg

from medgui.core.signals.signal import Signal
from medgui.ml.signals.networks import BeatNet
from medgui.ml.signals.saliency import explain_beat, integrated_gradients


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_tiny_beat_model(tmp_path_factory.mktemp("beats"))


def test_integrated_gradients_add_up_to_the_logits_change_from_the_flat_baseline():
    torch.manual_seed(0)
    network = BeatNet(leads=2, classes=3, width=4, hidden=8).eval()
    x = torch.randn(2, 400)
    attribution = integrated_gradients(network, x, channel=2, at=150, steps=128)
    with torch.no_grad():
        change = network(x[None])[0, 2, 150] - network(torch.zeros(1, 2, 400))[0, 2, 150]
    assert attribution.shape == x.shape
    assert float(attribution.sum()) == pytest.approx(float(change), rel=0.05, abs=1e-3)


def test_a_v_beats_class_is_explained_by_the_trace_around_it(model):
    ecg = v_ecg(7)  # not one of the training records
    signal = Signal(ecg.samples, ecg.fs_hz, ["II", "V1"], ["mV", "mV"], source="held-out")
    ventricular = [b for b, s in zip(ecg.beats, ecg.symbols, strict=True) if s == "V"]
    for beat in ventricular[1:4]:
        saliency = explain_beat(model, signal, beat)
        assert saliency.symbol == "V" and saliency.probability > 0.5
        assert saliency.start_s <= beat / ecg.fs_hz <= saliency.end_s
        times = saliency.start_s + np.arange(len(saliency.values)) / saliency.fs_hz
        near = np.abs(times - beat / ecg.fs_hz) <= 0.15
        inside, outside = saliency.values[near].sum(), saliency.values[~near].sum()
        # ±150 ms is 300 ms of a 4 s window (7.5 %): a flat map would put 7.5 % there.
        assert inside > outside, (beat, inside, outside)
        density = saliency.values[near].mean() / saliency.values[~near].mean()
        assert density > 10, (beat, density)


def test_a_beat_outside_the_record_or_a_missing_lead_is_refused(model):
    ecg = v_ecg(7, seconds=6)
    signal = Signal(ecg.samples, ecg.fs_hz, ["I", "V1"], ["mV", "mV"], source="other.hea")
    with pytest.raises(ValueError, match="outside the record"):
        explain_beat(model, signal, signal.n_samples)
    with pytest.raises(ValueError, match="other.hea.*no lead 'II'"):
        explain_beat(model, signal, 100)
