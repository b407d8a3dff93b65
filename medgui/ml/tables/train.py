"""Training the table task: cross-validated MLP, calibration, baselines, importance, card.

`train_table` is a generator of the `Trainer`'s events (each fold's epochs, then the final
fit's), ending with `Finished`, so the CLI's progress and the dock's training worker consume it
as they consume any training run:

1. folds (`evaluate.make_folds`: a patient's rows on one side) - on each, the MLP trains with
   early stopping on the validation rows, and the two scikit-learn baselines fit the very same
   inputs; every model predicts its fold's validation rows (out-of-fold predictions);
2. the temperature is fitted on the MLP's out-of-fold logits (`evaluate.fit_temperature`);
3. permutation importance on the out-of-fold rows, each fold's model on its own rows;
4. the final MLP trains on every row for the folds' median best epoch count;
5. the card records the preprocessing, the temperature, each model's cross-validated AUC,
   accuracy, balanced accuracy and macro F1, the confusion matrix, the out-of-fold
   predictions (the dock's ROC curve) and the importance.

SHAP values are not computed: no package for them is installed, and the exact values cost
2^(columns) evaluations; the per-case occlusion effects (`evaluate.contributions`) answer
"what drove this case" at one evaluation per column.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from medgui.ml.models.task import TrainConfig
from medgui.ml.runtime.device import pick_device
from medgui.ml.tables.data import TableData
from medgui.ml.tables.evaluate import (
    BASELINES,
    calibrated,
    column_slices,
    fit_temperature,
    make_folds,
    permutation_importance,
    table_metrics,
)
from medgui.ml.tables.network import logits_of
from medgui.ml.tables.task import TableFold, TableTask
from medgui.ml.training.events import Finished, Message, TrainResult
from medgui.ml.training.trainer import Trainer

DEFAULT_FOLDS = 5
_CALIBRATION = "temperature scaling fitted on the out-of-fold logits"


def _run(trainer: Trainer, fold: TableFold, quiet: bool) -> Iterator[Any]:
    """Forward `trainer`'s events but its `Finished` (returned); `quiet` drops its warning
    about training without validation (the final fit has none by design)."""
    result = None
    for event in trainer.run(fold):
        if isinstance(event, Finished):
            result = event.result
        elif not (quiet and isinstance(event, Message) and event.warning):
            yield event
    return result


def _scores(y: np.ndarray, probabilities: np.ndarray, classes: list[str]) -> dict[str, float]:
    metrics, _ = table_metrics(y, probabilities, classes)
    keys = ("auc", "accuracy", "balanced_accuracy", "macro_f1")
    return {k: metrics[k] for k in keys if k in metrics}


def train_table(
    config: TrainConfig, data: TableData, *, folds: int = DEFAULT_FOLDS
) -> Iterator[Any]:
    """Train and evaluate the table model on `data` (see the module docstring); yields the
    trainer's events and ends with `Finished` (the model saved to `config.out_dir` if set).

    Runs on one CPU thread: the matrices are tens of columns wide, so more threads (torch's
    and gradient boosting's OpenMP) only wait on each other (8 times slower on two busy
    cores, measured)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield from _train_table(config, data, folds)
    finally:
        torch.set_num_threads(previous)


def _train_table(config: TrainConfig, data: TableData, folds: int) -> Iterator[Any]:
    choice = pick_device(config.device)
    splits = make_folds(data.y, data.groups, folds, config.seed)
    n, k = len(data.y), len(data.classes)
    for problem in data.problems:
        yield Message(problem, warning=True)
    smallest = int(np.bincount(data.y, minlength=k).min())
    if smallest < len(splits):
        yield Message(f"a class has {smallest} rows for {len(splits)} folds: some folds lack it",
                      warning=True)  # fmt: skip
    oof = np.zeros((n, k))
    baseline_oof = {key: np.zeros((n, k)) for key, _, _ in BASELINES}
    fitted, best_epochs, histories = [], [], []
    fold_config = replace(config, out_dir="", validation="patient")
    for number, (train_rows, val_rows) in enumerate(splits, start=1):
        yield Message(f"fold {number} of {len(splits)}: {len(train_rows)} rows train, "
                      f"{len(val_rows)} validate")  # fmt: skip
        task = TableTask()
        trainer = Trainer(task, fold_config, device=choice)
        result = yield from _run(trainer, TableFold(data, train_rows, val_rows), quiet=False)
        predict = logits_of(result.model.network, choice.device)
        x_train = task.prep.transform(data.subset(train_rows), len(train_rows))
        x_val = task.prep.transform(data.subset(val_rows), len(val_rows))
        oof[val_rows] = predict(x_val)
        fitted.append((predict, val_rows, x_val, column_slices(task.prep)))
        best_epochs.append(result.best_epoch)
        histories.append(result.history)
        for key, _label, factory in BASELINES:
            model = factory(config.seed or 0, len(train_rows)).fit(x_train, data.y[train_rows])
            proba = np.zeros((len(val_rows), k))
            proba[:, model.classes_] = model.predict_proba(x_val)
            baseline_oof[key][val_rows] = proba
    temperature = fit_temperature(oof, data.y)
    probabilities = calibrated(oof, temperature)
    comparison = {"mlp": _scores(data.y, probabilities, data.classes)}
    for key, _label, _factory in BASELINES:
        comparison[key] = _scores(data.y, baseline_oof[key], data.classes)
    yield Message("permutation importance on the out-of-fold rows")
    importance = permutation_importance(
        [(p, rows, x) for p, rows, x, _ in fitted], data.y, [s for *_, s in fitted],
        seed=config.seed,
    )  # fmt: skip
    epochs = max(1, int(np.median(best_epochs)))
    yield Message(f"final fit on all {n} rows for {epochs} epochs (the folds' median best)")
    task = TableTask()
    final_config = replace(config, epochs=epochs, early_stopping_patience=0, validation="none")
    final_config.options = dict(config.options)
    trainer = Trainer(task, replace(final_config, out_dir=""), device=choice)
    everything = np.arange(n)
    result = yield from _run(trainer, TableFold(data, everything, everything[:0]), quiet=True)
    x_all = task.prep.transform(data.subset(everything), n)
    _, confusion = table_metrics(data.y, probabilities, data.classes)
    card = result.model.card
    card.hyperparameters = final_config.to_json()
    card.hyperparameters["options"] |= {"n_inputs": x_all.shape[1], "classes": data.classes}
    card.best = {"metric": "cv_auc", "value": comparison["mlp"].get("auc"), "epoch": epochs}
    card.split = {
        "train": list(data.ids),
        "val": [],
        "info": {"unit": "rows", "folds": len(splits), "grouped_by": "patient_id",
                 "problems": list(data.problems)},
    }  # fmt: skip
    card.extra |= {
        "target": data.target,
        "id_column": data.id_column,
        "calibration": {"method": _CALIBRATION, "temperature": temperature},
        "comparison": comparison,
        "confusion": confusion.tolist(),
        "importance": importance,
        "reference": x_all.mean(axis=0).astype(float).tolist(),
        "oof": {"ids": list(data.ids), "y": data.y.tolist(),
                "probabilities": probabilities.round(6).tolist()},
        "fold_best_epochs": best_epochs,
        "fold_epochs": histories,
    }  # fmt: skip
    model_dir = result.model.save(config.out_dir) if config.out_dir else None
    metrics = {f"{key}_{name}": value for key, scores in comparison.items()
               for name, value in scores.items() if math.isfinite(value)}  # fmt: skip
    yield Finished(
        TrainResult(result.model, metrics, epochs, epochs, "epochs", result.history, model_dir)
    )
