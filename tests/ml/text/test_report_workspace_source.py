"""The report task trains on a workspace's imported reports, each labelled with the findings
its text states as positive; too few reports, or a label no report has, are clear errors."""

from __future__ import annotations

import pytest
from report_corpus_testing import toy_reports

from medgui.core.text.report import ReportText
from medgui.core.workspace.reports import ReportStore
from medgui.core.workspace.store import Workspace
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.text.infer import ReportModel
from medgui.ml.text.workspace_reports import workspace_rows
from medgui.ml.training.trainer import Trainer

TINY = {"vocab_size": 300, "max_tokens": 64, "embed": 16, "width": 16}


def _workspace(root, count, seed=0):
    store = ReportStore(root)
    reports = toy_reports(count, seed)
    for r in reports:
        store.add(ReportText(r.id, r.text, f"{r.id}.txt"))
    return Workspace(root), {r.id: r for r in reports}


def _config(out_dir, **options):
    return TrainConfig(
        task="report", model="cnn", epochs=2, batch_size=16, learning_rate=1e-2,
        device="cpu", early_stopping_patience=0, out_dir=str(out_dir),
        options={**TINY, **options},
    )  # fmt: skip


def test_each_report_is_labelled_with_its_positive_findings(tmp_path):
    workspace, written = _workspace(tmp_path / "ws", 30)
    rows, problems = workspace_rows(workspace.root)
    assert problems == [] and len(rows) == 30
    for row in rows:
        toy = set(written[row.id].labels)
        found = set(row.labels) - {"No Finding"}
        assert found == toy, (row.text, row.labels)  # "no pneumothorax" is not a label


def test_training_on_a_workspace_learns_its_report_findings(tmp_path):
    workspace, _written = _workspace(tmp_path / "ws", 80)
    events = list(Trainer(get_task("report"), _config(tmp_path / "m")).run(workspace))
    result = events[-1].result
    model = ReportModel.load(result.model_dir)
    assert {"Pneumothorax", "Pleural Effusion", "Fracture"} <= set(model.labels)
    card = result.model.card
    assert card.series[0]["files"] == 80  # the report files it read
    assert len(card.split["train"]) + len(card.split["val"]) == 80


def test_too_few_reports_or_a_label_without_positives_is_a_clear_error(tmp_path):
    few, _ = _workspace(tmp_path / "few", 3)
    with pytest.raises(ValueError, match="3 report.*at least 5"):
        get_task("report").make_split(_config(tmp_path / "a"), few)
    workspace, _ = _workspace(tmp_path / "ws", 20)
    config = _config(tmp_path / "b", labels=["Pneumothorax", "Edema"])
    with pytest.raises(ValueError, match="'Edema' is never positive"):
        get_task("report").make_split(config, workspace)


def test_the_command_line_trains_on_a_workspace(tmp_path, capsys):
    from medgui.cli.ml import main

    workspace, _written = _workspace(tmp_path / "ws", 40)
    out = tmp_path / "model"
    status = main(["train", "--task", "report", "--workspace", str(workspace.root), "--out",
                   str(out), "--model", "cnn", "--epochs", "2", "--batch-size", "16",
                   "--device", "cpu", "--option", "vocab_size=300", "--option", "embed=16",
                   "--option", "width=16"])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert "Pneumothorax" in ReportModel.load(out).labels
