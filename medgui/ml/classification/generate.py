"""Drawing images of a chosen class from a model trained with ``--method gan``, with the
near-copy check (`privacy`), and writing them as PNGs in one folder per class.

Generated images are synthetic, never patient data: each PNG says so in its text chunks
(`core.deid.synthetic`), and its name starts with "synthetic_".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medgui.core.deid.synthetic import write_synthetic_png
from medgui.core.workspace.synthetic import class_folder_name
from medgui.ml.classification.infer import Classifier, load_classifier
from medgui.ml.classification.privacy import (
    FEATURES_FILE,
    GENERATOR_FILE,
    features_of,
    nearest_distances,
)
from medgui.ml.classification.ssgan import ConditionalGenerator
from medgui.ml.models.safe_load import check_weights, load_safetensors

_MAX_TRIES = 4  # draws per image asked for, before giving up on a class that only copies


@dataclass
class Drawn:
    """Images of one class: (N, C, S, S) in 0..1, each one's distance to its nearest training
    image and whether it is a near-copy (flagged: never offered or written)."""

    class_name: str
    images: torch.Tensor
    distances: np.ndarray
    flagged: np.ndarray

    def offered(self) -> list[np.ndarray]:
        """The images that are not near-copies, as uint8 (S, S) or (S, S, 3)."""
        return [to_uint8(x) for x, bad in zip(self.images, self.flagged, strict=True) if not bad]


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """One (C, S, S) image in 0..1 as uint8 (S, S) or (S, S, 3)."""
    pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    return pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)


class GanModel:
    """A GAN-trained classifier folder: its classifier, generator and the training features."""

    def __init__(self, model_dir: str | Path, device: str | torch.device = "cpu") -> None:
        self.folder = Path(model_dir)
        self.classifier: Classifier = load_classifier(self.folder, device)
        card = self.classifier.card
        spec, privacy = card.extra.get("generator"), card.extra.get("privacy")
        if not isinstance(spec, dict) or not isinstance(privacy, dict):
            raise ValueError(
                f"{self.folder}: this model was not trained with --method gan: it has no "
                "generator to draw images with"
            )
        self.device = torch.device(device)
        self.generator = ConditionalGenerator(
            int(spec["classes"]), int(spec["channels"]), int(spec["size"]), int(spec["latent"])
        )
        weights = load_safetensors(self.folder / GENERATOR_FILE)
        check_weights(self.generator.state_dict(), weights, self.folder / GENERATOR_FILE)
        self.generator.load_state_dict(weights)
        self.generator.to(self.device).eval()
        self.training_features = load_safetensors(self.folder / FEATURES_FILE)["features"]
        self.threshold = float(privacy["threshold"])

    @property
    def classes(self) -> list[str]:
        return self.classifier.classes

    def draw(self, class_name: str, n: int, seed: int | None = None) -> Drawn:
        """`n` images of `class_name` with their near-copy check."""
        if class_name not in self.classes:
            raise ValueError(f"unknown class {class_name!r} (known: {', '.join(self.classes)})")
        labels = torch.full((n,), self.classes.index(class_name), dtype=torch.long)
        noise = torch.Generator().manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            images = self.generator.sample(labels.to(self.device), noise).cpu()
        features = features_of(self.classifier.network, images, self.device)
        distances = nearest_distances(features, self.training_features).numpy()
        return Drawn(class_name, images, distances, distances <= self.threshold)

    def draw_offered(self, class_name: str, n: int, seed: int = 0) -> tuple[list[np.ndarray], int]:
        """Up to `n` images of `class_name` that are not near-copies (drawing more as needed,
        at most `_MAX_TRIES` × `n`), and how many near-copies were left out."""
        kept: list[np.ndarray] = []
        flagged = 0
        for attempt in range(_MAX_TRIES):
            if len(kept) >= n:
                break
            drawn = self.draw(class_name, n - len(kept), seed * 1000 + attempt)
            kept += drawn.offered()
            flagged += int(drawn.flagged.sum())
        return kept, flagged


def generate_per_class(
    model_dir: str | Path, per_class: int, out_dir: str | Path, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """`per_class` images of each class as ``out_dir/<class>/synthetic_<class>_NNNN.png`` (an
    ImageFolder); near-copies are not written. Returns {class: {"written", "near_copies"}}."""
    if per_class < 1:
        raise ValueError(f"--per-class must be at least 1, got {per_class}")
    model = GanModel(model_dir)
    report = {}
    for index, name in enumerate(model.classes):
        images, flagged = model.draw_offered(name, per_class, seed + index)
        safe = class_folder_name(name)
        folder = Path(out_dir) / safe
        folder.mkdir(parents=True, exist_ok=True)
        for number, image in enumerate(images, 1):
            write_synthetic_png(image, folder / f"synthetic_{safe}_{number:04d}.png", name)
        report[name] = {"written": len(images), "near_copies": flagged}
    return report
