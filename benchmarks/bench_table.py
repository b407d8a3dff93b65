"""The table task's MLP against logistic regression and gradient boosting on scikit-learn's
bundled medical tables (no download), all on the same patient-grouped folds.

Data: `load_breast_cancer` (569 tumours, 30 nuclear features, malignant/benign) and
`load_diabetes` (442 patients, 10 baseline variables; the one-year progression score binarised
at its median: "progressed" above it). The figures are the out-of-fold AUC and accuracy that
`ml.tables.train.train_table` writes into the model card; the ratios divide the MLP's by each
baseline's (>1: the MLP is better).

    PYTHONPATH=. python benchmarks/bench_table.py [--epochs 40] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes

from medgui.ml.models.task import TrainConfig
from medgui.ml.tables.data import table_data
from medgui.ml.tables.train import train_table
from medgui.ml.training.events import Finished


def _rows(features: np.ndarray, names: list[str], labels: list[str]):
    columns = ["id", *names, "outcome"]
    rows = [
        {"id": str(i), **{n: f"{v:.6g}" for n, v in zip(names, x, strict=True)}, "outcome": t}
        for i, (x, t) in enumerate(zip(features, labels, strict=True))
    ]
    return columns, rows


def datasets() -> dict[str, tuple[list[str], list[dict]]]:
    cancer = load_breast_cancer()
    names = [n.replace(" ", "_") for n in cancer.feature_names]
    tables = {
        "breast_cancer": _rows(cancer.data, names, [cancer.target_names[t] for t in cancer.target])
    }
    diabetes = load_diabetes(scaled=False)
    median = np.median(diabetes.target)
    labels = ["progressed" if t > median else "stable" for t in diabetes.target]
    tables["diabetes"] = _rows(diabetes.data, list(diabetes.feature_names), labels)
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for name, (columns, rows) in datasets().items():
        data = table_data(columns, rows, "outcome", source=name)
        config = TrainConfig(task="table", epochs=args.epochs, batch_size=32, device="cpu",
                             seed=0, early_stopping_patience=8)  # fmt: skip
        start = time.perf_counter()
        finished = [
            e for e in train_table(config, data, folds=args.folds) if isinstance(e, Finished)
        ]
        seconds = time.perf_counter() - start
        comparison = finished[0].result.model.card.extra["comparison"]
        print(f"{name}: {len(rows)} rows, {len(data.features)} columns, {seconds:.0f} s")
        for model, scores in comparison.items():
            print(f"  {model:20s} AUC {scores['auc']:.4f}  accuracy {scores['accuracy']:.4f}")
            for metric in ("auc", "accuracy"):
                figures[f"{name}_{model}_{metric}"] = round(scores[metric], 4)
        for baseline in ("logistic_regression", "gradient_boosting"):
            for metric in ("auc", "accuracy"):
                ratio = comparison["mlp"][metric] / comparison[baseline][metric]
                figures[f"{name}_mlp_over_{baseline}_{metric}"] = round(ratio, 4)
                print(f"  MLP / {baseline} {metric}: {ratio:.3f}")
        figures[f"{name}_seconds"] = round(seconds, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
