"""The beats task: targets, peak picking, window stitching, EC57-style scores, and training on
synthetic WFDB records through `medgui train` / `medgui infer`."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
import wfdb
from signal_testing import (
    synthetic_ecg,
    waveform_file,
    waveform_group,
    write_wfdb_record,
)

from medgui.cli.ml import main
from medgui.ml.models.task import TrainConfig
from medgui.ml.signals.data import IGNORE, Record, find_records, load_record, targets
from medgui.ml.signals.infer import pick_beats, predict
from medgui.ml.signals.metrics import BeatCounts
from medgui.ml.signals.task import BeatsTask, detect_beats


def _ecg(seed: int, seconds: float = 24.0, fs_hz: float = 360.0):
    """A record with a V beat every 6 beats, its rate and rhythm varied by `seed`."""
    ectopic = tuple(range(2 + seed % 3, 80, 6))
    return synthetic_ecg(seconds, fs_hz, rr_s=0.65 + 0.07 * seed, ectopic=ectopic, seed=seed)


def test_targets_peak_at_each_beat_and_carry_its_class_nearby():
    record = Record("r", np.zeros((1, 1000), np.float32), np.array([100, 600]), ["N", "V"], [])
    heat, label = targets(record, ["N", "V"], 250.0)
    assert heat[100] == heat[600] == 1.0 and heat[350] == 0.0
    assert label[100] == 0 and label[600] == 1 and label[350] == IGNORE
    assert label[112] == 0 and label[114] == IGNORE  # ±50 ms at 250 Hz is ±12.5 samples


def test_peaks_closer_than_the_refractory_period_keep_the_taller():
    logits = torch.full((3, 500), -10.0)
    logits[0, [100, 130, 300]] = torch.tensor([2.0, 3.0, 2.0])  # 100 and 130: 120 ms apart
    logits[2, 290:311] = 5.0  # the beat at 300 is of class 1
    samples, symbols = pick_beats(logits, 250.0, ["N", "V"], refractory_s=0.2)
    assert samples.tolist() == [130, 300] and symbols == ["N", "V"]


def test_windows_are_stitched_back_sample_for_sample():
    x = np.random.default_rng(0).normal(size=(2, 2345)).astype(np.float32)
    network = torch.nn.Identity()  # the output is the input: stitching must give it back whole
    out = predict(network, x, window=500, fs_hz=250.0)
    assert out.shape == (2, 2345) and torch.equal(out, torch.from_numpy(x))
    short = predict(network, x[:, :300], window=500, fs_hz=250.0)  # padded to one window
    assert torch.equal(short, torch.from_numpy(x[:, :300]))


def test_scores_match_within_150_ms_one_to_one_and_count_symbols():
    counts = BeatCounts()
    ref, ref_symbols = np.array([100, 300, 500, 700]), ["N", "V", "N", "N"]
    # 130 matches 100 (30 samples: 120 ms at 250 Hz); 345 is 180 ms from 300: no match;
    # 505 matches 500 but called V; 900 matches nothing; 700 is missed.
    test, test_symbols = np.array([130, 345, 505, 900]), ["N", "V", "V", "N"]
    counts.add(ref, ref_symbols, test, test_symbols, 250.0)
    metrics = counts.metrics()
    assert (counts.tp, counts.fp, counts.fn) == (2, 2, 2)
    assert metrics["qrs_sensitivity"] == metrics["qrs_ppv"] == 0.5
    # N: tp 1 (100), fn 2 (500 called V, 700 missed), fp 1 (900); V: fp 2 (345, 505), fn 1 (300)
    assert metrics["f1_N"] == pytest.approx(2 / 5) and metrics["f1_V"] == 0.0
    assert metrics["beat_f1"] == pytest.approx(2 / (2 + 3 + 3))


def test_records_without_reference_annotations_are_named_and_skipped(tmp_path):
    write_wfdb_record(tmp_path, "good", _ecg(0, seconds=6))
    write_wfdb_record(tmp_path, "bare", _ecg(1, seconds=6))
    (tmp_path / "bare.atr").unlink()
    headers, problems = find_records(tmp_path)
    assert [h.name for h in headers] == ["good.hea"]
    assert len(problems) == 1 and "bare.hea" in problems[0] and "bare.atr" in problems[0]
    record = load_record(headers[0], "II", 250.0)
    assert record.x.shape == (1, 1500) and abs(float(np.median(record.x))) < 1e-6
    beats = np.array(_ecg(0, seconds=6).beats)
    assert np.abs(record.beats - np.round(beats * 250 / 360)).max() == 0


def test_a_bad_record_is_named_and_the_others_split_by_record(tmp_path):
    for seed in range(4):
        write_wfdb_record(tmp_path, f"rec{seed}", _ecg(seed, seconds=6))
    data = tmp_path / "rec3.dat"
    data.write_bytes(data.read_bytes()[:100])  # truncated
    config = TrainConfig(task="beats", val_split=0.34, options={"window_s": 2})
    split = BeatsTask().make_split(config, tmp_path)
    assert sorted(split.train_ids + split.val_ids) == ["rec0", "rec1", "rec2"]
    assert len(split.val_ids) == 1 and not set(split.val_ids) & set(split.train_ids)
    assert any("rec3.hea" in p and "truncated" in p for p in split.info["problems"])
    most = BeatsTask().make_split(TrainConfig(task="beats", val_split=0.99), tmp_path)
    assert len(most.train_ids) == 1 and len(most.val_ids) == 2  # one record is left to train
    x, y = split.train[0]
    assert x.shape == (1, 500) and y.shape == (2, 500)
    with pytest.raises(ValueError, match="one record with beats"):
        BeatsTask().make_split(TrainConfig(task="beats"), _only(tmp_path, "rec0"))


def _only(folder, name):
    alone = folder / "alone"
    alone.mkdir()
    for file in folder.glob(f"{name}.*"):
        (alone / file.name).write_bytes(file.read_bytes())
    return alone


def test_records_are_for_the_beats_task_only(tmp_path, capsys):
    assert main(["train", "--task", "segment", "--records", str(tmp_path), "--out", "m"]) == 2
    assert "--task beats" in capsys.readouterr().err


@pytest.mark.slow
def test_training_finds_the_beats_of_a_held_out_record_and_infer_writes_them(tmp_path, capsys):
    records, held_out = tmp_path / "records", tmp_path / "held_out"
    records.mkdir()
    held_out.mkdir()
    for seed in range(3):
        write_wfdb_record(records, f"rec{seed}", _ecg(seed))
    truth = _ecg(7)
    header = write_wfdb_record(held_out, "test", truth)
    model = tmp_path / "model"
    options = ["window_s=4", "windows_per_epoch=48", "width=8", "hidden=16"]
    argv = ["train", "--task", "beats", "--records", str(records), "--out", str(model),
            "--epochs", "6", "--lr", "0.005", "--device", "cpu", "--val-split", "0.34"]  # fmt: skip
    assert main([*argv, *(x for o in options for x in ("--option", o))]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["task"] == "beats" and summary["qrs_sensitivity"] > 0.9

    found, fs = detect_beats(model, header)
    counts = BeatCounts()
    counts.add(np.array(truth.beats), truth.symbols, np.array([a.sample for a in found]),
               [a.symbol for a in found], fs)  # fmt: skip
    scores = counts.metrics()
    assert fs == 360.0
    assert scores["qrs_sensitivity"] > 0.9 and scores["qrs_ppv"] > 0.9, scores

    assert main(["infer", "--model", str(model), str(header), str(tmp_path / "beats.csv")]) == 0
    with open(tmp_path / "beats.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["sample"]) for r in rows] == [a.sample for a in found]
    assert float(rows[1]["time_s"]) == pytest.approx(found[1].sample / 360.0, abs=1e-4)
    assert main(["infer", "--model", str(model), str(header), str(tmp_path / "test.qrs")]) == 0
    annotation = wfdb.rdann(str(tmp_path / "test"), "qrs")
    assert annotation.sample.tolist() == [a.sample for a in found]
    assert annotation.symbol == [a.symbol for a in found] and annotation.fs == 360.0
    # The same ECG as a DICOM waveform ("Lead II" is lead II) gives the same beats.
    raw = np.round(truth.samples.T * 1000).astype(np.int16)
    group = waveform_group(raw, 360.0, ["Lead II", "Lead V1"], "mV", sensitivity=0.001)
    dicom = waveform_file(tmp_path / "ecg.dcm", [group])
    from_dicom, _fs = detect_beats(model, dicom)
    assert [a.sample for a in from_dicom] == [a.sample for a in found]
    card = json.loads((model / "card.json").read_text())
    assert card["classes"] == ["N", "V"] and card["extra"]["lead"] == "II"
    assert card["extra"]["fs_hz"] == 250.0 and card["task"] == "beats"


def test_a_beat_model_with_one_symbol_is_a_model_but_a_huge_network_is_refused():
    from medgui.ml.models.card import ModelCard
    from medgui.ml.models.card_schema import require_for_inference

    require_for_inference(ModelCard("beats", classes=["N"], input_size=[1, 2000]), "card")
    with pytest.raises(ValueError, match="at least 2 classes"):
        require_for_inference(ModelCard("classify", classes=["N"], input_size=[8, 8]), "card")
    card = ModelCard("beats", classes=["N"], hyperparameters={"options": {"hidden": 10**6}})
    with pytest.raises(ValueError, match="hidden"):
        ModelCard.from_json(card.to_json(), "card")
