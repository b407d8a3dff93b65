"""Active learning: label next what the model is least sure about.

Uncertainty is the Shannon entropy of the predicted class probabilities, in nats (0 for a
certain prediction, ln C for a uniform one over C classes): of one image's class probabilities
for classification, or averaged over the voxels of a segmentation's probability map. Sorting
unlabelled series or slices by it puts first the ones whose labels teach the model most (the
classic uncertainty-sampling strategy of MONAI Label). Everything here is a pure function of
the probabilities; the caller supplies `predict_fn`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

_TOLERANCE = 1e-3  # how far from 1 the class probabilities of a voxel may sum


def entropy(probabilities: np.ndarray, axis: int = 0) -> np.ndarray:
    """Entropy (nats) along the class `axis`; 0·ln 0 counts as 0. ValueError for values that
    are not probabilities (negative, or not summing to 1 along `axis`)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0 or p.shape[axis] < 2:
        raise ValueError(f"need probabilities of at least 2 classes along axis {axis}")
    if not np.all(np.isfinite(p)) or p.min() < 0:
        raise ValueError("probabilities must be finite and non-negative")
    if np.abs(p.sum(axis=axis) - 1).max() > _TOLERANCE:
        raise ValueError(f"probabilities must sum to 1 along axis {axis}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=axis)


def mean_entropy(probabilities: np.ndarray) -> float:
    """The uncertainty of one item: the entropy of (C,) class probabilities, or the mean voxel
    entropy of a (C, ...) probability map (classes first, as networks give them)."""
    return float(np.mean(entropy(probabilities, axis=0)))


def slice_entropies(probabilities: np.ndarray) -> np.ndarray:
    """Mean entropy of each slice of a (C, Z, Y, X) probability volume: (Z,), for ranking the
    slices of one series."""
    p = np.asarray(probabilities)
    if p.ndim != 4:
        raise ValueError(f"need a (classes, z, y, x) probability volume, got shape {p.shape}")
    return entropy(p, axis=0).mean(axis=(1, 2))


def rank_by_entropy(
    items: Mapping[Hashable, Any] | Iterable[Hashable],
    predict_fn: Callable[[Any], np.ndarray],
) -> list[tuple[Hashable, float]]:
    """(id, mean entropy) of every item, most uncertain first (ties keep the input order).

    `items` is a mapping {id: input for predict_fn} or an iterable of ids (then predict_fn
    gets the id); `predict_fn` returns (C,) class probabilities or a (C, ...) probability map.
    ValueError names the item whose prediction is not a probability distribution.
    """
    pairs = items.items() if isinstance(items, Mapping) else ((i, i) for i in items)
    scored = []
    for item_id, value in pairs:
        try:
            scored.append((item_id, mean_entropy(predict_fn(value))))
        except ValueError as error:
            raise ValueError(f"item {item_id!r}: {error}") from error
    return sorted(scored, key=lambda pair: -pair[1])


def sample_slices(depth: int, count: int) -> list[int]:
    """`count` evenly spaced slice indices of `depth`, ends included (all of them when there
    are fewer; the middle one for a count of 1)."""
    if depth <= count:
        return list(range(depth))
    if count == 1:
        return [(depth - 1) // 2]
    return sorted({round(i * (depth - 1) / (count - 1)) for i in range(count)})


def rank_series(
    candidates: Iterable[Any],
    load_fn: Callable[[Any], Any],
    predict_fn: Callable[[Any, list[int]], np.ndarray],
    n_slices: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[Any, float]]:
    """(candidate, mean entropy over `n_slices` evenly spaced axial slices) of every series,
    most uncertain first (ties keep the input order).

    `load_fn(candidate)` gives its (Z, ...) image (anything with `shape_zyx` or `shape`), or
    None to leave it out (already labelled); `predict_fn(image, slices)` gives the (C, Z', ...)
    probabilities of those slices (or of every slice: the sampled ones are then picked).
    `progress(done, total)` is called before each candidate (a cancel point for workers).
    """
    todo = list(candidates)
    scored: list[tuple[Any, float]] = []
    for i, candidate in enumerate(todo):
        if progress is not None:
            progress(i, len(todo))
        image = load_fn(candidate)
        if image is None:
            continue
        depth = int((getattr(image, "shape_zyx", None) or np.shape(image))[0])
        picked = sample_slices(depth, n_slices)
        probabilities = np.asarray(predict_fn(image, picked))
        if probabilities.shape[1] == depth and depth != len(picked):
            probabilities = probabilities[:, picked]  # the sampled slices only
        try:
            scored.append((candidate, mean_entropy(probabilities)))
        except ValueError as error:
            raise ValueError(f"series {candidate}: {error}") from error
    if progress is not None:
        progress(len(todo), len(todo))
    return sorted(scored, key=lambda pair: -pair[1])


def next_most_uncertain(
    ranking: Sequence[tuple[Hashable, float]], exclude: Collection[Hashable] = ()
) -> Hashable | None:
    """The first id of `ranking` (from `rank_by_entropy`) not in `exclude` (already labelled,
    or already shown); None when there is none left. The "Next most uncertain" button."""
    return next((item_id for item_id, _ in ranking if item_id not in exclude), None)
