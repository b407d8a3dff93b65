"""A trained beat model over a record, or a part of one: the beats it finds, at the record's
own rate. A long record (a 24 h Holter) goes chunk by chunk, each with context on both sides
so no beat is cut at a chunk's edge, reporting progress between chunks (the caller's
`progress` may raise to cancel)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medgui.core.signals.signal import Signal
from medgui.ml.signals.data import choose_leads, prepare
from medgui.ml.signals.infer import pick_beats, predict

CHUNK_S = 60.0
CONTEXT_S = 3.0  # more than the network's reach (a few beats) either side of a chunk


def find_beats(
    trained,
    signal: Signal,
    start: int = 0,
    end: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """The beats (samples of `signal`, sorted) and their symbols that `trained` (a
    `TrainedModel` of the beats task) finds in samples `start` to `end` of `signal`, on the
    device its network is on."""
    card = trained.card
    device = next(trained.network.parameters()).device
    extra = card.extra
    fs = float(extra.get("fs_hz", 250.0))
    channels = choose_leads(signal, str(extra.get("lead") or "all"))
    if len(channels) != card.input_channels:
        raise ValueError(
            f"{signal.source}: {len(channels)} leads, the model reads {card.input_channels}"
        )
    threshold = float(extra.get("threshold", 0.5))
    refractory = float(extra.get("refractory_s", 0.2))
    window = int(card.input_size[1])
    end = signal.n_samples if end is None else min(end, signal.n_samples)
    rate = signal.fs_hz
    chunk, context = max(1, round(CHUNK_S * rate)), round(CONTEXT_S * rate)
    starts = list(range(max(0, start), end, chunk))
    found: list[int] = []
    symbols: list[str] = []
    for i, a in enumerate(starts):
        if progress is not None:
            progress(i, len(starts))
        b = min(a + chunk, end)
        low, high = max(0, a - context), min(signal.n_samples, b + context)
        x = prepare(signal, channels, fs, low, high)
        logits = predict(trained.network, x, window, fs, device)
        peaks, classes = pick_beats(logits, fs, card.classes, threshold, refractory)
        for peak, symbol in zip(peaks, classes, strict=True):
            sample = low + round(peak * rate / fs)
            if a <= sample < b and (not found or sample - found[-1] >= refractory * rate):
                found.append(min(sample, signal.n_samples - 1))
                symbols.append(symbol)
    if progress is not None:
        progress(len(starts), len(starts))
    return np.asarray(found, np.int64), symbols
