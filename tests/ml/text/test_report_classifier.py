"""The report task: training a small network learns a separable toy corpus, thresholds come
from validation and travel in the card with the tokenizer (also through a registry bundle),
and attributions point at the finding's words."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from report_corpus_testing import toy_reports, write_reports_csv

from medgui.ml.models.card import read_card
from medgui.ml.models.registry import ModelRegistry
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.text.attribution import label_spans
from medgui.ml.text.data import read_reports_csv
from medgui.ml.text.infer import ReportModel
from medgui.ml.text.metrics import best_threshold
from medgui.ml.training.checkpoint import TrainedModel
from medgui.ml.training.trainer import Trainer

TINY = {"vocab_size": 300, "max_tokens": 64, "embed": 24, "width": 24}


def _train(csv_path, out_dir, epochs=12, model="cnn"):
    config = TrainConfig(
        task="report", model=model, epochs=epochs, batch_size=16, learning_rate=1e-2,
        device="cpu", early_stopping_patience=0, out_dir=str(out_dir), options=dict(TINY),
    )  # fmt: skip
    events = list(Trainer(get_task("report"), config).run(csv_path))
    return events[-1].result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    csv_path = write_reports_csv(folder / "train.csv", toy_reports(160, seed=0))
    return csv_path, _train(csv_path, folder / "model")


def test_a_few_seconds_of_training_learn_a_separable_corpus(trained, tmp_path):
    _csv, result = trained
    assert result.metrics["macro_f1"] > 0.95 and result.metrics["macro_auc"] > 0.98
    model = ReportModel.load(result.model_dir)
    held_out = toy_reports(60, seed=7)
    predicted = model.predict([r.text for r in held_out])
    right = sum(sorted(p) == sorted(r.labels) for p, r in zip(predicted, held_out, strict=True))
    assert right >= 55, predicted
    assert model.predict(["FINDINGS: No pneumothorax. Large left pleural effusion."]) == [
        ["Pleural Effusion"]
    ]


def test_the_thresholds_are_each_labels_best_f1_on_validation(trained):
    csv_path, result = trained
    card = read_card(result.model_dir / "card.json")
    assert card.classes == ["Fracture", "Pleural Effusion", "Pneumothorax"]
    rows = {r.id: r for r in read_reports_csv(csv_path, labels=True)}
    val = [rows[i] for i in card.split["val"]]
    assert len(val) == 32 and not set(card.split["val"]) & set(card.split["train"])
    model = ReportModel.load(result.model_dir)
    p = model.probabilities([r.text for r in val])
    for k, name in enumerate(card.classes):
        y = np.array([name in r.labels for r in val], float)
        assert card.extra["thresholds"][name] == pytest.approx(best_threshold(p[:, k], y)[0])
    assert model.thresholds.tolist() == [card.extra["thresholds"][n] for n in card.classes]
    assert len(card.extra["pos_weight"]) == 3 and min(card.extra["pos_weight"]) >= 1.0
    assert card.series[0]["id"] == "train.csv" and card.hyperparameters["options"]["embed"] == 24


def test_the_card_carries_the_tokenizer_through_a_registry_bundle(trained, tmp_path):
    _csv, result = trained
    registry = ModelRegistry(tmp_path / "ws")
    loaded = TrainedModel.load(result.model_dir)
    version = registry.save_version("reports", loaded.network.state_dict(), loaded.card)
    bundle = registry.export_bundle(version, tmp_path / "reports.zip")
    imported = ModelRegistry(tmp_path / "other").import_bundle(bundle)
    text = ["FINDINGS: Small right pneumothorax. No acute fracture."]
    original = ReportModel.load(result.model_dir).probabilities(text)
    assert np.array_equal(ReportModel.load(imported.path).probabilities(text), original)


def test_attribution_spans_point_at_the_findings_words(trained):
    _csv, result = trained
    model = ReportModel.load(result.model_dir)
    text = "FINDINGS: Large right pneumothorax. No pleural effusion."
    spans = label_spans(model, text, ["Pneumothorax", "Pleural Effusion"])
    strongest = max(spans["Pneumothorax"], key=lambda s: s.weight)
    assert text[strongest.start : strongest.end] == "pneumothorax" and strongest.weight == 1.0
    # "No" is what says there is no effusion: it pushes hardest against the label.
    against = min(spans["Pleural Effusion"], key=lambda s: s.weight)
    assert text[against.start : against.end] == "No" and against.weight < 0
    words = [text[s.start : s.end] for s in spans["Pneumothorax"]]
    # Punctuation is no word to highlight.
    assert words == ["FINDINGS", "Large", "right", "pneumothorax", "No", "pleural", "effusion"]
    with pytest.raises(ValueError, match="unknown label 'Edema'"):
        label_spans(model, text, ["Edema"])


def test_subword_pieces_of_one_word_make_one_span(trained):
    _csv, result = trained
    model = ReportModel.load(result.model_dir)
    text = "Tiny lft pneumothoraxx."  # misspellings: several pieces each
    assert len(model.encode([text])[0].ids) > 4
    spans = label_spans(model, text)["Pneumothorax"]
    assert [text[s.start : s.end] for s in spans] == ["Tiny", "lft", "pneumothoraxx"]
    assert max(abs(s.weight) for s in spans) == pytest.approx(1.0)


def test_the_bigru_network_trains_and_reloads(tmp_path):
    csv_path = write_reports_csv(tmp_path / "train.csv", toy_reports(60, seed=1))
    result = _train(csv_path, tmp_path / "gru", epochs=2, model="bigru")
    model = ReportModel.load(result.model_dir)
    assert model.network.encoder.__class__.__name__ == "_BiGRU"
    p = model.probabilities(["No pneumothorax.", "FINDINGS: Right rib fracture."])
    assert p.shape == (2, 3) and np.isfinite(p).all()
    assert torch.equal(
        model.network.thresholds, torch.tensor(model.thresholds, dtype=torch.float32)
    )


def test_a_hostile_card_size_is_refused_before_any_allocation(trained, tmp_path):
    import json
    import shutil

    _csv, result = trained
    copy = tmp_path / "m"
    shutil.copytree(result.model_dir, copy, ignore=shutil.ignore_patterns("checkpoint"))
    card = json.loads((copy / "card.json").read_text())
    card["hyperparameters"]["options"]["vocab_size"] = 10**9
    (copy / "card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="options.vocab_size' must be 2 to"):
        ReportModel.load(copy)


def test_a_resumed_run_keeps_the_tokenizer_its_checkpoint_was_trained_with(tmp_path):
    csv_path = write_reports_csv(tmp_path / "train.csv", toy_reports(60, seed=5))
    first = _train(csv_path, tmp_path / "m", epochs=1)
    fitted = read_card(first.model_dir / "card.json").extra["tokenizer"]
    config = TrainConfig(
        task="report", model="cnn", epochs=2, batch_size=16, device="cpu",
        out_dir=str(tmp_path / "m"), options=dict(TINY),
    )  # fmt: skip
    trainer = Trainer(get_task("report"), config)
    result = list(trainer.run(csv_path, resume_from=tmp_path / "m" / "checkpoint"))[-1].result
    assert result.epochs_run == 2
    # Fitting again would number the pieces differently (the fit is not repeatable).
    assert read_card(result.model_dir / "card.json").extra["tokenizer"] == fitted
