"""EDF/EDF+ files written with edfio: channels grouped by rate, annotations, start time."""

from __future__ import annotations

import datetime

import edfio
import numpy as np
from signal_testing import synthetic_ecg

from medgui.core.signals.edf import read_edf, read_edf_groups

RANGE = (-5.0, 5.0)  # mV; one digital step is 10 / 65535 mV


def _write(path, annotations=()):
    ecg = synthetic_ecg(seconds=20.0, fs_hz=250.0)
    breathing = np.sin(np.linspace(0, 8 * np.pi, 500))  # 25 Hz
    signals = [
        edfio.EdfSignal(ecg.samples[0], 250, label="ECG I", physical_dimension="mV",
                        physical_range=RANGE),
        edfio.EdfSignal(breathing, 25, label="Resp", physical_dimension="a.u.",
                        physical_range=(-1.0, 1.0)),
        edfio.EdfSignal(ecg.samples[1], 250, label="ECG V1", physical_dimension="mV",
                        physical_range=RANGE),
    ]  # fmt: skip
    edfio.Edf(
        signals,
        starttime=datetime.time(22, 30, 0),
        recording=edfio.Recording(startdate=datetime.date(2023, 9, 8)),
        annotations=[edfio.EdfAnnotation(*a) for a in annotations],
    ).write(path)
    return ecg, breathing


def test_the_channels_of_the_common_rate_read_in_physical_units(tmp_path):
    ecg, _ = _write(tmp_path / "night.edf")
    signal = read_edf(tmp_path / "night.edf")
    assert signal.channel_names == ["ECG I", "ECG V1"] and signal.units == ["mV", "mV"]
    assert signal.fs_hz == 250.0 and signal.samples.shape == ecg.samples.shape
    assert np.all(np.abs(signal.samples - ecg.samples) <= 10.0 / 65535)
    assert signal.start == datetime.datetime(2023, 9, 8, 22, 30)
    assert any("Resp (25 Hz)" in w and "night.edf" in w for w in signal.warnings)


def test_each_rate_is_a_group(tmp_path):
    _, breathing = _write(tmp_path / "night.edf")
    ecg_group, resp_group = read_edf_groups(tmp_path / "night.edf")
    assert ecg_group.channel_names == ["ECG I", "ECG V1"]
    assert resp_group.channel_names == ["Resp"] and resp_group.fs_hz == 25.0
    np.testing.assert_allclose(resp_group.samples[0], breathing, atol=2.0 / 65535)


def test_edf_plus_annotations_become_beats_episodes_and_comments(tmp_path):
    notes = [(1.2, None, "V"), (4.0, 6.0, "(AFIB"), (2.0, None, "Lights off"), (30.0, None, "N")]
    _write(tmp_path / "annotated.edf", notes)
    signal = read_edf(tmp_path / "annotated.edf")
    found = [(a.sample, a.symbol, a.end, a.aux) for a in signal.annotations]
    # the "N" at 30 s lies after the 20 s record and is left out
    assert found == [
        (300, "V", None, ""),
        (500, '"', None, "Lights off"),
        (1000, "+", 2500, "(AFIB"),
    ]
    assert any("annotated.edf: 1 annotations after the end" in w for w in signal.warnings)


def test_a_file_cut_short_reads_as_far_as_it_goes_with_a_warning(tmp_path):
    path = tmp_path / "cut.edf"
    _write(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3000])
    signal = read_edf(path)
    assert 0 < signal.n_samples < 5000
    assert any("cut.edf" in w and "truncated" in w.lower() for w in signal.warnings)
