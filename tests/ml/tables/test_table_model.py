"""The table task: column typing and preprocessing, folds that keep patients apart,
calibration, the cross-validated MLP with its baselines, importance, contributions, and
`medgui train/infer --task table` on scikit-learn's bundled breast cancer data."""

import csv
import json

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.datasets import load_breast_cancer

from medgui.cli.main import main
from medgui.ml.models.card import read_card
from medgui.ml.models.task import TrainConfig
from medgui.ml.tables.data import read_table
from medgui.ml.tables.evaluate import fit_temperature, make_folds
from medgui.ml.tables.infer import load_table_model, predict_rows
from medgui.ml.tables.prepare import TablePrep, column_kind
from medgui.ml.tables.train import train_table
from medgui.ml.training.events import Finished


def _write(path, columns, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def test_columns_are_typed_imputed_with_indicators_and_one_hot():
    data = {"size": ["1", "", "3", "NA"], "sex": ["M", "F", "", "M"]}
    kinds = {name: column_kind(name, cells, "t.csv") for name, cells in data.items()}
    assert kinds == {"size": "numeric", "sex": "categorical"}
    prep = TablePrep.fit(data, kinds)
    assert prep.outputs == ["size", "size (missing)", "sex=F", "sex=M", "sex (missing)"]
    x = prep.transform(data, 4)
    assert x[:, 1].tolist() == [0, 1, 0, 1]  # the indicator
    assert x[1, 0] == x[3, 0] == pytest.approx((2 - 2) / prep.columns[0].sd)  # median 2
    assert x[:, 0].mean() == pytest.approx(0, abs=1e-6)
    new = prep.transform({"sex": ["X"]}, 1)  # unseen category, absent numeric column
    assert new[0, 2:].tolist() == [0, 0, 0] and new[0, 1] == 1
    again = TablePrep.from_json(json.loads(json.dumps(prep.to_json())), "card")
    assert np.array_equal(again.transform(data, 4), x)


def test_bad_tables_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="t.csv: column 'note' is empty in every row"):
        column_kind("note", ["", "NA"], "t.csv")
    words = [f"word{i}" for i in range(30)]
    with pytest.raises(ValueError, match="column 'name' is not numeric .* 30 distinct values"):
        column_kind("name", words, "t.csv")
    path = _write(tmp_path / "t.csv", ["id", "x", "y"], [["a", 1, "yes"], ["b", 2, "yes"]])
    with pytest.raises(ValueError, match="t.csv: no target column 'outcome'"):
        read_table(path, "outcome")
    with pytest.raises(ValueError, match="needs at least two classes, found 'yes'"):
        read_table(path, "y")
    with pytest.raises(ValueError, match="no id column 'case'"):
        read_table(path, "y", id_column="case")


