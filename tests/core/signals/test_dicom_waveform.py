"""DICOM waveform objects: every multiplex group in mV, lead names, start, annotations."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pydicom
import pytest
from dicom_testing import real_file
from pydicom.waveforms.numpy_handler import multiplex_array
from signal_testing import (
    ECG_FILE,
    annotation_item,
    real_ecg_dataset,
    save,
    waveform_file,
    waveform_group,
)

from medgui.core.signals.dicom_waveform import main_group, read_dicom_waveform

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def test_the_real_12_lead_ecg_reads_as_two_groups_in_mv():
    rhythm, median = read_dicom_waveform(real_file(ECG_FILE))
    assert rhythm.metadata["multiplex_group"] == "RHYTHM"
    assert median.metadata["multiplex_group"] == "MEDIAN BEAT"
    assert rhythm.samples.shape == (12, 10000) and median.samples.shape == (12, 1200)
    assert rhythm.fs_hz == 1000.0 and rhythm.duration_s == pytest.approx(10.0)
    assert rhythm.channel_names == LEADS and rhythm.units == ["mV"] * 12
    assert 0.5 < np.abs(rhythm.samples).max() < 10.0  # QRS complexes of a few mV, not µV
    # pydicom's own conversion gives µV (the file's unit): ours is the same in mV.
    reference = pydicom.dcmread(real_file(ECG_FILE)).waveform_array(0).T
    np.testing.assert_allclose(rhythm.samples * 1000.0, reference)
    assert rhythm.start == datetime(2013, 1, 25, 10, 59, 19)
    assert rhythm.channel("Lead II") is not None and main_group([rhythm, median]) is rhythm


def test_the_real_ecg_annotations_land_on_the_r_peaks_and_statements_are_kept():
    rhythm, _ = read_dicom_waveform(real_file(ECG_FILE))
    statements = rhythm.metadata["statements"]
    assert "RITMO SINUSALE" in statements and "QRS Duration: 75 ms" in statements
    fiducials = [a.sample for a in rhythm.annotations if a.aux == "Fiducial Point"]
    assert len(fiducials) == 11 and all(a.symbol == '"' for a in rhythm.annotations)
    # The file counts sample positions from 1: each beat's fiducial point sits on lead II's
    # R peak (the first one belongs to the median beat, which this file also refers to group 1).
    lead = np.abs(rhythm.channel("II"))
    offsets = [int(np.argmax(lead[f - 30 : f + 30])) - 30 for f in fiducials[1:]]
    assert all(abs(o) <= 2 for o in offsets), offsets
    assert sorted(a.sample for a in rhythm.annotations) == [a.sample for a in rhythm.annotations]


def test_the_rhythm_is_the_main_group_even_when_the_median_beat_comes_first(tmp_path):
    ds = real_ecg_dataset()
    ds.WaveformSequence = pydicom.Sequence(list(reversed(ds.WaveformSequence)))
    groups = read_dicom_waveform(save(ds, tmp_path / "reversed.dcm"))
    assert [g.metadata["multiplex_group"] for g in groups] == ["MEDIAN BEAT", "RHYTHM"]
    assert main_group(groups) is groups[1]


def test_sensitivity_correction_baseline_and_units_give_physical_values(tmp_path):
    ds = real_ecg_dataset()
    first, second = ds.WaveformSequence[0].ChannelDefinitionSequence[:2]
    first.ChannelSensitivity, first.ChannelSensitivityCorrectionFactor = 2.5, 0.5
    first.ChannelBaseline = 100  # µV, the channel's unit
    second.ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
    second.ChannelSensitivity = 0.001
    second.ChannelLabel = "Lead two"
    path = save(ds, tmp_path / "calibrated.dcm")
    raw = multiplex_array(pydicom.dcmread(path), 0, as_raw=True).T.astype(float)
    rhythm = read_dicom_waveform(path)[0]
    np.testing.assert_allclose(rhythm.samples[0], raw[0] * 2.5 * 0.5 / 1000 + 0.1)
    np.testing.assert_allclose(rhythm.samples[1], raw[1] * 0.001)
    np.testing.assert_allclose(rhythm.samples[2], raw[2] * 1.25 / 1000)
    assert rhythm.channel_names[:3] == ["I", "Lead two", "III"]


def test_groups_at_different_rates_and_pressure_units_are_separate_signals(tmp_path):
    ecg = waveform_group(np.full((500, 1), 400), 500.0, ["II"], "uV", 2.5, "ECG")
    pressure = waveform_group(np.full((125, 2), 120), 125.0, ["ART", "PA"], "mm[Hg]", 1.0, "P")
    notes = [
        annotation_item(
            "(AFIB", 1, 0, TemporalRangeType="SEGMENT", ReferencedSamplePositions=[11, 251]
        ),
        annotation_item("V", 1, 1, TemporalRangeType="POINT", ReferencedSamplePositions=301),
        annotation_item("dicrotic notch", 2, 2, ReferencedTimeOffsets=[0.4, 0.8]),
        annotation_item("wedge", 2, 0),
        annotation_item("beyond", 2, 0, ReferencedSamplePositions=[126]),
    ]
    groups = read_dicom_waveform(waveform_file(tmp_path / "hd.dcm", [ecg, pressure], notes))
    ecg_signal, pressure_signal = groups
    assert (ecg_signal.fs_hz, pressure_signal.fs_hz) == (500.0, 125.0)
    assert ecg_signal.units == ["mV"] and pressure_signal.units == ["mmHg", "mmHg"]
    np.testing.assert_allclose(ecg_signal.samples, 1.0)
    np.testing.assert_allclose(pressure_signal.samples, 120.0)
    assert ecg_signal.start == datetime(2024, 1, 2, 3, 4, 5)
    episode, beat = ecg_signal.annotations
    assert (episode.sample, episode.end, episode.symbol, episode.aux) == (10, 250, "+", "(AFIB")
    assert (beat.sample, beat.symbol, beat.channel) == (300, "V", 0)
    notches = [(a.sample, a.channel, a.aux) for a in pressure_signal.annotations]
    assert notches == [(50, 1, "dicrotic notch"), (100, 1, "dicrotic notch")]
    assert pressure_signal.metadata["statements"] == ["wedge"]
    assert "beyond" in pressure_signal.warnings[0] and "hd.dcm" in pressure_signal.warnings[0]
    assert main_group(groups) is ecg_signal


def test_padding_samples_carry_no_data(tmp_path):
    raw = np.full((100, 1), 40)
    raw[90:] = -32768
    group = waveform_group(raw, 100.0, ["II"], "uV", 5.0)
    group.WaveformPaddingValue = np.array([-32768], "<i2").tobytes()
    (signal,) = read_dicom_waveform(waveform_file(tmp_path / "padded.dcm", [group]))
    assert np.all(signal.samples[0, :90] == 0.2) and np.all(np.isnan(signal.samples[0, 90:]))
    assert "10 padding samples" in signal.warnings[0] and "padded.dcm" in signal.warnings[0]
