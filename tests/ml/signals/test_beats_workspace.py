"""The beats task trained from a workspace: only each record's labelled span trains, one record
is split by time, several by record, a bad beats file is named and skipped, and
`medgui train --task beats --workspace` writes a card naming the records and spans used."""

from __future__ import annotations

import json

import numpy as np
import pytest
from signal_testing import synthetic_ecg, write_wfdb_record

from medgui.cli.ml import main
from medgui.core.signals.beat_session import Beat, BeatSession
from medgui.core.signals.read import read_signal
from medgui.core.workspace.beats import beats_path, save_beats
from medgui.core.workspace.store import Workspace
from medgui.ml.models.task import TrainConfig
from medgui.ml.signals.task import BeatsTask

FS = 250.0


def _labelled(folder, name: str, root, first_s: float, last_s: float, seed: int = 0):
    """A 3-minute record whose beats from `first_s` to `last_s` are labelled in the workspace
    `root` (its .atr removed: the workspace is all that is known); the truth."""
    ecg = synthetic_ecg(180.0, FS, rr_s=0.75, ectopic=tuple(range(3, 400, 7)), seed=seed)
    header = write_wfdb_record(folder, name, ecg)
    header.with_suffix(".atr").unlink()
    signal = read_signal(header)
    beats = [
        Beat(s, y) for s, y in zip(ecg.beats, ecg.symbols, strict=True)
        if first_s * FS <= s <= last_s * FS
    ]  # fmt: skip
    save_beats(root, BeatSession(signal, beats))
    return ecg, beats


def test_one_record_trains_on_its_labelled_span_only_and_validates_on_its_end(tmp_path):
    ws = tmp_path / "ws"
    ecg, beats = _labelled(tmp_path, "long", ws, 30.0, 90.0)
    config = TrainConfig(task="beats", val_split=0.2, options={"window_s": 4})
    split = BeatsTask().make_split(config, Workspace(ws))
    span = split.info["spans_s"]["long"]
    expected = [beats[0].sample / FS - 1, beats[-1].sample / FS + 1]
    assert span == pytest.approx(expected, abs=1.5 / FS)
    assert split.info["unit"] == "record spans (split by time)"
    (train,) = split.train.records
    (val,) = split.val.records
    # Together the two parts are the span (at the model's rate), no more: 62 s of 180.
    assert train.x.shape[1] + val.x.shape[1] == pytest.approx((span[1] - span[0]) * FS, abs=2)
    assert val.x.shape[1] == pytest.approx(0.2 * (span[1] - span[0]) * FS, abs=FS)
    assert len(train.beats) + len(val.beats) == len(beats)
    # The labelled beats land where they are in the cut record: the span's start is 0.
    offset = round(span[0] * FS)
    assert train.beats.tolist() == [b.sample - offset for b in beats[: len(train.beats)]]
    assert split.info["train_beats"].keys() == {"N", "V"}
    # Every training window lies in the span's first part: its heat peaks only at labels.
    x, y = split.train[0]
    assert x.shape == (1, 1000) and y[0].max() == 1.0


def test_windows_never_come_from_the_unlabelled_rest(tmp_path):
    ws = tmp_path / "ws"
    _labelled(tmp_path, "long", ws, 100.0, 130.0)
    config = TrainConfig(task="beats", validation="none", options={"window_s": 2})
    split = BeatsTask().make_split(config, ws)  # the folder is a workspace too
    (train,) = split.train.records
    assert split.val_ids == [] and train.x.shape[1] < 33 * FS  # 30 s and the margins
    assert split.train.count == 2 * train.x.shape[1] // 500  # twice the span in windows


def test_several_records_split_by_record_and_a_bad_file_is_named(tmp_path):
    ws = tmp_path / "ws"
    for seed, name in enumerate(("a", "b", "c")):
        _labelled(tmp_path, name, ws, 10.0, 40.0, seed)
    bad = beats_path(ws, read_signal(tmp_path / "c.hea"))
    bad.write_text("{not json")
    config = TrainConfig(task="beats", val_split=0.5, options={"window_s": 2})
    split = BeatsTask().make_split(config, {"workspace": str(ws)})
    assert sorted(split.train_ids + split.val_ids) == ["a", "b"]
    assert len(split.val_ids) == 1 and split.info["unit"] == "records"
    assert any(str(bad) in p for p in split.info["problems"])


def test_too_few_labelled_beats_to_split_by_time_says_so(tmp_path):
    ws = tmp_path / "ws"
    _labelled(tmp_path, "few", ws, 10.0, 11.0)  # two beats
    with pytest.raises(ValueError, match="too few .* train without validation"):
        BeatsTask().make_split(TrainConfig(task="beats"), Workspace(ws))
    with pytest.raises(ValueError, match="no record with beat annotations"):
        BeatsTask().make_split(TrainConfig(task="beats"), Workspace(tmp_path / "empty"))


def test_cli_trains_from_a_workspace_and_the_card_names_records_and_spans(tmp_path, capsys):
    ws = tmp_path / "ws"
    _labelled(tmp_path, "long", ws, 0.0, 60.0)
    model = tmp_path / "model"
    options = ["window_s=4", "windows_per_epoch=8", "width=4", "hidden=4"]
    argv = ["train", "--task", "beats", "--workspace", str(ws), "--out", str(model),
            "--epochs", "1", "--device", "cpu"]  # fmt: skip
    assert main([*argv, *(x for o in options for x in ("--option", o))]) == 0
    card = json.loads((model / "card.json").read_text())
    info = card["split"]["info"]
    assert card["split"]["train"] == ["long"]
    assert card["split"]["val"] == ["long@val"]
    start, end = info["spans_s"]["long"]
    assert start == pytest.approx(max(0.0, 0.4 - 1.0)) and 60.0 < end < 62.0
    assert [s["id"] for s in card["series"]] == ["long"]
    assert np.isfinite(json.loads(capsys.readouterr().out.strip().splitlines()[-1])["val_loss"])
