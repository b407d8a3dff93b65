"""A synthetic 12-lead ECG with known beats, for the signal view's tests.

Each beat is a P wave, a QRS complex (Gaussian Q, R and S) and a T wave at fixed offsets from the
beat time; each lead scales them (aVR upside down, V1 mostly S) so the leads differ as real ones
do. Noise and a slow baseline wander are added; beats are annotated "N" at the R peak.
"""

from __future__ import annotations

import pathlib

import numpy as np
import wfdb

from medgui.core.signals.signal import Annotation, Signal

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# (P, R, S, T) amplitudes in mV per lead, roughly a normal sinus rhythm's.
_SHAPES = {
    "I": (0.1, 0.8, -0.1, 0.25),
    "II": (0.15, 1.2, -0.2, 0.3),
    "III": (0.05, 0.5, -0.15, 0.1),
    "aVR": (-0.1, -0.9, 0.1, -0.2),
    "aVL": (0.05, 0.4, -0.1, 0.1),
    "aVF": (0.1, 0.8, -0.15, 0.2),
    "V1": (0.05, 0.3, -1.0, -0.1),
    "V2": (0.08, 0.6, -1.2, 0.3),
    "V3": (0.1, 0.9, -0.8, 0.35),
    "V4": (0.1, 1.4, -0.4, 0.4),
    "V5": (0.1, 1.3, -0.2, 0.35),
    "V6": (0.1, 1.0, -0.1, 0.3),
}


def _gauss(t: np.ndarray, centre: float, width_s: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - centre) / width_s) ** 2)


def beat_times(bpm: float, duration_s: float, first_s: float = 0.4) -> np.ndarray:
    """R-peak times (s) of a regular rhythm at `bpm`."""
    return np.arange(first_s, duration_s - 0.4, 60.0 / bpm)


def synthetic_ecg(
    bpm: float = 75.0,
    duration_s: float = 10.0,
    fs_hz: float = 500.0,
    noise_mv: float = 0.01,
    wander_mv: float = 0.0,
    seed: int = 0,
) -> Signal:
    """A 12-lead `Signal` in mV, with beats at `beat_times(bpm, duration_s)` annotated "N"."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(duration_s * fs_hz))) / fs_hz
    beats = beat_times(bpm, duration_s)
    wave = {
        "P": np.zeros_like(t),
        "Q": np.zeros_like(t),
        "R": np.zeros_like(t),
        "S": np.zeros_like(t),
        "T": np.zeros_like(t),
    }
    for r in beats:
        wave["P"] += _gauss(t, r - 0.16, 0.025)
        wave["Q"] += _gauss(t, r - 0.025, 0.008)
        wave["R"] += _gauss(t, r, 0.010)
        wave["S"] += _gauss(t, r + 0.03, 0.010)
        wave["T"] += _gauss(t, r + 0.28, 0.045)
    wander = wander_mv * np.sin(2 * np.pi * 0.2 * t)
    rows = []
    for lead in LEADS:
        p, r, s, tw = _SHAPES[lead]
        trace = p * wave["P"] - 0.1 * abs(r) * wave["Q"] + r * wave["R"] + s * wave["S"]
        rows.append(trace + tw * wave["T"] + wander + rng.normal(0, noise_mv, t.size))
    annotations = [Annotation(int(round(b * fs_hz)), "N") for b in beats]
    return Signal(
        np.vstack(rows),
        fs_hz,
        list(LEADS),
        ["mV"] * len(LEADS),
        source="synthetic ECG",
        annotations=annotations,
    )


def write_wfdb_record(folder: pathlib.Path, name: str = "rec") -> pathlib.Path:
    """`synthetic_ecg()` written as a WFDB record (no annotation file) in `folder`; its .hea."""
    ecg = synthetic_ecg()
    wfdb.wrsamp(name, fs=ecg.fs_hz, units=["mV"] * len(LEADS), sig_name=list(LEADS),
                p_signal=ecg.samples.T, fmt=["16"] * len(LEADS), write_dir=str(folder))  # fmt: skip
    return folder / f"{name}.hea"
