"""The filters a reader of ECGs toggles, all zero-phase so waves keep their timing and shape.

Baseline wander: 0.5 Hz high-pass; mains: a 50 or 60 Hz notch; muscle noise: a 40 or 150 Hz
low-pass. Each runs forwards and backwards (`sosfiltfilt`/`filtfilt`), so no wave is shifted.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

FILTERS = ("baseline", "notch50", "notch60", "lowpass40", "lowpass150")
_NOTCH_Q = 30.0  # a 50 Hz notch about 1.7 Hz wide: mains goes, the QRS stays
_ORDER = 4


def apply_filters(samples: np.ndarray, fs_hz: float, names: set[str] | list[str]) -> np.ndarray:
    """`samples` (channels × n, or n) with the filters `names` applied along the last axis, in the
    order of `FILTERS`. A filter above the Nyquist frequency of `fs_hz` is skipped (it would pass
    everything anyway). Unknown names raise ValueError."""
    unknown = set(names) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter(s) {sorted(unknown)}; filters: {', '.join(FILTERS)}")
    out = np.asarray(samples, dtype=np.float64)
    for name in FILTERS:
        if name in names:
            out = _apply(name, out, fs_hz)
    return out


def _apply(name: str, x: np.ndarray, fs_hz: float) -> np.ndarray:
    nyquist = fs_hz / 2.0
    if name == "baseline":
        sos = sps.butter(2, 0.5, btype="highpass", fs=fs_hz, output="sos")
        return _sosfiltfilt(sos, x)
    if name.startswith("notch"):
        mains = float(name[5:])
        if mains >= nyquist:
            return x
        b, a = sps.iirnotch(mains, _NOTCH_Q, fs=fs_hz)
        return sps.filtfilt(b, a, x, axis=-1, padlen=min(3 * max(len(a), len(b)), x.shape[-1] - 1))
    cutoff = float(name[7:])
    if cutoff >= nyquist:
        return x
    sos = sps.butter(_ORDER, cutoff, btype="lowpass", fs=fs_hz, output="sos")
    return _sosfiltfilt(sos, x)


def _sosfiltfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    # A short window (a page's edge) is shorter than the default padding; pad what there is.
    default = 3 * (2 * len(sos) + 1)
    return sps.sosfiltfilt(sos, x, axis=-1, padlen=min(default, x.shape[-1] - 1))
