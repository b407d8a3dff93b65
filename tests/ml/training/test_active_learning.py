"""Uncertainty ranking on hand-made probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medgui.ml.training.active_learning import (
    entropy,
    mean_entropy,
    next_most_uncertain,
    rank_by_entropy,
    rank_series,
    sample_slices,
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


def _sigmoid_predictor(image: np.ndarray, slices: list[int]) -> np.ndarray:
    """A fixed two-class "model": p(foreground) = sigmoid(value / 100) on the given slices."""
    foreground = 1 / (1 + np.exp(-image[slices] / 100.0))
    return np.stack([1 - foreground, foreground])


def test_the_noisier_series_ranks_first():
    """Far-from-zero values give p near 0 or 1 (certain), values near 0 give p near 0.5: the
    series made of those must come first, whatever the input order; labelled series (load
    gives None) are left out and only the sampled slices are predicted."""
    rng = np.random.default_rng(0)
    series = {
        "air": np.full((20, 8, 8), -1000.0),  # p ≈ 0 everywhere
        "bone": np.full((9, 8, 8), 1500.0),  # p ≈ 1 everywhere
        "noisy": rng.normal(0, 20, (12, 8, 8)),  # p ≈ 0.5 everywhere
        "labelled": rng.normal(0, 1, (5, 8, 8)),  # the most uncertain, but already labelled
    }
    asked: dict[str, list[int]] = {}

    def predict(image, slices):
        name = next(k for k, v in series.items() if v is image)
        asked[name] = list(slices)
        return _sigmoid_predictor(image, slices)

    def load(name):
        return None if name == "labelled" else series[name]

    progress: list[tuple[int, int]] = []
    ranking = rank_series(series, load, predict, n_slices=4, progress=lambda *a: progress.append(a))
    assert [name for name, _ in ranking][0] == "noisy"
    assert {name for name, _ in ranking} == {"air", "bone", "noisy"}
    nats = dict(ranking)
    assert nats["noisy"] > 0.6 > 1e-3 > max(nats["air"], nats["bone"])  # ln 2 ≈ 0.693
    assert asked["air"] == sample_slices(20, 4) == [0, 6, 13, 19]
    assert "labelled" not in asked
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)


def test_a_predictor_giving_the_whole_series_is_sampled():
    image = np.zeros((6, 2, 2))
    image[3] = 1000.0  # certain on slice 3, a coin flip elsewhere

    def whole(img, _slices):
        return _sigmoid_predictor(img, list(range(len(img))))

    ((_, middle),) = rank_series(["a"], lambda _n: image, whole, n_slices=1)
    ((_, all_6),) = rank_series(["a"], lambda _n: image, whole, n_slices=6)
    assert sample_slices(6, 1) == [2] and middle == pytest.approx(math.log(2))
    assert all_6 == pytest.approx(5 * math.log(2) / 6, rel=1e-3)
