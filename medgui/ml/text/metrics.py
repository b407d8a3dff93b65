"""Multi-label scores of a report model: per-label thresholds that maximise F1, and the macro
F1 and macro AUC over the labels that validation can score."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The threshold on the probabilities `p` that gives the highest F1 against the 0/1 `y`,
    and that F1. The threshold is halfway between the last score called positive and the next
    (a margin on both sides); 0.5 and F1 nan when `y` has no positive."""
    positives = int(y.sum())
    if positives == 0:
        return 0.5, float("nan")
    order = np.argsort(-p, kind="stable")
    ranked, truth = p[order], y[order]
    tp = np.cumsum(truth)
    called = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (called + positives)
    # Only cut where the score changes: tied scores are called together.
    cut = np.append(ranked[1:] < ranked[:-1], True)
    f1 = np.where(cut, f1, -1.0)
    k = int(np.argmax(f1))
    below = ranked[k + 1] if k + 1 < len(ranked) else 0.0
    return float((ranked[k] + below) / 2), float(f1[k])


def f1_at(p: np.ndarray, y: np.ndarray, threshold: float) -> float:
    """F1 of calling `p >= threshold` positive; nan when `y` has no positive."""
    if not y.any():
        return float("nan")
    called = p >= threshold
    tp = float((called & (y > 0)).sum())
    return 2 * tp / (called.sum() + y.sum())


def scores(p: np.ndarray, y: np.ndarray, thresholds: np.ndarray, names: list[str]) -> dict:
    """ "macro_f1" (at `thresholds`), "macro_auc" and per label "f1_NAME" and "auc_NAME" of
    the probabilities `p` (reports, labels) against `y`; a label without positives (or without
    negatives, for AUC) is left out of the means."""
    out: dict[str, float] = {}
    f1s, aucs = [], []
    for k, name in enumerate(names):
        f1 = f1_at(p[:, k], y[:, k], float(thresholds[k]))
        if np.isfinite(f1):
            f1s.append(f1)
            out[f"f1_{name}"] = f1
        if 0 < y[:, k].sum() < len(y):
            auc = float(roc_auc_score(y[:, k], p[:, k]))
            aucs.append(auc)
            out[f"auc_{name}"] = auc
    out["macro_f1"] = float(np.mean(f1s)) if f1s else float("nan")
    out["macro_auc"] = float(np.mean(aucs)) if aucs else float("nan")
    return out