def test_folds_keep_each_patient_on_one_side():
    groups = [f"P{i // 3}" for i in range(60)]  # three rows per patient
    y = np.array([(i // 3) % 2 for i in range(60)])
    folds = make_folds(y, groups, 5, seed=0)
    assert len(folds) == 5
    for train, val in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in val}
        assert set(y[val]) == {0, 1}  # stratified
    assert sorted(np.concatenate([val for _, val in folds]).tolist()) == list(range(60))
    with pytest.raises(ValueError, match="at least two patients"):
        make_folds(y, ["P"] * 60, 5, 0)


def test_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, (4000, 3))
    y = np.array([rng.choice(3, p=p) for p in softmax(logits, axis=1)])
    assert fit_temperature(logits * 3, y) == pytest.approx(3, rel=0.15)


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    """200 rows of the Wisconsin breast cancer data, 6 columns, 2 rows per "patient", a
    categorical column and holes."""
    data = load_breast_cancer()
    rng = np.random.default_rng(0)
    rows = []
    for i in rng.choice(len(data.target), 200, replace=False):
        cells = [f"{v:.5g}" for v in data.data[i, :6]]
        if rng.random() < 0.1:
            cells[0] = ""
        site = ["left", "right"][int(rng.random() < 0.5)]
        name = data.target_names[data.target[i]]
        rows.append([f"r{i}", f"P{len(rows) // 2}", *cells, site, name])
    names = [n.replace(" ", "_") for n in data.feature_names[:6]]
    folder = tmp_path_factory.mktemp("cancer")
    return _write(folder / "cancer.csv", ["id", "patient_id", *names, "site", "diagnosis"], rows)


@pytest.fixture(scope="module")
def trained(cancer_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "model"
    config = TrainConfig(task="table", epochs=8, batch_size=32, device="cpu", seed=0,
                         early_stopping_patience=4, out_dir=str(out))  # fmt: skip
    events = list(train_table(config, read_table(cancer_csv, "diagnosis"), folds=3))
    assert isinstance(events[-1], Finished)
    return events, out


def test_cross_validated_mlp_with_baselines_on_the_same_folds(trained):
    events, out = trained
    card = json.loads((out / "card.json").read_text())
    comparison = card["extra"]["comparison"]
    assert set(comparison) == {"mlp", "logistic_regression", "gradient_boosting"}
    for scores in comparison.values():
        assert scores["auc"] > 0.85 and scores["accuracy"] > 0.75
        assert {"balanced_accuracy", "macro_f1"} <= set(scores)
    assert card["classes"] == ["benign", "malignant"]
    assert card["extra"]["calibration"]["temperature"] > 0
    assert len(card["extra"]["oof"]["probabilities"]) == 200
    assert sum(map(sum, card["extra"]["confusion"])) == 200
    names = {item["feature"] for item in card["extra"]["importance"]}
    assert names == {"mean_radius", "mean_texture", "mean_perimeter", "mean_area",
                     "mean_smoothness", "mean_compactness", "site"}  # fmt: skip
    assert sum(1 for e in events if type(e).__name__ == "EpochDone") > 3  # the curves
    assert events[-1].result.metrics["mlp_auc"] == comparison["mlp"]["auc"]
    summary = read_card(out / "card.json").summary()
    for model in ("mlp", "logistic regression", "gradient boosting"):
        assert f"Cross-validated {model}: auc " in summary


def test_inference_ignores_new_columns_and_imputes_missing_ones(trained, cancer_csv):
    _, out = trained
    model = load_table_model(out)
    columns = ["id", "mean_radius", "mean_texture", "unused"]
    rows = [{"id": "a", "mean_radius": "25", "mean_texture": "25", "unused": "?"},
            {"id": "b", "mean_radius": "9", "mean_texture": "12", "unused": "1"}]  # fmt: skip
    found = predict_rows(model, columns, rows)
    assert found.ignored == ["unused"]
    assert "mean_area" in found.missing and "site" in found.missing
    probabilities = found.as_json()
    assert probabilities["a"]["malignant"] > probabilities["b"]["malignant"]
    assert sum(probabilities["a"].values()) == pytest.approx(1)
    assert found.effects.shape == (2, 7)


def test_contributions_and_importance_find_the_column_that_decides(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for i in range(120):
        decisive, noise = rng.normal(), rng.normal()
        rows.append([str(i), f"{decisive:.4f}", f"{noise:.4f}", "yes" if decisive > 0 else "no"])
    path = _write(tmp_path / "toy.csv", ["id", "decisive", "noise", "label"], rows)
    config = TrainConfig(task="table", epochs=15, batch_size=16, device="cpu", seed=0,
                         early_stopping_patience=0, out_dir=str(tmp_path / "m"))  # fmt: skip
    list(train_table(config, read_table(path, "label"), folds=3))
    model = load_table_model(tmp_path / "m")
    assert model.card.extra["importance"][0]["feature"] == "decisive"
    found = predict_rows(model, ["id", "decisive", "noise"],
                         [{"id": "x", "decisive": "2.5", "noise": "0"}])  # fmt: skip
    assert found.as_json()["x"]["yes"] > 0.8
    assert found.effects[0, 0] > abs(found.effects[0, 1])


def test_train_and_infer_commands(cancer_csv, tmp_path, capsys):
    out = tmp_path / "model"
    code = main(["train", "--task", "table", "--table", str(cancer_csv), "--target", "diagnosis",
                 "--out", str(out), "--epochs", "3", "--batch-size", "64", "--device", "cpu",
                 "--option", "folds=2"])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["task"] == "table" and "gradient_boosting_auc" in summary
    result = tmp_path / "p.json"
    assert main(["infer", "--model", str(out), str(cancer_csv), str(result)]) == 0
    predictions = json.loads(result.read_text())
    assert len(predictions) == 200 and set(
        predictions["r0"] if "r0" in predictions else next(iter(predictions.values()))
    ) == {"benign", "malignant"}
    bad = _write(tmp_path / "one.csv", ["id", "x", "y"], [["a", 1, "k"], ["b", 2, "k"]])
    assert main(["train", "--task", "table", "--table", str(bad), "--target", "y",
                 "--out", str(tmp_path / "no")]) == 1  # fmt: skip
    assert "needs at least two classes" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
