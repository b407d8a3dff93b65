"""What the classification defaults cost in accuracy: the default pipeline (`Trainer` with the
classify task's defaults) against a bare PyTorch loop with the same network, on real data.

Data: scikit-learn's bundled handwritten digits (8×8, 1797 images, no download), upsampled to
28×28 and written as a PNG ImageFolder (one folder per class), as the app trains. 1300 images
train (the default pipeline keeps its own 20 % of them for validation), the rest are the test
set. Variants change one default at a time (flip, augmentation, input size, batch size) so that
each one's cost shows. Prints test accuracies and the ratio variant / bare; the last line is one
JSON object.

    PYTHONPATH=. python benchmarks/bench_classify_defaults.py [--epochs 10] [--variants ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from medgui.ml.classification.data import ClassificationDataset, ImageFolderSource
from medgui.ml.classification.networks import SmallCNN
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.training.trainer import Finished, Trainer

SIDE, N_TRAIN = 28, 1300
# One default changed per variant (the old default was flip "horizontal").
VARIANTS = {
    "default": {},
    "flip_horizontal": {"options": {"flip": "horizontal"}},
    "no_augment": {"augment": False},
    "size_28": {"options": {"size": SIDE}},
    "batch_64": {"batch_size": 64},
}


def write_digits(root: Path, seed: int = 0) -> tuple[Path, Path]:
    """train/ and test/ ImageFolders of the digits as 28×28 8-bit PNGs."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    images = F.interpolate(images, size=(SIDE, SIDE), mode="bilinear", align_corners=False)
    pixels = (images[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    order = np.random.default_rng(seed).permutation(len(pixels))
    for part, indices in (("train", order[:N_TRAIN]), ("test", order[N_TRAIN:])):
        for i in indices:
            folder = root / part / str(digits.target[i])
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels[i]).save(folder / f"{i:04d}.png")
    return root / "train", root / "test"


def accuracy(network: torch.nn.Module, dataset) -> float:
    network.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=256)
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += int((network(x).argmax(1) == y).sum())
            total += len(y)
    return right / total


def test_set(folder: Path, size: int) -> ClassificationDataset:
    return ClassificationDataset(ImageFolderSource(folder).collect().refs, 1, size)


def run_pipeline(train: Path, test: Path, epochs: int, change: dict) -> tuple[float, list]:
    """Test accuracy of the app's pipeline with `change` applied to the default config, and
    the training refs it used (the bare loop trains on the same images)."""
    config = TrainConfig(task="classify", epochs=epochs, device="cpu", seed=0)
    for key, value in change.items():
        setattr(config, key, dict(value) if isinstance(value, dict) else value)
    task = get_task("classify")
    result = None
    for event in Trainer(task, config).run(train):
        result = event.result if isinstance(event, Finished) else result
    network = result.model.network
    return accuracy(network, test_set(test, task.input_size(config))), task


def run_bare(train_refs, test: Path, epochs: int, seed: int = 0) -> float:
    """The textbook loop: the same network at the data's own 28×28, no augmentation, Adam 1e-3,
    batch 64, the last epoch's weights."""
    torch.manual_seed(seed)
    data = ClassificationDataset(train_refs, 1, SIDE)
    network = SmallCNN(1, 10, SIDE)
    optimiser = torch.optim.Adam(network.parameters(), 1e-3)
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True)
    for _ in range(epochs):
        network.train()
        for x, y in loader:
            optimiser.zero_grad()
            F.cross_entropy(network(x), y).backward()
            optimiser.step()
    return accuracy(network, test_set(test, SIDE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    torch.set_num_threads(2)
    figures: dict[str, float] = {"epochs": args.epochs}
    with tempfile.TemporaryDirectory() as folder:
        train, test = write_digits(Path(folder))
        train_refs = None
        for name in args.variants:
            start = time.perf_counter()
            acc, task = run_pipeline(train, test, args.epochs, VARIANTS[name])
            figures[name] = round(acc, 4)
            print(f"{name:16s} test accuracy {acc:.4f} ({time.perf_counter() - start:.0f} s)")
            if train_refs is None:
                train_refs = task_train_refs(task, train)
        start = time.perf_counter()
        figures["bare"] = round(run_bare(train_refs, test, args.epochs), 4)
        print(
            f"{'bare':16s} test accuracy {figures['bare']:.4f} "
            f"({time.perf_counter() - start:.0f} s)"
        )
    for name in args.variants:
        figures[f"{name}_over_bare"] = round(figures[name] / figures["bare"], 4)
        print(f"{name:16s} / bare = {figures[f'{name}_over_bare']:.3f}")
    print(json.dumps(figures))


def task_train_refs(task, train: Path):
    """The training side of the default split (seed 0), what the pipeline learnt from."""
    split = task.make_split(TrainConfig(task="classify", seed=0), train)
    return split.train.refs


if __name__ == "__main__":
    main()
