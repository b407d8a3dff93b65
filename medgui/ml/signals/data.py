"""Beat data: WFDB records with reference annotations, resampled and standardised once, served
as training windows with per-sample targets (a beat-centre heat curve and the beat's class).

Records are small enough to hold in memory at the model's rate (30 min at 250 Hz is 450 000
samples per lead), so an epoch costs only the window crops and the augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly
from torch.utils.data import Dataset

from medgui.core.signals.signal import Signal
from medgui.core.signals.symbols import BEAT_SYMBOLS
from medgui.core.signals.wfdb_io import read_wfdb

HEAT_SIGMA_S = 0.025  # width of the beat-centre target: a few samples either side of the peak
CLASS_RADIUS_S = 0.05  # samples this close to a beat carry its class; others are ignored
IGNORE = -1


@dataclass
class Record:
    """One record at the model's rate: standardised leads and its beats (model samples)."""

    id: str
    x: np.ndarray  # float32 (leads, n)
    beats: np.ndarray  # int64 sample of each beat
    symbols: list[str]
    files: list[str]


def find_records(folder: str | Path) -> tuple[list[Path], list[str]]:
    """The headers of the records in `folder` that have reference annotations (``NAME.atr``),
    and a problem line for each header without them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder of WFDB records")
    found, problems = [], []
    for header in sorted(folder.glob("*.hea")):
        if header.with_suffix(".atr").is_file():
            found.append(header)
        else:
            problems.append(f"{header}: no reference annotations ({header.stem}.atr): skipped")
    return found, problems


def choose_leads(signal: Signal, lead: str) -> list[int]:
    """The channel indices of `lead` ("all", or a lead name) in `signal`; ValueError names the
    file and the leads it has."""
    if lead == "all":
        return list(range(len(signal.channel_names)))
    try:  # "II" is also "Lead II" (DICOM's labels)
        return [signal.channel_index(lead)]
    except KeyError:
        raise ValueError(
            f"{signal.source}: no lead {lead!r} (it has {signal.channel_names})"
        ) from None


def prepare(
    signal: Signal, channels: list[int], fs_hz: float, start: int = 0, end: int | None = None
) -> np.ndarray:
    """`channels` of `signal` (samples `start` to `end`: default all) resampled to `fs_hz`
    and standardised per lead (median and median absolute deviation: one artefact does not
    rescale the whole record)."""
    x = np.nan_to_num(signal.samples[channels, start:end])
    ratio = Fraction(fs_hz / signal.fs_hz).limit_denominator(1000)
    if ratio != 1:
        x = resample_poly(x, ratio.numerator, ratio.denominator, axis=1)
    x = x - np.median(x, axis=1, keepdims=True)
    scale = 1.4826 * np.median(np.abs(x), axis=1, keepdims=True)
    return (x / np.where(scale > 1e-6, scale, 1.0)).astype(np.float32)


def load_record(header: Path, lead: str, fs_hz: float) -> Record:
    """The record of `header` with its beat annotations, at `fs_hz`."""
    signal = read_wfdb(header)
    beats = [a for a in signal.annotations if a.symbol in BEAT_SYMBOLS]
    x = prepare(signal, choose_leads(signal, lead), fs_hz)
    samples = np.array([round(a.sample * fs_hz / signal.fs_hz) for a in beats], np.int64)
    files = sorted(str(p) for p in header.parent.glob(f"{header.stem}.*") if p.is_file())
    return Record(header.stem, x, samples, [a.symbol for a in beats], files)


def targets(record: Record, classes: list[str], fs_hz: float) -> np.ndarray:
    """(2, n) float32: row 0 the beat-centre heat (1 at each beat), row 1 the class index of
    the beat near each sample (`IGNORE` elsewhere and for symbols not in `classes`)."""
    n = record.x.shape[1]
    heat = np.zeros(n, np.float32)
    label = np.full(n, IGNORE, np.float32)
    sigma, radius = HEAT_SIGMA_S * fs_hz, round(CLASS_RADIUS_S * fs_hz)
    span = int(4 * sigma)
    index = {symbol: i for i, symbol in enumerate(classes)}
    for sample, symbol in zip(record.beats, record.symbols, strict=True):
        low, high = max(0, sample - span), min(n, sample + span + 1)
        t = np.arange(low, high) - sample
        heat[low:high] = np.maximum(heat[low:high], np.exp(-0.5 * (t / sigma) ** 2))
        if symbol in index:
            label[max(0, sample - radius) : min(n, sample + radius + 1)] = index[symbol]
    return np.stack([heat, label])


class WindowDataset(Dataset):
    """Random windows of `window` samples from `records` (longer records give more), each with
    its targets; the windows of an epoch depend on (seed, epoch, index) only."""

    def __init__(self, records, target_arrays, window, count, augment, seed) -> None:
        self.records, self.targets = records, target_arrays
        self.window, self.count, self.augment, self.seed = window, count, augment, seed
        lengths = np.array([r.x.shape[1] for r in records], float)
        self.weights = lengths / lengths.sum()
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        k = int(rng.choice(len(self.records), p=self.weights))
        x, y = self.records[k].x, self.targets[k]
        n, w = x.shape[1], self.window
        start = int(rng.integers(0, n - w + 1)) if n > w else 0
        xw = np.zeros((x.shape[0], w), np.float32)
        yw = np.zeros((2, w), np.float32)
        yw[1] = IGNORE
        xw[:, : min(w, n)] = x[:, start : start + w]
        yw[:, : min(w, n)] = y[:, start : start + w]
        if self.augment:  # amplitude, noise and a baseline shift: what differs between leads
            xw = xw * rng.uniform(0.7, 1.3) + rng.normal(0, 0.05, xw.shape).astype(np.float32)
            xw = xw + rng.uniform(-0.5, 0.5)
        return torch.from_numpy(xw.astype(np.float32)), torch.from_numpy(yw)


class RecordDataset(Dataset):
    """Whole records for validation (items are records; batches are lists)."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    @staticmethod
    def collate_fn(items: list[Record]) -> list[Record]:
        return items
