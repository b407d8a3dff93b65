"""Helpers for the signal tests: a synthetic ECG with known beats, and DICOM waveform files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from dicom_testing import real_file
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ECG_FILE = "waveform_ecg.dcm"  # pydicom's 12-lead ECG: RHYTHM 12 × 10 s and a MEDIAN BEAT
HEMODYNAMIC_SOP = "1.2.840.10008.5.1.4.1.1.9.2.1"


@dataclass
class SyntheticEcg:
    samples: np.ndarray  # (2, n) mV: a limb lead and a chest lead
    fs_hz: float
    beats: list[int]  # R-peak sample of each beat
    symbols: list[str]  # "N" or "V" for each beat


def synthetic_ecg(
    seconds: float = 20.0, fs_hz: float = 250.0, rr_s: float = 0.8, ectopic=(5, 12, 19), seed=0
) -> SyntheticEcg:
    """Gaussian P, QRS and T waves at a steady rate, with premature wide 'V' beats (no P wave,
    inverted T) at the beat numbers in `ectopic`, baseline wander and noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs_hz)
    t = np.arange(n) / fs_hz
    lead = 0.15 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.02, n)
    beats, symbols, time = [], [], 0.4
    while time < seconds - 0.5:
        ventricular = len(beats) in ectopic
        if ventricular:
            time -= 0.3 * rr_s  # premature
            lead += -1.6 * _wave(t, time, 0.035) + 0.5 * _wave(t, time + 0.3, 0.06)
        else:
            lead += 0.15 * _wave(t, time - 0.16, 0.025) + 1.2 * _wave(t, time, 0.01)
            lead += 0.3 * _wave(t, time + 0.28, 0.05)
        beats.append(round(time * fs_hz))
        symbols.append("V" if ventricular else "N")
        time += rr_s * (1.6 if ventricular else 1.0)  # the compensatory pause
    chest = -0.7 * lead + rng.normal(0, 0.02, n)
    return SyntheticEcg(np.vstack([lead, chest]), fs_hz, beats, symbols)


def _wave(t: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - centre) / width) ** 2)


def real_ecg_dataset() -> pydicom.Dataset:
    return pydicom.dcmread(real_file(ECG_FILE))


def save(ds: pydicom.Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


def waveform_group(
    raw: np.ndarray,
    fs_hz: float,
    names: list[str],
    unit_code: str,
    sensitivity: float = 1.0,
    label: str = "",
) -> pydicom.Dataset:
    """A WaveformSequence item holding `raw` (int16, shaped samples × channels)."""
    group = pydicom.Dataset()
    group.MultiplexGroupLabel = label
    group.NumberOfWaveformChannels = raw.shape[1]
    group.NumberOfWaveformSamples = raw.shape[0]
    group.SamplingFrequency = fs_hz
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = raw.astype("<i2").tobytes()
    definitions = []
    for name in names:
        definition = pydicom.Dataset()
        definition.ChannelLabel = name
        definition.ChannelSensitivity = sensitivity
        unit = pydicom.Dataset()
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = unit_code, "UCUM", unit_code
        definition.ChannelSensitivityUnitsSequence = Sequence([unit])
        definitions.append(definition)
    group.ChannelDefinitionSequence = Sequence(definitions)
    return group


def waveform_file(
    path: Path, groups: list[pydicom.Dataset], annotations=(), sop_class=HEMODYNAMIC_SOP
) -> Path:
    """A minimal DICOM waveform object with `groups` and `annotations` items."""
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientID = "HD", "SIG1"
    ds.ContentDate, ds.ContentTime = "20240102", "030405"
    ds.WaveformSequence = Sequence(groups)
    if annotations:
        ds.WaveformAnnotationSequence = Sequence(list(annotations))
    return save(ds, path)


def annotation_item(text: str, group: int = 1, channel: int = 0, **positions) -> pydicom.Dataset:
    """A WaveformAnnotationSequence item with free text and the given position elements."""
    item = pydicom.Dataset()
    item.UnformattedTextValue = text
    item.ReferencedWaveformChannels = [group, channel]
    for keyword, value in positions.items():
        setattr(item, keyword, value)
    return item


def write_wfdb_record(folder: Path, name: str, ecg: SyntheticEcg) -> Path:
    """`ecg` as the WFDB record ``folder/NAME`` (wfdb.wrsamp) with its beats as reference
    annotations ``NAME.atr`` (wfdb.wrann); the header's path."""
    import wfdb

    wfdb.wrsamp(
        name, fs=ecg.fs_hz, units=["mV", "mV"], sig_name=["II", "V1"],
        p_signal=ecg.samples.T, fmt=["16", "16"], write_dir=str(folder),
    )  # fmt: skip
    wfdb.wrann(
        name, "atr", np.array(ecg.beats), symbol=ecg.symbols, fs=ecg.fs_hz, write_dir=str(folder)
    )
    return folder / f"{name}.hea"
