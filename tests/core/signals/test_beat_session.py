"""The beat session: snapping to R peaks, the 50 ms rule, episodes, undo, events, annotations
and WFDB files written with wfdb itself."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb
from signal_testing import synthetic_ecg

from medgui.core.signals.beat_session import Beat, BeatSession, Episode
from medgui.core.signals.signal import Annotation, Signal
from medgui.core.signals.symbols import aami_class


def _signal(**kwargs) -> tuple:
    ecg = synthetic_ecg(**kwargs)
    return ecg, Signal(ecg.samples, ecg.fs_hz, ["II", "V1"], ["mV", "mV"], source="/rec/x.hea")


def _session(events=None):
    ecg, signal = _signal()
    session = BeatSession(signal)
    if events is not None:
        session.events.connect(events.append)
    return ecg, session


def test_aami_classes_of_the_beat_symbols():
    assert [aami_class(s) for s in "NLRejAaJSVEF/fQ"] == list("NNNNNSSSSVVFQQQ")
    with pytest.raises(ValueError, match="not a beat symbol"):
        aami_class("+")


@pytest.mark.parametrize("offset_ms", [-40, -12, 0, 20, 44])
def test_a_click_near_a_beat_snaps_to_its_r_peak_on_either_channel(offset_ms):
    ecg, session = _session()
    fs = ecg.fs_hz
    for beat, symbol in zip(ecg.beats, ecg.symbols, strict=True):
        click = beat + round(offset_ms * fs / 1000)
        # the generator rounds the peak time, so the true peak is within one sample
        assert abs(session.snap(click) - beat) <= 1
        assert abs(session.snap(click, channel=1) - beat) <= 1, symbol
    first = session.add_beat(ecg.beats[3] + round(0.03 * fs), "V")
    assert abs(first.sample - ecg.beats[3]) <= 1 and first.aami == "V"
    unsnapped = session.add_beat(ecg.beats[4] + 7, snap=False)
    assert unsnapped.sample == ecg.beats[4] + 7


def test_beats_stay_sorted_and_none_lands_within_50_ms_of_another():
    ecg, session = _session()
    for sample in reversed(ecg.beats[:6]):
        session.add_beat(sample, snap=False)
    assert [b.sample for b in session.beats] == ecg.beats[:6]
    with pytest.raises(ValueError, match="closer than 50 ms"):
        session.add_beat(ecg.beats[2] + 12, snap=False)  # 48 ms at 250 Hz
    session.add_beat(ecg.beats[2] + 13, snap=False)  # 52 ms is allowed
    with pytest.raises(ValueError, match="closer than 50 ms"):
        session.move_beat(ecg.beats[0], ecg.beats[1] - 5)
    with pytest.raises(ValueError, match="not a beat symbol"):
        session.add_beat(ecg.beats[8], "+")
    with pytest.raises(ValueError, match="outside the record"):
        session.add_beat(session.signal.n_samples, snap=False)
    assert len(session.history) == 7  # refused operations leave no undo step


def test_every_operation_is_one_undo_step_and_redo_restores_it():
    ecg, session = _session()
    states = [session.to_annotations()]

    def step(operation, *args):
        operation(*args, **({"snap": False} if operation == session.add_beat else {}))
        states.append(session.to_annotations())

    b = ecg.beats
    step(session.add_beat, b[0], "N")
    step(session.add_beat, b[1], "N")
    step(session.add_beat, b[5], "N")
    step(session.move_beat, b[1], b[1] + 20)
    step(session.set_symbol, [b[0], b[5]], "V")
    step(session.delete_beat, b[1] + 20)
    step(session.add_episode, 0, 1000, "(N")
    step(session.add_episode, 1000, 3000, "(AFIB")
    step(session.set_episode_end, 1000, 2500)
    step(session.delete_episode, 0)
    assert [(x.sample, x.symbol) for x in session.beats] == [(b[0], "V"), (b[5], "V")]
    assert session.episodes == (Episode(1000, 2500, "(AFIB"),)
    assert len(session.history) == len(states) - 1
    for expected in reversed(states[:-1]):
        assert session.undo() is not None
        assert session.to_annotations() == expected
    assert session.undo() is None
    for expected in states[1:]:
        session.redo()
        assert session.to_annotations() == expected


def test_events_say_what_changed_so_a_view_can_follow():
    events: list[str] = []
    ecg, session = _session(events)
    session.add_beat(ecg.beats[0])
    assert events == ["beats_changed", "history_changed", "edited"]
    events.clear()
    session.add_episode(0, 100, "(VT")
    assert events == ["episodes_changed", "history_changed", "edited"]
    events.clear()
    session.undo()
    assert events == ["episodes_changed", "history_changed", "edited"]
    events.clear()
    session.set_symbol([ecg.beats[0]], "N")  # no change: no step, no event
    assert events == [] and len(session.history) == 1


def test_episodes_are_validated():
    _, session = _session()
    session.add_episode(100, 500, "(AFIB")
    with pytest.raises(ValueError, match="overlaps"):
        session.add_episode(400, 900, "(N")
    with pytest.raises(ValueError, match="overlaps"):
        session.add_episode(0, 101, "(N")
    with pytest.raises(ValueError, match="like '\\(AFIB'"):
        session.add_episode(600, 900, "AFIB")
    with pytest.raises(ValueError, match="empty or outside"):
        session.set_episode_end(100, 100)
    with pytest.raises(ValueError, match="no rhythm episode"):
        session.delete_episode(101)
    session.add_episode(500, 900, "(N")  # touching is not overlapping
    assert [e.rhythm for e in session.episodes] == ["(AFIB", "(N"]


def test_annotations_round_trip_and_keep_what_is_neither_beat_nor_episode():
    ecg, signal = _signal()
    n = signal.n_samples
    annotations = sorted(
        [Annotation(s, y) for s, y in zip(ecg.beats, ecg.symbols, strict=True)]
        + [Annotation(0, "+", end=2000, aux="(N"), Annotation(2000, "+", end=n, aux="(AFIB")]
        + [Annotation(1234, '"', aux="lead off"), Annotation(4000, "~")],
        key=lambda a: a.sample,
    )
    session = BeatSession.from_annotations(signal, annotations)
    assert len(session.beats) == len(ecg.beats) and len(session.episodes) == 2
    assert [a.symbol for a in session.others] == ['"', "~"]
    assert session.to_annotations() == annotations
    assert session.beats[5] == Beat(ecg.beats[5], "V")


def _record(tmp_path):
    ecg, _ = _signal()
    wfdb.wrsamp("rec", fs=ecg.fs_hz, units=["mV", "mV"], sig_name=["II", "V1"],
                p_signal=ecg.samples.T, fmt=["16", "16"], write_dir=str(tmp_path))  # fmt: skip
    n = ecg.samples.shape[1]
    samples = np.array([0, *ecg.beats, 2000])
    symbols = ["+", *ecg.symbols, "+"]
    order = np.argsort(samples, kind="stable")
    aux = ["(N"] + [""] * len(ecg.beats) + ["(AFIB"]
    wfdb.wrann("rec", "atr", samples[order], symbol=[symbols[i] for i in order],
               aux_note=[aux[i] for i in order], fs=ecg.fs_hz, write_dir=str(tmp_path))  # fmt: skip
    return ecg, n


def test_import_replaces_in_one_undo_step_and_export_round_trips_through_wfdb(tmp_path):
    from medgui.core.signals.wfdb_io import read_wfdb

    ecg, n = _record(tmp_path)
    signal = read_wfdb(tmp_path / "rec.hea", annotator=None)
    session = BeatSession(signal)
    session.add_beat(100, "Q", snap=False)
    session.import_wfdb(tmp_path / "rec.atr")
    assert [(b.sample, b.symbol) for b in session.beats] == list(
        zip(ecg.beats, ecg.symbols, strict=True)
    )
    assert session.episodes == (Episode(0, 2000, "(N"), Episode(2000, n, "(AFIB"))
    assert session.history.undo_description == "Import rec.atr"
    session.set_symbol([ecg.beats[0], ecg.beats[1]], "A")
    session.export_wfdb(tmp_path / "out.atr")
    ann = wfdb.rdann(str(tmp_path / "out"), "atr")
    assert [s for s, y in zip(ann.sample, ann.symbol, strict=True) if y == "A"] == ecg.beats[:2]
    again = BeatSession(signal)
    again.import_wfdb(tmp_path / "out.atr")
    assert again.to_annotations() == session.to_annotations()
    session.undo()
    session.undo()
    assert [(b.sample, b.symbol) for b in session.beats] == [(100, "Q")]


def test_import_of_beats_too_close_together_names_the_file_and_changes_nothing(tmp_path):
    _, signal = _signal()
    wfdb.wrann("bad", "atr", np.array([100, 105]), symbol=["N", "N"], fs=250,
               write_dir=str(tmp_path))  # fmt: skip
    session = BeatSession(signal)
    with pytest.raises(ValueError, match=r"bad\.atr: .*closer than 50 ms"):
        session.import_wfdb(tmp_path / "bad.atr")
    assert session.beats == () and len(session.history) == 0
