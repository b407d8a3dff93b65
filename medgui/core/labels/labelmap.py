"""Label maps: integer voxels on the exact grid of their image, with an editable label table.

A `LabelMap` holds one or more layers. Each layer is a uint8/uint16 array (z, y, x) where 0 is
unlabelled and k is the label with value k; structures that overlap (a lesion inside an organ)
live on different layers, so nothing is flattened silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from medgui.core.image.volume import Volume

# Distinct, colour-blind-friendly defaults (Okabe–Ito, then Tableau) for new labels.
DEFAULT_COLORS = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (148, 103, 189),
    (140, 86, 75),
    (188, 189, 34),
)


@dataclass
class Label:
    """One row of the label table."""

    value: int
    name: str
    color: tuple[int, int, int]
    visible: bool = True
    opacity: float = 0.5
    locked: bool = False
    layer: int = 0
    # DICOM SEG needs a category and type; "Tissue"/"Organ" fits most user labels.
    category: str = "Tissue"
    type: str = "Organ"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["color"] = list(self.color)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Label:
        data = dict(data)
        data["color"] = tuple(int(c) for c in data["color"])
        return cls(**data)


@dataclass
class LabelTable:
    """The user's labels; values are unique across all layers."""

    labels: list[Label] = field(default_factory=list)

    def get(self, value: int) -> Label:
        for label in self.labels:
            if label.value == value:
                return label
        raise KeyError(f"no label with value {value}")

    def add(self, name: str, color: tuple[int, int, int] | None = None, layer: int = 0) -> Label:
        """A new label with the next free value (and the next default colour)."""
        if not name.strip():
            raise ValueError("a label needs a name")
        value = max((lb.value for lb in self.labels), default=0) + 1
        if value > 65535:
            raise ValueError("at most 65535 labels")
        color = color or DEFAULT_COLORS[(value - 1) % len(DEFAULT_COLORS)]
        label = Label(value, name.strip(), tuple(color), layer=layer)
        self.labels.append(label)
        return label

    def remove(self, value: int) -> None:
        self.labels = [lb for lb in self.labels if lb.value != value]

    def on_layer(self, layer: int) -> list[Label]:
        return [lb for lb in self.labels if lb.layer == layer]

    def to_json(self) -> list[dict[str, Any]]:
        return [lb.to_json() for lb in self.labels]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> LabelTable:
        return cls([Label.from_json(d) for d in data])


@dataclass
class LabelMap:
    """Label layers on the grid of a reference volume (same shape, spacing, origin, direction)."""

    layers: list[np.ndarray]
    spacing_mm: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray
    table: LabelTable = field(default_factory=LabelTable)

    @classmethod
    def empty_like(cls, volume: Volume, table: LabelTable | None = None) -> LabelMap:
        """One empty uint8 layer on `volume`'s grid."""
        layer = np.zeros(volume.shape_zyx, np.uint8)
        return cls(
            [layer],
            volume.spacing_mm,
            volume.origin,
            volume.direction.copy(),
            table or LabelTable(),
        )

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.layers[0].shape)

    @property
    def voxel_volume_ml(self) -> float:
        return float(np.prod(self.spacing_mm)) / 1000.0

    def layer_of(self, value: int) -> np.ndarray:
        """The array that holds label `value` (its table row says which layer)."""
        return self.layers[self.table.get(value).layer]

    def ensure_layer(self, index: int) -> np.ndarray:
        while len(self.layers) <= index:
            self.layers.append(np.zeros(self.shape_zyx, self.layers[0].dtype))
        return self.layers[index]

    def mask(self, value: int) -> np.ndarray:
        return self.layer_of(value) == value

    def as_volume(self, layer: int = 0) -> Volume:
        """A layer as a `Volume` (for writing with the image I/O)."""
        return Volume(self.layers[layer], self.spacing_mm, self.origin, self.direction.copy())

    def matches(self, volume: Volume, tolerance_mm: float = 1e-3) -> bool:
        """Whether this map lies on exactly `volume`'s grid."""
        return (
            self.shape_zyx == volume.shape_zyx
            and np.allclose(self.spacing_mm, volume.spacing_mm, atol=tolerance_mm)
            and np.allclose(self.origin, volume.origin, atol=tolerance_mm)
            and np.allclose(self.direction, volume.direction, atol=1e-4)
        )

    def describe_grid(self) -> str:
        spacing = ", ".join(f"{s:.4g}" for s in self.spacing_mm)
        origin = ", ".join(f"{o:.4g}" for o in self.origin)
        size = "×".join(str(n) for n in reversed(self.shape_zyx))
        return f"{size} voxels, spacing {spacing} mm, origin {origin}"
