"""The WaveformAnnotationSequence of a DICOM waveform object, onto the groups it references.

An item with sample positions (or time offsets) becomes `Annotation`s of the multiplex group it
names (PS3.3 C.10.10: ReferencedWaveformChannels holds pairs of group and channel numbers, both
from 1, channel 0 meaning all channels; ReferencedSamplePositions count from 1). An item with no
position, such as an interpretation statement ("SINUS RHYTHM") or a measurement ("QRS Duration:
75 ms"), is listed in the group's ``metadata["statements"]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pydicom

from medgui.core.dicom.values import as_text, first_float
from medgui.core.signals.signal import Signal
from medgui.core.signals.symbols import annotation_for_text

_SPANS = {"SEGMENT", "MULTISEGMENT"}


def attach_annotations(ds: pydicom.Dataset, signals: list[Signal], path: Path) -> None:
    """Add the object's annotations to `signals` (one per multiplex group, in order)."""
    for signal in signals:
        signal.metadata.setdefault("statements", [])
    for number, item in enumerate(ds.get("WaveformAnnotationSequence") or [], start=1):
        text = _text(item)
        if not text:
            continue
        for group, channel in _references(item, len(signals)):
            signal = signals[group]
            samples = _positions(item, signal.fs_hz)
            if not samples:
                signal.metadata["statements"].append(text)
                continue
            kept = [s for s in samples if 0 <= s < signal.n_samples]
            if len(kept) < len(samples):
                signal.warnings.append(
                    f"{path}: annotation {number} ({text}) points outside the "
                    f"{signal.n_samples} samples of its group; those positions are left out"
                )
            if as_text(item.get("TemporalRangeType")) in _SPANS:
                pairs = zip(kept[0::2], kept[1::2], strict=False)
                signal.annotations += [
                    annotation_for_text(a, text, end=b, channel=channel) for a, b in pairs
                ]
            else:
                signal.annotations += [annotation_for_text(s, text, channel=channel) for s in kept]
    for signal in signals:
        signal.annotations.sort(key=lambda a: a.sample)


def _text(item: pydicom.Dataset) -> str:
    """The item's words: its free text, else its concept name with its coded or numeric value."""
    text = as_text(item.get("UnformattedTextValue"))
    if text:
        return text
    name = _meaning(item.get("ConceptNameCodeSequence"))
    value = _meaning(item.get("ConceptCodeSequence"))
    number = first_float(item.get("NumericValue"))
    if number is not None:
        unit = as_text(_first(item.get("MeasurementUnitsCodeSequence")).get("CodeValue"))
        value = f"{number:g} {unit}".strip()
    return f"{name}: {value}" if name and value else name or value


def _references(item: pydicom.Dataset, n_groups: int) -> list[tuple[int, int]]:
    """(group index from 0, channel index from 0 or -1 for all) pairs the item applies to;
    the first group when the item names none or only groups the object does not have."""
    numbers = _as_list(item.get("ReferencedWaveformChannels"))
    pairs = [
        (int(group) - 1, int(channel) - 1)
        for group, channel in zip(numbers[0::2], numbers[1::2], strict=False)
        if 1 <= int(group) <= n_groups
    ]
    return sorted(set(pairs)) or [(0, -1)]


def _positions(item: pydicom.Dataset, fs_hz: float) -> list[int]:
    """Sample indices from 0, from ReferencedSamplePositions or ReferencedTimeOffsets (s)."""
    positions = _as_list(item.get("ReferencedSamplePositions"))
    if positions:
        return [int(v) - 1 for v in positions]
    seconds = [float(v) for v in _as_list(item.get("ReferencedTimeOffsets"))]
    return [round(s * fs_hz) for s in seconds if math.isfinite(s)]


def _as_list(value: object) -> list:
    """A DICOM value with one or several items (pydicom gives a single one bare) as a list."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, pydicom.multival.MultiValue)) else [value]


def _first(sequence: pydicom.Sequence | None) -> pydicom.Dataset:
    return sequence[0] if sequence else pydicom.Dataset()


def _meaning(sequence: pydicom.Sequence | None) -> str:
    return as_text(_first(sequence).get("CodeMeaning"))
