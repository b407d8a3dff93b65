"""Which part of the trace drove a beat's class: integrated gradients of the beat model's class
logit at the beat's sample with respect to the input window around it.

Integrated gradients rather than gradient×input: `BeatNet`'s ReLU front end and GRU gates
saturate, so the gradient at the input alone is noisy and can be near zero on the very QRS that
decided the class; integrating it along the path from a flat baseline averages that out, and
the attributions add up to logit(input) − logit(baseline) (completeness), so a band's strength
means the same from one beat to the next. The baseline is zero: after the median/MAD
standardisation the model reads, that is the isoelectric line, a trace with no waves at all.
The path's `steps` inputs go through the network as one batch: an 8 s window at 250 Hz and 32
steps is one forward and backward pass of a few hundred kilobytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from medgui.core.signals.signal import Signal
from medgui.ml.signals.data import choose_leads, prepare

STEPS = 32
CLASS_RADIUS_S = 0.03  # the class of a beat: its mean probability this near it (as pick_beats)


@dataclass(frozen=True)
class BeatSaliency:
    """The attribution of one beat's class over the model's input window.

    `values[i]` (≥ 0, the largest 1) is the attribution at record time ``start_s + i / fs_hz``
    (the model's rate), summed over the leads the model reads."""

    beat_sample: int  # the beat explained, in record samples
    symbol: str  # the class explained: the one the model gives the beat
    probability: float  # the model's probability of that class at the beat
    start_s: float
    fs_hz: float
    values: np.ndarray

    @property
    def end_s(self) -> float:
        return self.start_s + len(self.values) / self.fs_hz


def integrated_gradients(
    network: torch.nn.Module, x: torch.Tensor, channel: int, at: int, steps: int = STEPS
) -> torch.Tensor:
    """Integrated gradients (zero baseline, `steps` midpoint Riemann steps) of output
    `channel` at sample `at` of `network` for the input `x` (leads, n): (leads, n)."""
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps
    path = (alphas[:, None, None] * x[None]).requires_grad_(True)
    network.eval()
    with torch.enable_grad():
        out = network(path)[:, channel, at]
        (grads,) = torch.autograd.grad(out.sum(), path)
    return x * grads.mean(0)


def explain_beat(
    model_dir: str | Path, signal: Signal, sample: int, steps: int = STEPS
) -> BeatSaliency:
    """The attribution of the class the beats model in `model_dir` gives the beat at `sample`
    of `signal`, over the model's window centred on it (shifted inside the record at its
    ends). ValueError naming the record when it lacks the model's lead."""
    from medgui.ml.training.checkpoint import TrainedModel

    trained = TrainedModel.load(model_dir, "cpu")
    card = trained.card
    if card.task != "beats":
        raise ValueError(f"{model_dir}: a {card.task!r} model, not a beats model")
    if not 0 <= sample < signal.n_samples:
        raise ValueError(f"sample {sample} is outside the record (0-{signal.n_samples - 1})")
    fs = float(card.extra.get("fs_hz", 250.0))
    window = int(card.input_size[1])
    channels = choose_leads(signal, str(card.extra.get("lead") or "all"))
    # Only the window is resampled and standardised: a Holter record is never read whole.
    span = math.ceil(window / fs * signal.fs_hz)
    first = int(np.clip(sample - span // 2, 0, max(0, signal.n_samples - span)))
    last = min(signal.n_samples, first + span)
    crop = Signal(
        signal.samples[:, first:last], signal.fs_hz, signal.channel_names, signal.units,
        source=signal.source,
    )  # fmt: skip
    x = prepare(crop, channels, fs)
    used = min(x.shape[1], window)
    padded = np.zeros((x.shape[0], window), np.float32)
    padded[:, :used] = x[:, :used]
    inputs = torch.from_numpy(padded)
    at = min(round((sample - first) * fs / signal.fs_hz), used - 1)
    network = trained.network
    with torch.no_grad():
        logits = network(inputs[None])[0]
    radius = max(1, round(CLASS_RADIUS_S * fs))
    probabilities = torch.softmax(logits[1:, max(0, at - radius) : at + radius + 1], 0).mean(1)
    k = int(torch.argmax(probabilities))
    attribution = integrated_gradients(network, inputs, 1 + k, at, steps)
    values = attribution.abs().sum(0)[:used].numpy()
    peak = float(values.max())
    values = values / peak if peak > 0 else values
    return BeatSaliency(
        sample, card.classes[k], float(probabilities[k]), first / signal.fs_hz, fs,
        values.astype(np.float32),
    )  # fmt: skip
