"""A tiny classification training with the Trainer on generated images, then inference from
the saved model folder and from the registry, and the larger MONAI networks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from medgui.ml.classification import ClassificationTask, classify_images, load_classifier
from medgui.ml.models.registry import ModelRegistry
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.training.trainer import EpochDone, Finished, Trainer

SIZE = 32
CLASSES = ("bottom_right", "top_left")  # the ImageFolder order (sorted)


def corner_image(rng: np.random.Generator, class_name: str) -> np.ndarray:
    """Noise with a bright 8×8 square somewhere in the class's quadrant: the class is decided
    by where the square is, nothing else."""
    image = rng.normal(60, 20, (SIZE, SIZE))
    row, col = rng.integers(0, SIZE // 2 - 8 + 1, size=2)
    if class_name == "bottom_right":
        row, col = row + SIZE // 2, col + SIZE // 2
    image[row : row + 8, col : col + 8] += 150
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corners")
    rng = np.random.default_rng(0)
    for name in CLASSES:
        (root / name).mkdir()
        for i in range(40):
            Image.fromarray(corner_image(rng, name)).save(root / name / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def trained(images, tmp_path_factory):
    """(result, events) of a 6-epoch CPU run of the small CNN (about a second)."""
    out = tmp_path_factory.mktemp("model")
    config = TrainConfig(
        task="classify",
        epochs=6,
        batch_size=16,
        device="cpu",
        seed=0,
        val_split=0.25,
        early_stopping_patience=0,
        out_dir=str(out),
        options={"size": SIZE, "flip": "none"},  # a flip would move the square to the other class
    )
    events = list(Trainer(get_task("classify"), config).run(images))
    return events[-1].result, events


def test_training_beats_chance_by_a_clear_margin(trained):
    result, events = trained
    assert isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert len(epochs) == 6
    # Chance is 0.5 on these balanced classes.
    assert result.metrics["accuracy"] >= 0.9
    assert result.metrics["auc"] >= 0.9
    assert {f"recall_{c}" for c in CLASSES} <= set(result.metrics)
    assert epochs[-1].metrics["train_loss"] < epochs[0].metrics["train_loss"]
    card = result.model.card
    assert card.task == "classify" and card.model == "small_cnn"
    assert card.classes == list(CLASSES) and card.input_size == [SIZE, SIZE]
    assert card.input_channels == 1 and card.normalisation["8-bit"] == "value / 255"
    assert sum(map(sum, card.extra["confusion"])) == 20  # the 20 validation images
    assert {s["id"] for s in card.series} == {f"class:{c}" for c in CLASSES}
    assert card.split["info"]["unit"] == "files" and len(card.split["val"]) == 20


def test_inference_from_the_model_folder(trained, images, tmp_path):
    result, _ = trained
    model_dir = result.model_dir
    assert (model_dir / "weights.safetensors").is_file() and (model_dir / "card.json").is_file()
    (images / "top_left" / "broken.png").write_bytes(b"not a png")
    errors: dict[str, str] = {}
    try:
        found = classify_images(model_dir, images, errors=errors)
        with pytest.raises(ValueError, match="broken.png"):
            classify_images(model_dir, images / "top_left" / "broken.png")
        # `medgui infer MODEL_DIR IN OUT`: the same, written as JSON; the bad file reported.
        task_errors = ClassificationTask().infer_files(model_dir, images, tmp_path / "out.json")
    finally:
        (images / "top_left" / "broken.png").unlink()
    assert list(errors) == list(task_errors) == [str(images / "top_left" / "broken.png")]
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == found
    assert len(found) == 80
    correct = 0
    for path, probabilities in found.items():
        assert set(probabilities) == set(CLASSES)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        correct += max(probabilities, key=probabilities.get) == Path(path).parent.name
    assert correct / len(found) >= 0.9
    one = images / "top_left" / "00.png"
    assert list(classify_images(model_dir, one)) == [str(one)]


def test_registry_version_runs_and_shows_the_heat_map(trained, tmp_path):
    result, _ = trained
    registry = ModelRegistry(tmp_path / "workspace")
    network = result.model.network
    version = registry.save_version("corners", network.state_dict(), result.model.card)
    classifier = load_classifier(version)
    assert registry.load_card(version).summary().startswith("corners v1: classify")
    image = corner_image(np.random.default_rng(5), "top_left")
    # A viewer slice of another size, in its own units (8-bit here): probabilities and a heat
    # map on the slice's own grid.
    big = np.kron(image, np.ones((2, 3), np.uint8))
    probabilities = classifier.classify_slice(big)
    assert max(probabilities, key=probabilities.get) == "top_left"
    heat = classifier.heat_map(classifier.slice_image(big))
    assert heat.shape == big.shape and heat.min() >= 0 and heat.max() == pytest.approx(1.0)


def test_a_model_folder_that_does_not_fit_is_refused(trained, tmp_path):
    result, _ = trained
    card = result.model.card.to_json() | {"classes": ["a", "b", "c"]}
    (tmp_path / "card.json").write_text(json.dumps(card), encoding="utf-8")
    (tmp_path / "weights.safetensors").write_bytes(
        (result.model_dir / "weights.safetensors").read_bytes()
    )
    with pytest.raises(ValueError, match="do not fit the card's network"):
        load_classifier(tmp_path)


@pytest.mark.parametrize("name", ["densenet121", "resnet18"])
def test_the_larger_monai_networks(name):
    task = ClassificationTask()
    config = TrainConfig(
        task="classify", model=name, options={"classes": ["a", "b", "c"], "in_channels": 3}
    )
    assert task.input_size(config) == 224
    config.options["size"] = 32  # small, so that the test stays fast on a CPU
    network = task.build_network(config).eval()
    with torch.no_grad():
        assert network(torch.rand(2, 3, 32, 32)).shape == (2, 3)
    loss = task.build_loss(config)(torch.zeros(2, 3), torch.tensor([0, 2]))
    assert float(loss) == pytest.approx(np.log(3), rel=1e-6)
    with pytest.raises(ValueError, match="at least 32 pixels"):
        config.options["size"] = 16
        task.build_network(config)
