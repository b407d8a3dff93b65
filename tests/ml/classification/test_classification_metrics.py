"""Classification metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medgui.ml.classification.metrics import (
    accuracy,
    average_ranks,
    binary_auc,
    classification_metrics,
    confusion_matrix,
    macro_auc,
    recall_per_class,
)


def test_binary_auc_by_hand():
    # Positives score 0.9, 0.4, 0.6; negatives 0.1, 0.4, 0.7. Of the 9 (positive, negative)
    # pairs the positive wins 0.9>all three, 0.6>0.1 and 0.6>0.4, 0.4>0.1: 6 wins, plus the
    # 0.4 = 0.4 tie counting half: AUC = 6.5 / 9.
    positive = [1, 1, 1, 0, 0, 0]
    scores = [0.9, 0.4, 0.6, 0.1, 0.4, 0.7]
    assert binary_auc(positive, scores) == pytest.approx(6.5 / 9)
    assert binary_auc([1, 0], [0.8, 0.2]) == 1.0
    assert binary_auc([1, 0], [0.2, 0.8]) == 0.0
    assert binary_auc([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert math.isnan(binary_auc([1, 1], [0.2, 0.3]))


def test_average_ranks_share_ties():
    assert average_ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_macro_auc_one_vs_rest_by_hand():
    y = np.array([0, 1, 2, 2])
    p = np.array(
        [
            [0.6, 0.3, 0.1],
            [0.2, 0.5, 0.3],
            [0.3, 0.1, 0.6],
            [0.1, 0.6, 0.3],
        ]
    )
    # Class 0: positive 0.6 beats 0.2, 0.3, 0.1 → 1. Class 1: positive 0.5 beats 0.3, 0.1 but
    # not 0.6 → 2/3. Class 2: positives 0.6, 0.3 vs negatives 0.1, 0.3: 0.6 wins twice, 0.3
    # wins once and ties once → 3.5/4. Mean: (1 + 2/3 + 7/8) / 3.
    assert macro_auc(y, p) == pytest.approx((1 + 2 / 3 + 7 / 8) / 3)


def test_confusion_accuracy_and_recall_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 0, 2]
    counts = confusion_matrix(y_true, y_pred, 3)
    assert counts.tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert recall_per_class(counts).tolist() == pytest.approx([0.5, 2 / 3, 1.0])
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix([3], [0], 3)


def test_undefined_metrics_are_left_out_not_nan():
    # Only class "a" is present: no AUC, no recall for "b"; accuracy is still defined.
    probabilities = np.array([[0.9, 0.1], [0.4, 0.6]])
    metrics, confusion = classification_metrics(np.array([0, 0]), probabilities, ["a", "b"])
    assert metrics == {"accuracy": 0.5, "recall_a": 0.5}
    assert confusion.tolist() == [[1, 1], [0, 0]]
