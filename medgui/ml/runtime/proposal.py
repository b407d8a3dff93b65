"""The proposal: a model's segmentation, not yet accepted, as the UI's proposal layer shows it.

It keeps the probability of every label (for a colour map, or contours at a threshold the user
moves) and the most likely label per voxel, on exactly the grid of the image it was run on. The
user accepts all of it, one label, or edits it first; `to_labelmap` makes the `LabelMap` to
accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medgui.core.labels.labelmap import LabelMap, LabelTable


@dataclass
class Proposal:
    """Probabilities float32 (L+1, z, y, x) — channel 0 background, channel c the label with
    value ``label_values[c - 1]`` — the argmax `labels`, and a summary of the model card."""

    probabilities: np.ndarray
    labels: LabelMap
    label_values: list[int]
    model: dict[str, Any] = field(default_factory=dict)
    # The slices that were computed (None: all); others hold background only.
    computed_slices: list[int] | None = None

    def __post_init__(self) -> None:
        if self.probabilities.shape[0] != len(self.label_values) + 1:
            raise ValueError(
                f"{self.probabilities.shape[0]} probability channels for "
                f"{len(self.label_values)} labels (expected one more, for the background)"
            )

    @property
    def table(self) -> LabelTable:
        return self.labels.table

    def probability(self, value: int) -> np.ndarray:
        """The (z, y, x) probability map of label `value`."""
        if value not in self.label_values:
            raise KeyError(f"the model has no label with value {value}")
        return self.probabilities[1 + self.label_values.index(value)]

    def to_labelmap(self, threshold: float = 0.5, values: list[int] | None = None) -> LabelMap:
        """A label map on the image's grid: each voxel gets the most probable of the labels
        `values` (all by default) if its probability reaches `threshold`, else 0."""
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie within 0..1, got {threshold}")
        chosen = self.label_values if values is None else list(values)
        channels = [1 + self.label_values.index(v) for v in chosen if v in self.label_values]
        if len(channels) != len(chosen):
            raise ValueError(f"labels {sorted(set(chosen) - set(self.label_values))} unknown")
        dtype = np.uint8 if max(self.label_values, default=0) < 256 else np.uint16
        layer = np.zeros(self.labels.shape_zyx, dtype)
        if channels:
            picked = self.probabilities[channels]
            best = picked.argmax(axis=0)
            keep = np.take_along_axis(picked, best[None], axis=0)[0] >= threshold
            values_lut = np.asarray([self.label_values[c - 1] for c in channels], dtype)
            layer[keep] = values_lut[best[keep]]
        table = LabelTable.from_json(self.table.to_json())
        table.labels = [label for label in table.labels if label.value in chosen]
        return LabelMap(
            [layer], self.labels.spacing_mm, self.labels.origin, self.labels.direction.copy(), table
        )
