"""Semi-supervised classification with little labelled data: supervised-only against the
semi-supervised GAN and FixMatch at the same wall-clock budget, and whether the GAN's generated
images are recognised as their class.

Data: scikit-learn's bundled handwritten digits (8×8, 1797 images, no download), upsampled to
16×16 PNGs. 30 % are a held-out test set; of the rest, 5 images per class are labelled and the
others are the unlabelled folder. Each method trains through `trainer_for` (the path `medgui
train --method` takes) for --minutes, without validation (5 images per class leave none to
spare), and is scored on the test set. The generated images (--per-class of each class, near-
copies left out) are classified by the supervised-only model, which saw real labelled images
only: its accuracy on them says whether they look like their class. The pixel distances of
generated and of real test images to their nearest training image are printed for the near-copy
threshold (see `ml.classification.privacy`). Ratios are against supervised-only; the last line
is one JSON object.

    PYTHONPATH=. python benchmarks/bench_semi_supervised.py [--minutes 1.5] [--threads 1]
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

from medgui.ml.classification.data import ClassificationDataset, ImageRef
from medgui.ml.classification.generate import GanModel
from medgui.ml.classification.images import files_below
from medgui.ml.classification.infer import load_classifier
from medgui.ml.classification.semi_trainer import sample_grid
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.training.trainer import Finished, trainer_for

SIDE, PER_CLASS_LABELLED, TEST_FRACTION = 16, 5, 0.3


def write_digits(root: Path, seed: int = 0) -> dict[str, Path]:
    """labelled/<class>/, unlabelled/ and test/<class>/ PNG folders."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (np.kron(digits.images / 16.0, np.ones((2, 2))) * 255).round().astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(pixels))
    n_test = int(len(order) * TEST_FRACTION)
    taken: dict[int, int] = {}
    for position, i in enumerate(order):
        label = int(digits.target[i])
        if position < n_test:
            folder = root / "test" / str(label)
        elif taken.get(label, 0) < PER_CLASS_LABELLED:
            taken[label] = taken.get(label, 0) + 1
            folder = root / "labelled" / str(label)
        else:
            folder = root / "unlabelled"  # its class is not told
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels[i]).save(folder / f"{i:04d}.png")
    return {part: root / part for part in ("labelled", "unlabelled", "test")}


def tensors(root: Path) -> torch.Tensor:
    """Every image below `root`, prepared as the classifier sees them."""
    refs = [ImageRef(str(f), 0, -1, "unlabelled") for f in files_below(root)]
    dataset = ClassificationDataset(refs, 1, SIDE)
    return torch.stack([dataset.prepared(i) for i in range(len(refs))])


def folder_tensors(root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (N, 1, S, S), labels) of an ImageFolder, prepared as the classifier sees them."""
    classes = sorted(p.name for p in root.iterdir())
    refs = [
        ImageRef(str(f), 0, classes.index(c), "test")
        for c in classes
        for f in files_below(root / c)
    ]
    dataset = ClassificationDataset(refs, 1, SIDE)
    return torch.stack([dataset.prepared(i) for i in range(len(refs))]), torch.tensor(
        [r.label for r in refs]
    )


def accuracy(network: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    network.eval()
    with torch.no_grad():
        return float((network(images).argmax(1) == labels).float().mean())


def train(method: str, paths: dict[str, Path], minutes: float, out: Path):
    options = {"size": SIDE, "method": method, "classes": [str(c) for c in range(10)]}
    config = TrainConfig(
        task="classify",
        epochs=100_000,
        minutes=minutes,
        batch_size=32,
        validation="none",
        early_stopping_patience=30,
        seed=0,
        options=options,
    )
    sources = {"images": str(paths["labelled"])}
    if method != "supervised":
        sources["unlabelled"] = str(paths["unlabelled"])
    started = time.monotonic()
    for event in trainer_for(get_task("classify"), config).run(sources):
        if isinstance(event, Finished):
            result = event.result
    result.model.save(out)
    return result, time.monotonic() - started


def pixel_nearest(query: torch.Tensor, reference: torch.Tensor) -> np.ndarray:
    """RMS pixel distance of each query image to its nearest reference image."""
    distances = torch.cdist(query.flatten(1), reference.flatten(1)) / query[0].numel() ** 0.5
    return distances.min(dim=1).values.numpy()


def diversity(images: torch.Tensor) -> float:
    """Median RMS pixel distance between two different images of one set."""
    distances = torch.cdist(images.flatten(1), images.flatten(1)) / images[0].numel() ** 0.5
    pairs = ~torch.eye(len(images), dtype=torch.bool)
    return float(distances[pairs].median()) if len(images) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.5, help="per method")
    # One thread: on shared cores two threads per process ran 50× slower (oversubscription).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--per-class", type=int, default=50, help="generated images per class")
    parser.add_argument("--grid", type=Path, help="save 8 generated images per class as a PNG")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_digits(Path(tmp) / "digits")
        test_x, test_y = folder_tensors(paths["test"])
        figures: dict[str, dict] = {}
        for method in ("supervised", "gan", "fixmatch"):
            result, seconds = train(method, paths, args.minutes, Path(tmp) / method)
            figures[method] = {
                "test_accuracy": round(accuracy(result.model.network, test_x, test_y), 4),
                "epochs": result.epochs_run,
                "seconds": round(seconds, 1),
            }
            print(f"{method}: {figures[method]}", flush=True)
        base = figures["supervised"]["test_accuracy"]
        for method in ("gan", "fixmatch"):
            ratio = figures[method]["test_accuracy"] / base
            figures[method]["ratio_vs_supervised"] = round(ratio, 3)
        # Generated images, recognised by the model that saw real labelled images only.
        gan = GanModel(Path(tmp) / "gan")
        recogniser = load_classifier(Path(tmp) / "supervised").network
        images, labels, flagged, drawn = [], [], 0, 0
        for index, name in enumerate(gan.classes):
            result = gan.draw(name, args.per_class, seed=index)
            drawn += len(result.flagged)
            flagged += int(result.flagged.sum())
            kept = result.images[~torch.from_numpy(result.flagged)]
            images.append(kept)
            labels += [index] * len(kept)
        generated = torch.cat(images)
        if args.grid:
            Image.fromarray(sample_grid(torch.cat([i[:8] for i in images]), 10)).save(args.grid)
        train_x = torch.cat([folder_tensors(paths["labelled"])[0], tensors(paths["unlabelled"])])
        generated_distance = pixel_nearest(generated, train_x)
        # Within-class spread, generated against real test images (0: one image per class).
        spread = np.mean([diversity(kept) for kept in images]) / np.mean(
            [diversity(test_x[test_y == c]) for c in range(len(gan.classes))]
        )
        real_distance = pixel_nearest(test_x, train_x)
        figures["generated"] = {
            "recognised_by_supervised": round(
                accuracy(recogniser, generated, torch.tensor(labels)), 4
            ),
            "supervised_on_real_test": base,
            "within_class_diversity_vs_real": round(float(spread), 3),
            "near_copies_flagged": flagged,
            "drawn": drawn,
            "pixel_rms_to_nearest_train_median": round(float(np.median(generated_distance)), 4),
            "pixel_rms_to_nearest_train_min": round(float(generated_distance.min()), 4),
            "real_test_pixel_rms_p01": round(float(np.quantile(real_distance, 0.01)), 4),
            "real_test_pixel_rms_median": round(float(np.median(real_distance)), 4),
        }
        print(f"generated: {figures['generated']}")
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
