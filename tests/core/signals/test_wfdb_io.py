"""WFDB records and annotation files, on a synthetic ECG written with wfdb itself."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
import wfdb
from signal_testing import synthetic_ecg

from medgui.core.signals.signal import Annotation
from medgui.core.signals.wfdb_io import read_wfdb, read_wfdb_annotations, write_wfdb_annotations

START = datetime(2024, 5, 6, 7, 8, 9)


def _record(tmp_path, fmt="16"):
    ecg = synthetic_ecg()
    wfdb.wrsamp(
        "rec",
        fs=ecg.fs_hz,
        units=["mV", "mV"],
        sig_name=["MLII", "V1"],
        p_signal=ecg.samples.T,
        fmt=[fmt, fmt],
        base_datetime=START,
        write_dir=str(tmp_path),
    )
    return ecg, tmp_path / "rec.hea"


def _reference(ecg) -> list[Annotation]:
    """The synthetic record's beats, inside a sinus rhythm and one AFIB episode."""
    beats = [Annotation(s, symbol) for s, symbol in zip(ecg.beats, ecg.symbols, strict=True)]
    n = ecg.samples.shape[1]
    rhythms = [Annotation(0, "+", end=2000, aux="(N"), Annotation(2000, "+", end=n, aux="(AFIB")]
    return sorted(beats + rhythms, key=lambda a: a.sample)


@pytest.mark.parametrize("fmt", ["16", "212"])
def test_a_record_reads_in_physical_units_with_names_units_and_start(tmp_path, fmt):
    ecg, header = _record(tmp_path, fmt)
    signal = read_wfdb(header)
    assert signal.samples.shape == ecg.samples.shape and signal.fs_hz == 250.0
    assert signal.channel_names == ["MLII", "V1"] and signal.units == ["mV", "mV"]
    assert signal.start == START and signal.source == str(header)
    bits = {"16": 16, "212": 12}[fmt]
    step = np.ptp(ecg.samples, axis=1, keepdims=True) / (2**bits - 2)
    assert np.all(np.abs(signal.samples - ecg.samples) <= step)  # within one ADC step
    assert signal.annotations == [] and signal.metadata["format"] == "wfdb"


def test_reference_annotations_come_with_the_record_and_round_trip(tmp_path):
    ecg, header = _record(tmp_path)
    reference = _reference(ecg)
    write_wfdb_annotations(tmp_path / "rec.atr", reference, ecg.fs_hz)
    signal = read_wfdb(tmp_path / "rec")  # the record name alone reads too
    assert signal.annotations == reference
    ectopic = [a.sample for a in signal.annotations if a.symbol == "V"]
    assert ectopic == [b for b, s in zip(ecg.beats, ecg.symbols, strict=True) if s == "V"]
    assert np.all(signal.samples[0, ectopic] < -1.0)  # the inverted wide complexes are there
    assert read_wfdb(header, annotator=None).annotations == []


def test_another_annotator_and_channels_round_trip(tmp_path):
    ecg, header = _record(tmp_path)
    marks = [Annotation(100, "N", channel=1), Annotation(300, "V", aux="couplet")]
    write_wfdb_annotations(tmp_path / "rec.qrs", marks, ecg.fs_hz)
    assert read_wfdb(header, annotator="qrs").annotations == marks
    assert read_wfdb(header).annotations == []  # no rec.atr


def test_without_the_record_length_the_last_episode_ends_at_the_last_annotation(tmp_path):
    marks = [Annotation(0, "+", aux="(N"), Annotation(900, "N"), Annotation(500, "+", aux="(VT")]
    path = write_wfdb_annotations(tmp_path / "alone.atr", marks, 360.0)
    episodes = [(a.sample, a.end) for a in read_wfdb_annotations(path) if a.symbol == "+"]
    assert episodes == [(0, 500), (500, 900)]
    assert [a.end for a in read_wfdb_annotations(path, n_samples=1000) if a.symbol == "+"] == [
        500,
        1000,
    ]


@pytest.mark.parametrize(
    "name, marks, fs, message",
    [
        ("x.atr", [Annotation(1, "Z")], 250.0, r"\['Z'\] are not WFDB annotation symbols"),
        ("x", [Annotation(1, "N")], 250.0, "needs an extension"),
        ("x.atr", [Annotation(1, "N")], 0.0, "must be positive"),
        ("x.atr", [], 250.0, "empty annotation file"),
    ],
)
def test_annotations_wfdb_cannot_hold_are_refused(tmp_path, name, marks, fs, message):
    with pytest.raises(ValueError, match=message) as caught:
        write_wfdb_annotations(tmp_path / name, marks, fs)
    assert name in str(caught.value)


def test_a_multi_segment_record_reads_as_one_signal(tmp_path):
    ecg = synthetic_ecg(seconds=4.0)
    for index, name in enumerate(("seg1", "seg2")):
        part = ecg.samples[:1, index * 500 : (index + 1) * 500]
        wfdb.wrsamp(name, fs=ecg.fs_hz, units=["mV"], sig_name=["II"], p_signal=part.T,
                    fmt=["16"], write_dir=str(tmp_path))  # fmt: skip
    (tmp_path / "multi.hea").write_text("multi/2 1 250 1000\nseg1 500\nseg2 500\n")
    signal = read_wfdb(tmp_path / "multi.hea")
    assert signal.channel_names == ["II"] and signal.samples.shape == (1, 1000)
    np.testing.assert_allclose(signal.samples, ecg.samples[:1], atol=1e-3)


def test_a_failed_write_leaves_the_old_file_and_odd_names_work(tmp_path):
    path = tmp_path / "night 2.v1.atr"  # a name wfdb itself refuses as a record name
    write_wfdb_annotations(path, [Annotation(10, "N")], 250.0)
    with pytest.raises(ValueError, match="cannot be written as WFDB annotations") as caught:
        write_wfdb_annotations(path, [Annotation(-5, "N")], 250.0)
    assert str(path) in str(caught.value)
    assert read_wfdb_annotations(path) == [Annotation(10, "N")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night 2.v1.atr"]
