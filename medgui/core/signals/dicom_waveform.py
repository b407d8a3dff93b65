"""DICOM waveform objects (12-lead and general ECG, ambulatory ECG, hemodynamic, arterial pulse,
respiratory) to `Signal`s, one per multiplex group of the WaveformSequence.

Groups of one object may differ in rate and length (a 10 s rhythm and a 1.2 s median beat), so
each becomes its own `Signal`; `main_group` picks the one a viewer opens first. Sample values
become physical units as PS3.3 C.10.9.1.4.3 says: raw × ChannelSensitivity × correction factor +
ChannelBaseline, in the ChannelSensitivityUnitsSequence unit, with voltages in mV. pydicom's
`waveform_array` does the same arithmetic but silently takes NaN or missing sensitivities and
fails on short data with a bare reshape error, so the checks here come first.
"""

from __future__ import annotations

import math
import struct
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.valuerep import DT
from pydicom.waveforms.numpy_handler import WAVEFORM_DTYPES, multiplex_array

from medgui.core.dicom.values import as_text, first_float, int_or_none
from medgui.core.signals.dicom_waveform_annotations import attach_annotations
from medgui.core.signals.signal import Signal

# UCUM voltage codes to the factor that gives mV (ECG leads are in mV everywhere in medgui).
_TO_MV = {"nV": 1e-6, "uV": 1e-3, "mV": 1.0, "V": 1e3}
# What pydicom raises for garbled elements, some only when a value is first used (an unknown
# VR gives NotImplementedError).
_MALFORMED = (KeyError, TypeError, AttributeError, IndexError, NotImplementedError)
_UCUM_DISPLAY = {"mm[Hg]": "mmHg", "cm[H2O]": "cmH2O", "Cel": "°C"}


def read_dicom_waveform(path: str | Path) -> list[Signal]:
    """Every multiplex group of the DICOM waveform object at `path`, in file order, with the
    object's annotations on the groups they reference. `ValueError` naming the file and the
    reason for anything that is not a readable waveform."""
    path = Path(path)
    try:
        ds = _read_dataset(path)
    except (InvalidDicomError, OSError, EOFError, ValueError, struct.error, *_MALFORMED) as exc:
        raise ValueError(f"{path}: not a readable DICOM file ({exc})") from exc
    # pydicom converts values when they are first used: garbled ones fail here, not above, with
    # errors (ValueError too) that do not name the file.
    try:
        groups = ds.get("WaveformSequence")
        if not groups:
            kind = as_text(ds.get("SOPClassUID")) or "unknown SOP class"
            raise ValueError(f"{path}: no WaveformSequence, not a waveform object ({kind})")
        start = _start_time(ds)
        signals = [_read_group(ds, index, path, start) for index in range(len(groups))]
        attach_annotations(ds, signals, path)
    except ValueError as exc:
        if str(exc).startswith(str(path)):
            raise  # one of the checks here, which already names the file
        raise ValueError(f"{path}: malformed waveform object ({exc})") from exc
    except (struct.error, *_MALFORMED) as exc:
        raise ValueError(f"{path}: malformed waveform object ({exc!r})") from exc
    return signals


def _read_dataset(path: Path) -> pydicom.Dataset:
    """The file's dataset; also a bare one with no preamble or meta header (old files, which
    `scan` lists too) when it parses to something with a SOP class."""
    try:
        return pydicom.dcmread(path)
    except InvalidDicomError:
        ds = pydicom.dcmread(path, force=True)
        if "SOPClassUID" not in ds:
            raise
        return ds


def main_group(signals: list[Signal]) -> Signal:
    """The group to show first: the longest ECG-like one (all channels in mV), so the rhythm
    strip wins over a median beat; the first group when none is ECG-like."""
    ecg = [s for s in signals if s.units and all(u == "mV" for u in s.units)]
    if not ecg:
        return signals[0]
    return max(ecg, key=lambda s: s.duration_s)  # max keeps the first of equals


