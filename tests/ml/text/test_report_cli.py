"""`medgui train --task report --reports CSV` and `medgui infer` on a CSV of reports, and the
bad inputs each refuses with the file (and row) named."""

from __future__ import annotations

import json
import re

import pytest
from report_corpus_testing import toy_reports, write_reports_csv

from medgui.cli.ml import main

TINY = ["--option", "vocab_size=300", "--option", "max_tokens=64", "--option", "embed=16",
        "--option", "width=16"]  # fmt: skip


def test_train_then_infer_gives_every_report_a_probability_per_label(tmp_path, capsys):
    train = write_reports_csv(tmp_path / "train.csv", toy_reports(80, seed=2))
    model = tmp_path / "model"
    status = main(["train", "--task", "report", "--reports", str(train), "--out", str(model),
                   "--model", "cnn", "--epochs", "3", "--minutes", "1", "--batch-size", "16",
                   "--lr", "0.01", "--device", "cpu", *TINY])  # fmt: skip
    assert status == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["task"] == "report" and 0 <= summary["macro_f1"] <= 1
    held_out = toy_reports(7, seed=9)
    reports = write_reports_csv(tmp_path / "new.csv", held_out, with_labels=False)
    out = tmp_path / "out.json"
    assert main(["infer", "--model", str(model), str(reports), str(out), "--device", "cpu"]) == 0
    result = json.loads(out.read_text())
    assert list(result) == [r.id for r in held_out]
    for scores in result.values():
        assert sorted(scores) == ["Fracture", "Pleural Effusion", "Pneumothorax"]
        assert all(0.0 <= p <= 1.0 for p in scores.values())


def test_reports_are_for_the_report_task_only(tmp_path, capsys):
    args = ["train", "--task", "beats", "--reports", str(tmp_path / "r.csv"), "--out", "m"]
    assert main(args) == 2
    assert "--task report" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,text\n1,No effusion.\n", "missing column labels"),
        ("id,text,labels\n1,Small effusion.,Effusion\n2,,Effusion\n", r"row 3 \(id 2\): empty"),
        ("id,text,labels\n1,Small effusion.,Effusion\n2,No effusion.,\n", "only 1 label"),
    ],
)
def test_bad_training_input_is_an_error_naming_the_file(tmp_path, capsys, content, message):
    path = tmp_path / "train.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "--task", "report", "--reports", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}" in err and re.search(message, err), err
    assert not out.exists()  # a failed run leaves no half-made model folder


def test_a_label_never_positive_is_named(tmp_path, capsys):
    path = write_reports_csv(tmp_path / "train.csv", toy_reports(20, seed=3))
    args = ["train", "--task", "report", "--reports", str(path), "--out", str(tmp_path / "m"),
            "--option", 'labels=["Pneumothorax","Edema"]']  # fmt: skip
    assert main(args) == 1
    assert "train.csv: label 'Edema' is never positive" in capsys.readouterr().err


def test_infer_refuses_an_undecodable_file_and_a_wrong_output(tmp_path, capsys):
    train = write_reports_csv(tmp_path / "train.csv", toy_reports(40, seed=4))
    model = tmp_path / "model"
    assert main(["train", "--task", "report", "--reports", str(train), "--out", str(model),
                 "--model", "cnn", "--epochs", "1", "--device", "cpu", *TINY]) == 0  # fmt: skip
    bad = tmp_path / "latin.csv"
    bad.write_bytes("id,text\n1,Épanchement.\n".encode("cp1252"))
    assert main(["infer", "--model", str(model), str(bad), str(tmp_path / "o.json")]) == 1
    assert f"{bad}: not UTF-8 text" in capsys.readouterr().err
    assert main(["infer", "--model", str(model), str(train), str(tmp_path / "o.csv")]) == 1
    assert "o.csv: report inference writes JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "o.csv").exists()
