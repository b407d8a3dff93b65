"""What a table model is judged and explained by: folds that keep a patient on one side,
temperature calibration, the scikit-learn baselines, permutation importance and per-case
contributions. numpy and scikit-learn only (the network is given as a logits function).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, logsumexp, softmax
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from medgui.ml.tables.prepare import TablePrep

#: The baselines trained on the same folds and inputs as the MLP: (card key, label,
#: factory(seed, training rows)).
BASELINES: tuple[tuple[str, str, Callable[[int, int], object]], ...] = (
    (
        "logistic_regression",
        "Logistic regression",
        lambda seed, rows: LogisticRegression(max_iter=5000, class_weight="balanced"),
    ),
    (
        "gradient_boosting",
        "Gradient boosting",
        # scikit-learn's histogram gradient boosting (its fast implementation). Its default
        # leaf of 20 rows cannot split a table of a few dozen cases: a tenth of them, at least 2.
        lambda seed, rows: HistGradientBoostingClassifier(
            class_weight="balanced", random_state=seed, min_samples_leaf=max(2, min(20, rows // 10))
        ),
    ),
)
Logits = Callable[[np.ndarray], np.ndarray]


def macro_auc(y: np.ndarray, probabilities: np.ndarray) -> float:
    """ROC AUC: of the second class for two, else one-vs-rest averaged over the classes (NaN
    when a class is missing from `y`)."""
    k = probabilities.shape[1]
    if len(np.unique(y)) < k:
        return math.nan
    if k == 2:
        return float(roc_auc_score(y, probabilities[:, 1]))
    return float(roc_auc_score(y, probabilities, multi_class="ovr", labels=list(range(k))))


def table_metrics(y: np.ndarray, probabilities: np.ndarray, classes: list[str]):
    """({"auc", "accuracy", "balanced_accuracy", "macro_f1", "recall_<class>"}, the confusion
    matrix (rows: true class)). Undefined metrics (AUC without every class) are left out."""
    k = len(classes)
    predicted = probabilities.argmax(axis=1)
    confusion = confusion_matrix(y, predicted, labels=list(range(k)))
    totals = confusion.sum(axis=1)
    recall = np.diag(confusion) / np.maximum(totals, 1)
    present = totals > 0
    metrics = {
        "auc": macro_auc(y, probabilities),
        "accuracy": float(np.mean(predicted == y)),
        "balanced_accuracy": float(recall[present].mean()),
        "macro_f1": float(f1_score(y, predicted, labels=np.flatnonzero(present), average="macro",
                                   zero_division=0)),
    }  # fmt: skip
    metrics |= {f"recall_{c}": float(recall[i]) for i, c in enumerate(classes) if present[i]}
    return {key: v for key, v in metrics.items() if not math.isnan(v)}, confusion


def make_folds(
    y: np.ndarray, groups: list[str], n_folds: int, seed: int | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) of each fold: every group (patient) on one side only,
    classes balanced across folds as far as the groups allow (scikit-learn's
    StratifiedGroupKFold); as many folds as there are groups when fewer than `n_folds`.
    ValueError for fewer than two groups."""
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ValueError("cross-validation needs at least two patients (groups) in the table")
    splitter = StratifiedGroupKFold(min(n_folds, n_groups), shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "least populated class has fewer members": said below
        warnings.simplefilter("ignore", UserWarning)
        return list(splitter.split(np.zeros(len(y)), y, groups))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T)
    (Guo et al. 2017). One parameter: it keeps each row's ranking of classes, so the AUC and
    accuracy stay as they are, and it cannot overfit a few hundred rows as isotonic regression
    (a free monotone map per class) would."""

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / math.exp(log_t), axis=1)[np.arange(len(y)), y].mean())

    return float(math.exp(minimize_scalar(nll, bounds=(-4.0, 4.0), method="bounded").x))


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    return softmax(logits / temperature, axis=1)


def column_slices(prep: TablePrep) -> dict[str, slice]:
    """Where each raw column's outputs (value and indicator, or one-hot block) are."""
    slices, start = {}, 0
    for column in prep.columns:
        slices[column.name] = slice(start, start + len(column.outputs))
        start += len(column.outputs)
    return slices


def _cross_entropy(y: np.ndarray, logits: np.ndarray) -> float:
    return float(-log_softmax(logits, axis=1)[np.arange(len(y)), y].mean())


def permutation_importance(
    folds: list[tuple[Logits, np.ndarray, np.ndarray]],
    y: np.ndarray,
    slices: list[dict[str, slice]],
    repeats: int = 5,
    seed: int | None = 0,
) -> list[dict[str, float]]:
    """How much the out-of-fold cross-entropy (nats per case) grows when one raw column is
    shuffled among each fold's validation rows (Breiman 2001; its value and missing
    indicator, or its one-hot block, move together): {"feature", "importance" (mean growth),
    "sd"}, largest first. Cross-entropy rather than AUC: with a few cases the AUC is often
    1.0 whichever single column is shuffled (the others still rank the cases), while the
    evidence each column adds still shows in the loss. `folds` holds each fold's (logits
    function, validation rows, their model inputs)."""
    rng = np.random.default_rng(seed)
    pieces = [(rows, predict(x)) for predict, rows, x in folds]
    base = np.zeros((len(y), pieces[0][1].shape[1]))
    for rows, logits in pieces:
        base[rows] = logits
    reference = _cross_entropy(y, base)
    found = []
    for name in slices[0]:
        growths = []
        for _ in range(repeats):
            shuffled = base.copy()
            for (predict, rows, x), where in zip(folds, slices, strict=True):
                moved = x.copy()
                moved[:, where[name]] = x[rng.permutation(len(x))][:, where[name]]
                shuffled[rows] = predict(moved)
            growths.append(_cross_entropy(y, shuffled) - reference)
        found.append({"feature": name, "importance": float(np.mean(growths)),
                      "sd": float(np.std(growths))})  # fmt: skip
    return sorted(found, key=lambda item: -item["importance"])


def _log_odds(logits: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """log(p_c / (1 - p_c)) of class `chosen` per row, from the logits (exact where p_c
    rounds to 1): z_c − log Σ_{k≠c} exp z_k."""
    z = logits.astype(np.float64)
    rows = np.arange(len(chosen))
    others = z.copy()
    others[rows, chosen] = -np.inf
    return z[rows, chosen] - logsumexp(others, axis=1)


def contributions(
    predict: Logits, x: np.ndarray, reference: np.ndarray, slices: dict[str, slice], t: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-case occlusion effects: for each row and raw column, how much the log-odds of the
    predicted class fall when that column's inputs are set to the training average
    (`reference`, the average case). Positive: the column pushed this case towards its
    predicted class. Log-odds rather than probabilities: a confident prediction's probability
    barely moves (0.999 → 0.99) while its evidence changes tenfold. Returns (probabilities
    (rows, classes), effects (rows, columns))."""
    logits = predict(x) / t
    probabilities = softmax(logits, axis=1)
    chosen = probabilities.argmax(axis=1)
    base = _log_odds(logits, chosen)
    effects = np.zeros((len(x), len(slices)))
    for j, where in enumerate(slices.values()):
        occluded = x.copy()
        occluded[:, where] = reference[where]
        effects[:, j] = base - _log_odds(predict(occluded) / t, chosen)
    return probabilities, effects
