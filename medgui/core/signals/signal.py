"""The `Signal`: sampled channels in physical units, with their rate, start and annotations.

The counterpart of `Volume` for waveforms. Readers (DICOM waveform, WFDB, EDF) return one; views,
calipers, beat labels and the `beats` task read it. Conventions (the one place they are defined):

* ``samples`` is float64, shaped ``(channels, n)``, in each channel's ``units`` (ECG leads in mV).
* ``fs_hz`` is the sampling frequency shared by every channel (readers resample or split groups
  that differ); sample ``s`` is at ``s / fs_hz`` seconds from ``start``.
* An `Annotation` marks one sample (a beat, with its MIT-BIH/AAMI symbol) or, with ``end``, a span
  (a rhythm episode, ``aux`` its rhythm such as "(AFIB"); ``channel`` -1 means all channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Annotation:
    """One beat (``sample``, ``symbol``) or, with ``end``, an episode from ``sample`` to ``end``."""

    sample: int
    symbol: str
    end: int | None = None
    aux: str = ""
    channel: int = -1


@dataclass
class Signal:
    """Channels × samples in physical units, sampled at ``fs_hz``."""

    samples: np.ndarray
    fs_hz: float
    channel_names: list[str]
    units: list[str]
    start: datetime | None = None
    source: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.samples = np.asarray(self.samples, dtype=np.float64)
        if self.samples.ndim != 2:
            raise ValueError(f"Signal samples must be (channels, n), got {self.samples.shape}")
        channels = self.samples.shape[0]
        if len(self.channel_names) != channels or len(self.units) != channels:
            raise ValueError(
                f"{channels} channels but {len(self.channel_names)} names and "
                f"{len(self.units)} units"
            )
        if not np.isfinite(self.fs_hz) or self.fs_hz <= 0:
            raise ValueError(f"sampling frequency must be positive, got {self.fs_hz}")

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs_hz

    def channel(self, name: str) -> np.ndarray:
        """The samples of the channel called `name` (case-insensitive, as leads are written
        "II", "ii" or "Lead II" by different sources)."""
        return self.samples[self.channel_index(name)]

    def channel_index(self, name: str) -> int:
        """The index of the channel called `name`, matched as `channel` matches it."""
        wanted = _lead_key(name)
        for index, candidate in enumerate(self.channel_names):
            if _lead_key(candidate) == wanted:
                return index
        raise KeyError(f"{self.source or 'signal'}: no channel {name!r} in {self.channel_names}")

    def time_s(self, sample: int | np.ndarray) -> float | np.ndarray:
        """Seconds from the start of the record for sample index `sample`."""
        return np.asarray(sample) / self.fs_hz if np.ndim(sample) else sample / self.fs_hz


def _lead_key(name: str) -> str:
    key = name.strip().lower()
    return key[5:].strip() if key.startswith("lead ") else key
