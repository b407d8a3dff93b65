"""The gallery's work: drawing generated images of each class with the workspace's active
"classify" model (trained with the GAN method), near-copies left out, and adding the chosen ones
to the workspace's training images (marked synthetic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from superqt.utils import FunctionWorker, create_worker

from medgui.core.workspace.synthetic import add_synthetic

MODEL_NAME = "classify"


@dataclass
class Gallery:
    """Generated images per class (uint8), how many near-copies were left out, the model."""

    version_id: str
    images: dict[str, list[np.ndarray]] = field(default_factory=dict)
    near_copies: dict[str, int] = field(default_factory=dict)


def _draw(workspace_root: Path, per_class: int, seed: int) -> Gallery:
    from medgui.ml.classification.generate import GanModel
    from medgui.ml.models.registry import ModelRegistry

    version = ModelRegistry(workspace_root).active(MODEL_NAME)
    if version is None:
        raise ValueError("no classification model in this workspace: train one with the GAN")
    model = GanModel(version.path)
    gallery = Gallery(version.id)
    for index, name in enumerate(model.classes):
        images, flagged = model.draw_offered(name, per_class, seed + index)
        gallery.images[name], gallery.near_copies[name] = images, flagged
    return gallery


def draw_gallery_worker(
    workspace_root: str | Path, per_class: int, seed: int = 0
) -> FunctionWorker:
    """An unstarted worker: `returned(Gallery)` of the active classifier's generator."""
    return create_worker(
        _draw, Path(workspace_root), int(per_class), int(seed),
        _start_thread=False, _ignore_errors=True,
    )  # fmt: skip


def add_synthetic_worker(
    workspace_root: str | Path, class_name: str, images: list[np.ndarray]
) -> FunctionWorker:
    """An unstarted worker writing `images` of `class_name` into the workspace's synthetic
    training images: `returned(list of paths)`."""
    return create_worker(
        add_synthetic, Path(workspace_root), class_name, list(images),
        _start_thread=False, _ignore_errors=True,
    )  # fmt: skip
