"""Running a trained classifier: class probabilities for image files or viewer slices, and the
Grad-CAM map of what it looked at.

A model is a folder holding ``weights.safetensors`` and ``card.json`` (a registry version, or
the trainer's ``--out`` folder); the card says how to rebuild the network and prepare its input,
so images go through exactly the reading and normalisation the model was trained with.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from medgui.ml.classification.gradcam import grad_cam
from medgui.ml.classification.images import (
    DEFAULT_CT_WINDOW,
    files_below,
    image_info,
    is_image_file,
    normalise,
    read_image,
    to_network_input,
)
from medgui.ml.classification.networks import build_classifier, network_spec
from medgui.ml.models.card import ModelCard, read_card
from medgui.ml.models.card_schema import require_for_inference
from medgui.ml.models.safe_load import check_weights, load_safetensors


@dataclass
class Classifier:
    """A classification network with its card, ready to predict."""

    network: nn.Module
    card: ModelCard
    device: torch.device = torch.device("cpu")

    def __post_init__(self) -> None:
        if self.card.task != "classify":
            raise ValueError(f"the model is for task {self.card.task!r}, not classification")
        self.network = self.network.to(self.device).eval()

    @property
    def classes(self) -> list[str]:
        return list(self.card.classes)

    @property
    def size(self) -> int:
        return int(self.card.input_size[0])

    @property
    def ct_window(self) -> tuple[float, float]:
        return tuple(self.card.normalisation.get("ct_window", DEFAULT_CT_WINDOW))

    def prepare(self, image: np.ndarray) -> torch.Tensor:
        """A normalised (H, W) or (H, W, 3) image as this network's input."""
        return to_network_input(image, self.card.input_channels, self.size)

    def probabilities(self, images: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """(N, classes) probabilities of normalised images (see `images.read_image`)."""
        out = []
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = torch.stack([self.prepare(i) for i in images[start : start + batch_size]])
                logits = self.network(batch.to(self.device)).float()
                out.append(torch.softmax(logits, dim=1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def slice_image(self, values: np.ndarray, modality: str = "") -> np.ndarray:
        """A viewer slice in modality units (HU for CT), normalised as in training."""
        return normalise(np.asarray(values), modality, self.ct_window)

    def classify_slice(self, values: np.ndarray, modality: str = "") -> dict[str, float]:
        """{class: probability} of one slice in modality units (for the model panel)."""
        probabilities = self.probabilities([self.slice_image(values, modality)])[0]
        return dict(zip(self.classes, map(float, probabilities), strict=True))

    def heat_map(
        self, image: np.ndarray, class_index: int | None = None, method: str = "hirescam"
    ) -> np.ndarray:
        """Grad-CAM (0..1) of a normalised image for `class_index` (default: the predicted
        class), on the image's own (H, W) grid so that it overlays the view directly."""
        layer = network_spec(self.card.model).cam_layer
        x = self.prepare(image).to(self.device)
        return grad_cam(self.network, x, layer, class_index, image.shape[:2], method)


def load_classifier(model: Any, device: str | torch.device = "cpu") -> Classifier:
    """A `Classifier` from a model folder (a path or a registry `ModelVersion`) or from an
    object with `network` and `card` (the trainer's `TrainedModel`). ValueError naming the
    folder when its card or weights are missing, invalid or do not fit together."""
    device = torch.device(device)
    if hasattr(model, "network") and hasattr(model, "card"):
        return Classifier(model.network, model.card, device)
    folder = Path(os.fspath(model))
    card = read_card(folder / "card.json")
    if card.task != "classify":
        raise ValueError(f"{folder}: the card does not describe a classification model")
    require_for_inference(card, str(folder / "card.json"))
    network = build_classifier(
        card.model, card.input_channels, len(card.classes), int(card.input_size[0])
    )
    weights = load_safetensors(folder / "weights.safetensors")
    check_weights(network.state_dict(), weights, folder / "weights.safetensors")
    network.load_state_dict(weights)
    return Classifier(network, card, device)


def find_images(path: str | Path) -> list[Path]:
    """`path` itself if it is a file, else the PNG/JPEG/DICOM files below it (recursively,
    hidden files skipped), sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(f"{path}: no such file or folder")
    return [p for p in files_below(path) if is_image_file(p)]


def classify_images(
    model_dir: Any,
    paths: str | Path | Iterable[str | Path],
    *,
    errors: dict[str, str] | None = None,
    device: str | torch.device = "cpu",
    batch_size: int = 32,
) -> dict[str, dict[str, float]]:
    """{path: {class: probability}} for each image in `paths` (files or folders searched
    recursively); a multi-frame DICOM gives one entry per frame, keyed ``path#frame``.

    An unreadable image raises ValueError naming it, unless `errors` is given: then its reason
    is recorded there under its path and the others carry on.
    """
    classifier = load_classifier(model_dir, device)
    if isinstance(paths, str | Path):
        paths = [paths]
    files = [f for p in paths for f in find_images(p)]
    keys, images = [], []
    for path in files:
        try:
            frames = image_info(path)["frames"]
            for frame in range(frames):
                images.append(read_image(path, frame, classifier.ct_window))
                keys.append(f"{path}#{frame}" if frames > 1 else str(path))
        except ValueError as error:
            if errors is None:
                raise
            errors[str(path)] = str(error)
    probabilities = classifier.probabilities(images, batch_size)
    classes = classifier.classes
    return {
        key: dict(zip(classes, map(float, row), strict=True))
        for key, row in zip(keys, probabilities, strict=True)
    }
