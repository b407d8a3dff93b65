"""Uncertainty ranking on hand-made probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medgui.ml.active_learning import (
    entropy,
    mean_entropy,
    next_most_uncertain,
    rank_by_entropy,
    slice_entropies,
)


def test_entropy_by_hand():
    assert entropy(np.array([1.0, 0.0])) == 0.0  # 0·ln 0 counts as 0
    assert entropy(np.array([0.5, 0.5])) == pytest.approx(math.log(2))
    assert entropy(np.array([0.25] * 4)) == pytest.approx(math.log(4))
    expected = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1))
    assert entropy(np.array([0.7, 0.2, 0.1])) == pytest.approx(expected)


def test_mean_voxel_entropy_of_a_probability_map():
    # Two classes over 4 voxels: two certain voxels (0) and two coin flips (ln 2).
    foreground = np.array([[1.0, 0.0], [0.5, 0.5]])
    probabilities = np.stack([1 - foreground, foreground])
    assert mean_entropy(probabilities) == pytest.approx(math.log(2) / 2)


def test_rank_by_entropy_most_uncertain_first():
    predictions = {
        "sure": np.array([0.99, 0.01]),
        "unsure": np.array([0.5, 0.5]),
        "middling": np.array([0.8, 0.2]),
        "also_sure": np.array([0.01, 0.99]),
    }
    ranking = rank_by_entropy(predictions, lambda p: p)
    assert [i for i, _ in ranking] == ["unsure", "middling", "sure", "also_sure"]
    assert ranking[0][1] == pytest.approx(math.log(2))
    # Ids with a predict function that takes the id.
    assert rank_by_entropy(["sure", "unsure"], predictions.get)[0][0] == "unsure"
    assert next_most_uncertain(ranking) == "unsure"
    assert next_most_uncertain(ranking, exclude={"unsure", "middling"}) == "sure"
    assert next_most_uncertain(ranking, exclude={i for i, _ in ranking}) is None


def test_slices_rank_within_a_series():
    volume = np.zeros((2, 3, 2, 2))
    volume[0] = 1.0  # every slice certain of class 0 ...
    volume[:, 1] = 0.5  # ... except slice 1: a coin flip everywhere
    volume[:, 2, 0, 0] = 0.5  # slice 2: one uncertain voxel of four
    assert slice_entropies(volume) == pytest.approx([0.0, math.log(2), math.log(2) / 4])


def test_non_probabilities_are_refused_naming_the_item():
    with pytest.raises(ValueError, match="'bad'.*sum to 1"):
        rank_by_entropy({"bad": np.array([0.5, 0.6])}, lambda p: p)
    with pytest.raises(ValueError, match="non-negative"):
        entropy(np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="at least 2 classes"):
        entropy(np.array([1.0]))
