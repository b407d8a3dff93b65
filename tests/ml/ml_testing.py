"""Plain helpers for the ML tests (a module of its own: test files cannot import conftest
reliably when several test folders each have one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from medgui.core.image.volume import Volume
from medgui.core.io.itk import write_itk_volume
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.ml.models.card import ModelCard
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.segmentation.transforms import normalisation_scheme
from medgui.ml.training.checkpoint import TrainedModel

TINY_OPTIONS = {"channels": [8, 16, 32], "res_units": 1, "patch_size": 64}


def disc_case(seed: int, shape=(6, 64, 64)) -> tuple[Volume, LabelMap]:
    """Noise with a bright disc (label 1, "disc") and a dimmer square (label 2, "square") at
    random places on every slice: easy to learn, impossible to guess."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    image = rng.normal(100.0, 20.0, shape).astype(np.float32)
    labels = np.zeros(shape, np.uint8)
    yy, xx = np.mgrid[:ny, :nx]
    for z in range(nz):
        cy, cx = rng.integers(14, ny - 14, 2)
        radius = rng.integers(6, 11)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        sy, sx = rng.integers(4, ny - 16, 2)
        square = np.zeros_like(disc)
        square[sy : sy + 10, sx : sx + 10] = True
        square &= ~disc
        image[z][disc] += 120.0
        image[z][square] += 70.0
        labels[z][disc], labels[z][square] = 1, 2
    geometry = {"spacing_mm": (1.0, 1.0, 2.0), "origin": (-32.0, -32.0, 0.0)}
    volume = Volume(image, metadata={"Modality": "MR"}, **geometry)
    table = LabelTable()
    table.add("disc")
    table.add("square")
    return volume, LabelMap([labels], volume.spacing_mm, volume.origin, np.eye(3), table)


def write_folders(root: Path, n: int = 4, shape=(6, 64, 64)) -> tuple[Path, Path]:
    """`n` generated series as NIfTI images and "_seg" label files, the CLI's folder layout."""
    images, labels = root / "images", root / "labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for i in range(n):
        volume, labelmap = disc_case(i, shape)
        write_itk_volume(volume, images / f"case{i}.nii.gz")
        write_itk_volume(labelmap.as_volume(), labels / f"case{i}_seg.nii.gz")
    return images, labels


def tiny_config(**changes) -> TrainConfig:
    """A CPU configuration that trains the tiny U-Net in seconds."""
    options = dict(TINY_OPTIONS) | changes.pop("options", {})
    base = dict(
        task="segment",
        epochs=3,
        batch_size=8,
        learning_rate=1e-2,
        device="cpu",
        seed=0,
        val_split=0.34,
        early_stopping_patience=0,
        options=options,
    )
    return TrainConfig(**(base | changes))


SEG_OPTIONS = {"channels": [8, 16], "res_units": 1, "patch_size": 32}


def segment_model(folder: Path) -> Path:
    """A valid, untrained 2-D U-Net model folder (weights + card) for inference tests."""
    config = TrainConfig(task="segment", options=SEG_OPTIONS)
    card = ModelCard(
        task="segment",
        model="unet2d",
        classes=["background", "disc"],
        input_size=[32, 32],
        input_spacing_mm=[1.0, 1.0],
        normalisation=normalisation_scheme({}),
        hyperparameters=config.to_json(),
        extra={"labels": [{"value": 1, "name": "disc", "color": [255, 0, 0]}], "spatial_dims": 2},
    )
    config.options["classes"] = card.classes
    torch.manual_seed(0)
    return TrainedModel(get_task("segment").build_network(config), card).save(folder)


def classify_model(folder: Path) -> Path:
    """A valid, untrained small-CNN classifier model folder (2 classes, 16×16 grey)."""
    config = TrainConfig(task="classify", options={"size": 16})
    card = ModelCard(
        task="classify",
        model="small_cnn",
        classes=["a", "b"],
        input_size=[16, 16],
        hyperparameters=config.to_json(),
    )
    config.options |= {"classes": card.classes, "in_channels": 1}
    torch.manual_seed(0)
    return TrainedModel(get_task("classify").build_network(config), card).save(folder)


def write_digit_folders(
    root: Path, classes: int = 3, labelled: int = 4, unlabelled: int = 60
) -> tuple[Path, Path]:
    """scikit-learn's bundled digits as 16×16 PNGs: `labelled` per class for the first
    `classes` digits in ``root/labelled/<digit>/`` and `unlabelled` more of them (nested one
    folder deep) in ``root/unlabelled/``; returns the two folders."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    taken: dict[int, int] = {}
    left = unlabelled
    for i, (image, target) in enumerate(zip(digits.images, digits.target, strict=True)):
        if target >= classes:
            continue
        pixels = (np.kron(image / 16.0, np.ones((2, 2))) * 255).astype(np.uint8)
        if taken.get(target, 0) < labelled:
            taken[target] = taken.get(target, 0) + 1
            folder = root / "labelled" / str(target)
        elif left > 0:
            left -= 1
            folder = root / "unlabelled" / ("more" if i % 2 else "")
        else:
            break
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{i:04d}.png")
    return root / "labelled", root / "unlabelled"
