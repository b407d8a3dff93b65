"""EDF, EDF+ and BDF files (sleep labs, Holters, ICU exports) to `Signal`s, through edfio.

A `Signal` shares one rate, and EDF channels often do not (ECG at 256 Hz, respiration at 32 Hz),
so `read_edf_groups` gives one `Signal` per rate and `read_edf` the group with the most channels,
naming the channels it leaves out in its warnings. EDF+ annotations ("TAL"s) become
`Annotation`s on every group: a text that is an MIT-BIH symbol is a beat, "(AFIB" a rhythm,
anything else a comment; a duration gives the end. A file cut short is read as far as it goes,
with a warning.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from pathlib import Path

import edfio
import numpy as np

from medgui.core.signals.signal import Annotation, Signal
from medgui.core.signals.symbols import annotation_for_text


def read_edf_groups(path: str | Path) -> list[Signal]:
    """One `Signal` per sampling rate of the EDF/EDF+/BDF file `path`, in the order of each
    rate's first channel, each with the file's annotations."""
    path = Path(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with path.open("rb") as file:
                bdf = file.read(1) == b"\xff"  # BDF's header starts 0xFF "BIOSEMI"
            edf = edfio.read_bdf(path) if bdf else edfio.read_edf(path)
            channels = list(edf.signals)
        except Exception as exc:  # edfio raises bare ValueErrors from int() on garbled headers
            raise ValueError(f"{path}: not a readable EDF file ({exc})") from exc
    notes = [f"{path}: {w.message}" for w in caught]
    if not channels:
        raise ValueError(f"{path}: the file holds no signals")
    if not getattr(edf, "is_continuous", True):
        notes.append(f"{path}: EDF+D with gaps between records; samples are joined end to end")
    by_rate: dict[float, list[edfio.EdfSignal]] = {}
    for channel in channels:
        by_rate.setdefault(float(channel.sampling_frequency), []).append(channel)
    start = _start(edf)
    return [_group(path, fs, group, edf, start, notes) for fs, group in by_rate.items()]


def read_edf(path: str | Path) -> Signal:
    """The channels of the EDF/EDF+/BDF file `path` that share the most common rate (the first
    channel's rate on a tie); the others are named in ``warnings``."""
    groups = read_edf_groups(path)
    main = max(groups, key=lambda s: s.samples.shape[0])  # max keeps the first of equals
    left_out = [
        f"{name} ({group.fs_hz:g} Hz)"
        for group in groups
        if group is not main
        for name in group.channel_names
    ]
    if left_out:
        main.warnings.append(
            f"{path}: channels at other rates are not shown: {', '.join(left_out)}"
        )
    return main


def _group(
    path: Path,
    fs: float,
    channels: list[edfio.EdfSignal],
    edf: edfio.Edf,
    start: datetime | None,
    notes: list[str],
) -> Signal:
    if not math.isfinite(fs) or fs <= 0:
        names = [c.label for c in channels]
        raise ValueError(f"{path}: channels {names} have sampling frequency {fs}")
    n = min(len(c.data) for c in channels)
    if n == 0:
        raise ValueError(f"{path}: channels {[c.label for c in channels]} hold 0 samples")
    samples = np.vstack([np.asarray(c.data[:n], dtype=np.float64) for c in channels])
    annotations, outside = _annotations(edf, fs, n)
    if outside:
        notes = [*notes, f"{path}: {outside} annotations after the end of the record are left out"]
    return Signal(
        samples,
        fs,
        [c.label.strip() or f"channel {i + 1}" for i, c in enumerate(channels)],
        [c.physical_dimension.strip() for c in channels],
        start=start,
        source=str(path),
        annotations=annotations,
        warnings=list(notes),
        metadata={"format": "edf"},
    )


def _annotations(edf: edfio.Edf, fs: float, n: int) -> tuple[list[Annotation], int]:
    """The annotations within the `n` samples, and how many lie outside them."""
    annotations, outside = [], 0
    for item in edf.annotations:
        sample = round(item.onset * fs)
        if not 0 <= sample < n:
            outside += 1
            continue
        end = min(round((item.onset + item.duration) * fs), n) if item.duration else None
        annotations.append(annotation_for_text(sample, item.text, end=end))
    return sorted(annotations, key=lambda a: a.sample), outside


def _start(edf: edfio.Edf) -> datetime | None:
    """The recording start, or None when the file hides its date (anonymised EDF+)."""
    try:
        return datetime.combine(edf.startdate, edf.starttime)
    except (edfio.AnonymizedDateError, ValueError):
        return None
