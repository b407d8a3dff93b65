"""Classification metrics in numpy: accuracy, per-class recall, one-vs-rest AUC, confusion.

AUC uses the Mann–Whitney U statistic: the probability that a random positive scores above a
random negative (ties count half), computed from average ranks. It equals the area under the
ROC curve exactly and needs no scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np


def _labels(y_true: np.ndarray, n_classes: int) -> np.ndarray:
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    if y_true.size and (y_true.min() < 0 or y_true.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return y_true


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j]: samples of true class i predicted as class j."""
    y_true, y_pred = _labels(y_true, n_classes), _labels(y_pred, n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} labels but {y_pred.size} predictions")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of correct predictions (NaN for no samples)."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    return float(np.mean(y_true == y_pred)) if y_true.size else math.nan


def recall_per_class(confusion: np.ndarray) -> np.ndarray:
    """Recall (sensitivity) of each class; NaN for a class with no samples."""
    confusion = np.asarray(confusion, dtype=float)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, math.nan)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of `values`, ties sharing the mean of the ranks they span."""
    values = np.asarray(values, dtype=float).ravel()
    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0  # ranks first+1 .. first+count, averaged
    ranks = np.empty(values.size, dtype=float)
    ranks[order] = np.repeat(mean_rank, counts)
    return ranks


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC of `scores` for the boolean `positive`: (R+ - n+(n+ + 1)/2) / (n+ n-), with R+
    the sum of the positives' average ranks. NaN when either side has no samples."""
    positive = np.asarray(positive, dtype=bool).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    rank_sum = average_ranks(scores)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def macro_auc(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """One-vs-rest AUC averaged over the classes that have both positives and negatives
    (NaN when none has)."""
    probabilities = np.asarray(probabilities, dtype=float)
    y_true = _labels(y_true, probabilities.shape[1])
    per_class = [
        binary_auc(y_true == c, probabilities[:, c]) for c in range(probabilities.shape[1])
    ]
    defined = [a for a in per_class if not math.isnan(a)]
    return float(np.mean(defined)) if defined else math.nan


def classification_metrics(
    y_true: np.ndarray, probabilities: np.ndarray, classes: list[str]
) -> tuple[dict[str, float], np.ndarray]:
    """Finite float metrics ("accuracy", "auc", "recall_<class>") and the confusion matrix.

    A metric that is undefined on this data (AUC with one class present, the recall of a class
    with no samples) is left out rather than reported as NaN: cards and curves hold numbers.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(classes):
        raise ValueError(f"probabilities must be (samples, {len(classes)})")
    y_pred = probabilities.argmax(axis=1)
    confusion = confusion_matrix(y_true, y_pred, len(classes))
    metrics = {"accuracy": accuracy(y_true, y_pred), "auc": macro_auc(y_true, probabilities)}
    for name, recall in zip(classes, recall_per_class(confusion), strict=True):
        metrics[f"recall_{name}"] = float(recall)
    return {k: v for k, v in metrics.items() if not math.isnan(v)}, confusion
