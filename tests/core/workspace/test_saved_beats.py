"""Beat labels in the workspace: exact round trips, atomic saves, refused files."""

from __future__ import annotations

import errno
import json

import pytest
from signal_testing import synthetic_ecg

from medgui.core.signals.beat_session import BeatSession
from medgui.core.signals.signal import Annotation, Signal
from medgui.core.util.atomic import is_temporary
from medgui.core.workspace import layout
from medgui.core.workspace.beats import beats_path, load_beats, save_beats


def _signal(tmp_path, seconds=20.0) -> Signal:
    ecg = synthetic_ecg(seconds=seconds)
    source = tmp_path / "records" / "x100.hea"
    return Signal(ecg.samples, ecg.fs_hz, ["II", "V1"], ["mV", "mV"], source=str(source))


def _labelled(signal: Signal) -> BeatSession:
    ecg = synthetic_ecg()
    session = BeatSession(signal)
    for sample, symbol in zip(ecg.beats, ecg.symbols, strict=True):
        session.add_beat(sample, symbol)
    session.add_episode(0, 2000, "(N")
    session.add_episode(2000, 4000, "(AFIB")
    session.replace_annotations([*session.to_annotations(), Annotation(77, '"', aux="noisy")])
    return session


def test_labels_round_trip_exactly_in_the_records_own_folder(tmp_path):
    root, signal = tmp_path / "ws", _signal(tmp_path)
    assert load_beats(root, signal) is None
    session = _labelled(signal)
    path = save_beats(root, session)
    assert path == layout.signal_dir(root, signal.source) / layout.BEATS_FILE
    assert path.parent.parent == layout.signals_root(root) and layout.is_workspace(root)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "medgui-beats" and document["version"] == 1
    loaded = load_beats(root, signal)
    assert loaded.to_annotations() == session.to_annotations()
    assert loaded.beats == session.beats and loaded.episodes == session.episodes
    assert len(loaded.history) == 0  # a loaded session starts with nothing to undo


def test_a_relative_and_an_absolute_path_are_one_record(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    absolute = _signal(tmp_path)
    relative = Signal(absolute.samples, absolute.fs_hz, ["II", "V1"], ["mV", "mV"],
                      source="records/x100.hea")  # fmt: skip
    other = Signal(absolute.samples, absolute.fs_hz, ["II", "V1"], ["mV", "mV"], source="y.hea")
    assert beats_path("ws", relative) == beats_path("ws", absolute)
    assert beats_path("ws", other) != beats_path("ws", absolute)
    name = beats_path("ws", absolute).parent.name
    assert name.startswith("h-") and len(name) == 26


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    root, signal = tmp_path / "ws", _signal(tmp_path)
    session = _labelled(signal)
    path = save_beats(root, session)
    before = path.read_bytes()
    session.delete_beat(session.beats[0].sample)

    def full_disk(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("medgui.core.util.atomic.os.replace", full_disk)
    with pytest.raises(OSError, match="No space left") as raised:
        save_beats(root, session)
    assert raised.value.filename == str(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if is_temporary(p)]
    assert len(load_beats(root, signal).beats) == len(session.beats) + 1


def test_a_file_saved_for_another_record_length_or_a_broken_file_is_refused(tmp_path):
    root, signal = tmp_path / "ws", _signal(tmp_path)
    path = save_beats(root, _labelled(signal))
    shorter = _signal(tmp_path, seconds=10.0)
    with pytest.raises(ValueError, match=r"beats\.json: saved for 5000 samples at 250.0 Hz"):
        load_beats(root, shorter)
    document = json.loads(path.read_text(encoding="utf-8"))
    for broken, reason in [
        ({"beats": [[10, "+"]]}, "not a beat symbol"),
        ({"beats": [[10, "N"], [12, "N"]]}, "closer than 50 ms"),
        ({"beats": [["10", "N"]]}, "not a sample number"),
        ({"episodes": [[0, 10]]}, "malformed"),
        ({"version": 2}, "unsupported medgui-beats version 2"),
    ]:
        path.write_text(json.dumps(document | broken), encoding="utf-8")
        with pytest.raises(ValueError, match=reason) as raised:
            load_beats(root, signal)
        assert str(path) in str(raised.value)