def _read_group(ds: pydicom.Dataset, index: int, path: Path, start: datetime | None) -> Signal:
    group = ds.WaveformSequence[index]
    label = as_text(group.get("MultiplexGroupLabel")) or f"group {index + 1}"
    where = f"{path}: multiplex group {index + 1} ({label})"
    channels = int_or_none(group.get("NumberOfWaveformChannels")) or 0
    n = int_or_none(group.get("NumberOfWaveformSamples")) or 0
    if channels <= 0 or n <= 0:
        raise ValueError(f"{where} has {channels} channels and {n} samples")
    fs = first_float(group.get("SamplingFrequency"))
    if fs is None or not math.isfinite(fs) or fs <= 0:
        raise ValueError(f"{where}: sampling frequency {group.get('SamplingFrequency')!r}")
    bits = int_or_none(group.get("WaveformBitsAllocated"))
    interpretation = as_text(group.get("WaveformSampleInterpretation"))
    if (bits, interpretation) not in WAVEFORM_DTYPES:
        raise ValueError(f"{where}: unsupported sample encoding {bits} bits {interpretation}")
    data = group.get("WaveformData")
    expected = channels * n * bits // 8
    held = len(data) if data is not None else 0
    if held < expected:
        raise ValueError(
            f"{where}: WaveformData holds {held} bytes but {channels} channels × {n} samples "
            f"× {bits} bits need {expected} (truncated?)"
        )
    definitions = list(group.get("ChannelDefinitionSequence") or [])
    if len(definitions) != channels:
        raise ValueError(f"{where}: {len(definitions)} channel definitions for {channels} channels")
    encoded = multiplex_array(ds, index, as_raw=True).T
    raw = encoded.astype(np.float64)
    names, units, sources = [], [], []
    for number, (definition, values) in enumerate(zip(definitions, raw, strict=True), start=1):
        scale, offset, unit = _calibration(definition, f"{where} channel {number}")
        values *= scale
        values += offset
        names.append(_channel_name(definition, number))
        units.append(unit)
        sources.append(_source_meaning(definition))
    warnings = []
    padding = group.get("WaveformPaddingValue")
    if padding is not None and len(padding) >= bits // 8:
        # Samples holding the padding value carry no data (PS3.3 C.10.9.1.6): NaN, like WFDB's
        # invalid samples, so that views leave a gap instead of drawing a spike.
        pad = np.frombuffer(padding[: bits // 8], dtype=encoded.dtype)[0]
        padded = encoded == pad
        raw[padded] = np.nan
        if padded.any():
            warnings.append(f"{where}: {int(padded.sum())} padding samples (no data) are NaN")
    offset_ms = first_float(group.get("MultiplexGroupTimeOffset")) or 0.0
    return Signal(
        raw,
        fs,
        names,
        units,
        start=start + timedelta(milliseconds=offset_ms) if start else None,
        source=str(path),
        warnings=warnings,
        metadata={
            "format": "dicom",
            "multiplex_group": label,
            "group_index": index,
            "sop_class_uid": as_text(ds.get("SOPClassUID")),
            "modality": as_text(ds.get("Modality")),
            "channel_sources": sources,
        },
    )


def _calibration(definition: pydicom.Dataset, where: str) -> tuple[float, float, str]:
    """(scale, offset, unit) that turn a raw sample into physical units (mV for voltages)."""
    if "ChannelSensitivity" not in definition:
        return 1.0, 0.0, ""  # arbitrary units: the standard makes sensitivity optional then
    sensitivity = _number(definition, "ChannelSensitivity", None, where)
    if sensitivity == 0:
        raise ValueError(f"{where}: ChannelSensitivity is 0")
    gain = sensitivity * _number(definition, "ChannelSensitivityCorrectionFactor", 1.0, where)
    baseline = _number(definition, "ChannelBaseline", 0.0, where)
    units = definition.get("ChannelSensitivityUnitsSequence") or []
    code = as_text(units[0].get("CodeValue")) if units else ""
    factor = _TO_MV.get(code, 1.0)
    unit = "mV" if code in _TO_MV else _UCUM_DISPLAY.get(code, code)
    return gain * factor, baseline * factor, unit


def _number(definition: pydicom.Dataset, keyword: str, default: float | None, where: str) -> float:
    """A finite number, or `default` when the element is absent (never when it is garbled)."""
    if keyword not in definition and default is not None:
        return default
    value = first_float(definition.get(keyword))
    if value is None or not math.isfinite(value):
        raise ValueError(f"{where}: {keyword} is {definition.get(keyword)!r}, not a number")
    return value


def _source_meaning(definition: pydicom.Dataset) -> str:
    sources = definition.get("ChannelSourceSequence") or []
    return as_text(sources[0].get("CodeMeaning")) if sources else ""


def _channel_name(definition: pydicom.Dataset, number: int) -> str:
    """ChannelLabel, else the source's code meaning with leads shortened to their usual name
    ("Lead I (Einthoven)" → "I", "Lead aVR" → "aVR"), else "channel N"."""
    label = as_text(definition.get("ChannelLabel"))
    if label:
        return label
    meaning = _source_meaning(definition)
    if meaning.lower().startswith("lead ") and len(meaning.split()) > 1:
        return meaning.split()[1]
    return meaning or f"channel {number}"


def _start_time(ds: pydicom.Dataset) -> datetime | None:
    """AcquisitionDateTime, else ContentDate + ContentTime; None when absent or unreadable."""
    text = as_text(ds.get("AcquisitionDateTime"))
    if not text and ds.get("ContentDate"):
        text = as_text(ds.get("ContentDate")) + as_text(ds.get("ContentTime"))
    if not text:
        return None
    try:
        value = DT(text)
    except ValueError:
        return None
    return datetime.fromisoformat(value.isoformat())
