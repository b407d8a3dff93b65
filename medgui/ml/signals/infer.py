"""Beat inference: the network over a whole record in overlapping windows, peak picking on the
beat output with a refractory period, and the symbol of each beat found."""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import find_peaks

WINDOW_MARGIN_S = 1.0  # context dropped at each window's inner edges when stitching


def predict(network: torch.nn.Module, x: np.ndarray, window: int, fs_hz: float,
            device: torch.device | str = "cpu", batch: int = 16) -> torch.Tensor:  # fmt: skip
    """Logits (1 + classes, n) for the standardised record `x` (leads, n), computed in windows
    of `window` samples overlapping by a margin on each side, each sample taken from the window
    where it is furthest from an edge."""
    n = x.shape[1]
    margin = min(round(WINDOW_MARGIN_S * fs_hz), window // 4)
    step = window - 2 * margin
    starts = list(range(0, max(n - window, 0) + 1, step))
    if starts[-1] + window < n:
        starts.append(n - window)
    padded = np.zeros((x.shape[0], max(n, window)), np.float32)
    padded[:, :n] = x
    pieces = np.stack([padded[:, s : s + window] for s in starts])
    network.eval()
    outputs = []
    with torch.no_grad():
        for i in range(0, len(pieces), batch):
            chunk = torch.from_numpy(pieces[i : i + batch]).to(device)
            outputs.append(network(chunk).float().cpu())
    logits = torch.cat(outputs)
    result = torch.zeros(logits.shape[1], max(n, window))
    for k, start in enumerate(starts):
        low = 0 if k == 0 else margin  # keep the centre of each window, the edges of the ends
        high = window if k == len(starts) - 1 else window - margin
        if k == len(starts) - 1 and k > 0:  # the last window may overlap its neighbour more
            low = max(low, starts[k - 1] + window - margin - start)
        result[:, start + low : start + high] = logits[k, :, low:high]
    return result[:, :n]


def pick_beats(logits: torch.Tensor, fs_hz: float, classes: list[str], threshold: float = 0.5,
               refractory_s: float = 0.2) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Beat samples (peaks of the beat output above `threshold`, none closer than
    `refractory_s`: the taller peak wins) and the symbol of each (the class whose mean
    probability around the peak is highest)."""
    presence = torch.sigmoid(logits[0]).numpy()
    distance = max(1, round(refractory_s * fs_hz))
    peaks, _ = find_peaks(presence, height=threshold, distance=distance)
    if not len(peaks):
        return peaks.astype(np.int64), []
    probabilities = torch.softmax(logits[1:], dim=0).numpy()
    radius = max(1, round(0.03 * fs_hz))
    symbols = [
        classes[int(np.argmax(probabilities[:, max(0, p - radius) : p + radius + 1].mean(1)))]
        for p in peaks
    ]
    return peaks.astype(np.int64), symbols
