"""Report classifier inputs: the CSV and its errors, the label set, the split, the tokenizer
and the threshold choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from report_corpus_testing import make_reports, toy_reports, write_reports_csv

from medgui.ml.text import tokenizer as tok
from medgui.ml.text.data import label_set, read_reports_csv, stratified_split
from medgui.ml.text.metrics import best_threshold, scores


def _csv(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_reports_and_their_labels_are_read_with_quoted_newlines(tmp_path):
    path = _csv(
        tmp_path / "r.csv",
        '\ufeffid,text,labels\na1,"FINDINGS: Small effusion.\nIMPRESSION: Effusion.",'
        "Pleural Effusion; Edema\na2,No acute process.,\n",
    )
    rows = read_reports_csv(path, labels=True)
    assert [r.id for r in rows] == ["a1", "a2"] and [r.row for r in rows] == [2, 3]
    assert rows[0].text.endswith("IMPRESSION: Effusion.")
    assert rows[0].labels == ("Pleural Effusion", "Edema") and rows[1].labels == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,body\n1,x\n", r"missing column text, labels .*found id,body"),
        ("id,text\n1,x\n", "missing column labels"),
        ("id,text,labels\n", "no reports"),
        ("id,text,labels\n1,Effusion.,A\n2,   ,B\n", r"row 3 \(id 2\): empty text"),
        ("id,text,labels\n1,Effusion.,A\n1,Edema.,B\n", "row 3: id '1' repeats row 2"),
        ("id,text,labels\n,Effusion.,A\n", "row 2: empty id"),
    ],
)
def test_a_bad_csv_names_the_file_and_the_row(tmp_path, content, message):
    path = _csv(tmp_path / "bad.csv", content)
    with pytest.raises(ValueError, match=message) as caught:
        read_reports_csv(path, labels=True)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    path = _csv(tmp_path / "latin.csv", "id,text,labels\n1,Épanchement pleural.,A\n", "latin-1")
    with pytest.raises(ValueError, match=r"latin.csv: not UTF-8 text \(byte 0xc9 on line 2\)"):
        read_reports_csv(path, labels=True)


def test_the_label_set_needs_two_labels_each_positive_and_not_always(tmp_path):
    path = tmp_path / "r.csv"
    rows = read_reports_csv(_csv(path, "id,text,labels\n1,a b,A\n2,c d,A;B\n3,e f,\n"), labels=True)
    assert label_set(path, rows, None) == ["A", "B"]
    with pytest.raises(ValueError, match="only 1 label \\(A\\).*at least two"):
        label_set(path, rows[:1], None)
    with pytest.raises(ValueError, match="r.csv: label 'C' is never positive"):
        label_set(path, rows, ["A", "B", "C"])
    with pytest.raises(ValueError, match="label 'A' is positive in every report"):
        label_set(path, rows[:2], None)


def test_every_label_with_two_positives_gets_one_to_validate_on():
    reports = make_reports(300, seed=3)
    names = sorted({n for r in reports for n in r.labels})
    y = np.array([[n in r.labels for n in names] for r in reports], np.float32)
    y[:, 0] = 0
    y[[5, 9], 0] = 1  # a label with two positives only: one each side
    val = stratified_split(y, 0.2, seed=0)
    assert abs(val.sum() - 60) <= 2
    for k in range(len(names)):
        positives = y[:, k] > 0
        assert val[positives].any() and (~val[positives]).any(), names[k]
    assert np.array_equal(val, stratified_split(y, 0.2, seed=0))


def test_the_fitted_tokenizer_reloads_from_json_with_the_same_ids():
    texts = [r.text for r in make_reports(200, seed=4)]
    fitted = tok.fit_tokenizer(texts, vocab_size=600)
    again = tok.from_json(tok.to_json(fitted), "card")
    probe = texts[:20] + ["Interval resoltuion of the R pnuemothorax w/o effusion."]
    first, second = tok.encode(fitted, probe, 64), tok.encode(again, probe, 64)
    assert [e.ids for e in first] == [e.ids for e in second]
    assert [e.offsets for e in first] == [e.offsets for e in second]
    assert all(len(e.ids) <= 64 for e in first)
    assert fitted.get_vocab_size() <= 600 and fitted.token_to_id(tok.PAD) == 0
    # A misspelling becomes known pieces, not one unknown token.
    pieces = fitted.encode("pnuemothorax").tokens
    assert len(pieces) > 1 and tok.UNK not in pieces


def test_a_tokenizer_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="card.json: no report tokenizer"):
        tok.from_json(None, "card.json")
    with pytest.raises(ValueError, match="card.json: the report tokenizer cannot be read"):
        tok.from_json(json.dumps({"model": "nothing"}), "card.json")
    swapped = tok.fit_tokenizer([r.text for r in toy_reports(30)], 200)
    document = json.loads(tok.to_json(swapped))
    vocab = document["model"]["vocab"]
    vocab["[PAD]"], vocab["[UNK]"] = 1, 0
    for entry in document["added_tokens"]:
        entry["id"] = 1 - entry["id"]
    with pytest.raises(ValueError, match="padding token is not id 0"):
        tok.from_json(json.dumps(document), "card.json")


def test_the_threshold_is_the_one_with_the_best_f1_halfway_to_the_next_score():
    p = np.array([0.9, 0.8, 0.35, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 1])
    # Calling the top 3 gives F1 2·3/(3+4) = 0.857; all six: 2·4/(6+4) = 0.8.
    threshold, f1 = best_threshold(p, y)
    assert threshold == pytest.approx(0.325) and f1 == pytest.approx(6 / 7)
    assert best_threshold(p, np.zeros(6))[0] == 0.5
    tied = best_threshold(np.array([0.5, 0.5, 0.1]), np.array([1, 0, 0]))
    assert tied[0] == pytest.approx(0.3)  # tied scores are called together
    result = scores(np.stack([p, p], 1), np.stack([y, np.zeros(6)], 1), np.array([0.325, 0.5]),
                    ["A", "B"])  # fmt: skip
    assert result["macro_f1"] == pytest.approx(6 / 7)  # B has no positive: left out
    assert result["macro_auc"] == pytest.approx(result["auc_A"]) and "auc_B" not in result


def test_generated_reports_write_the_training_csv(tmp_path):
    reports = toy_reports(5, seed=1)
    rows = read_reports_csv(write_reports_csv(tmp_path / "t.csv", reports), labels=True)
    assert [r.labels for r in rows] == [tuple(r.labels) for r in reports]


def test_the_generated_corpus_is_the_same_whatever_the_hash_seed():
    """The benchmark's figures depend on the corpus: it must not change with set order."""
    code = (
        "from report_corpus_testing import make_reports;"
        "print(repr([(r.text, r.labels) for r in make_reports(300, 1)]))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = os.environ | {"PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).parents[1])}
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
