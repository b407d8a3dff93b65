"""The model registry: versions, cards, active version and rollback, delete, compare, bundles
(and the checks that keep a hostile bundle out); the model card and content hashes."""

from __future__ import annotations

import json
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from medgui.ml.models.card import CARD_FORMAT, ModelCard, content_hash, read_card
from medgui.ml.models.registry import ModelRegistry, check_name
from medgui.ml.models.task import TrainConfig


def _weights(seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        "features.0.weight": torch.randn(4, 1, 3, 3, generator=generator),
        "features.0.bias": torch.randn(4, generator=generator),
        "classifier.weight": torch.randn(2, 16, generator=generator),
    }


def _card(learning_rate: float, accuracies: list[float], series_hash: str) -> ModelCard:
    config = TrainConfig(task="classify", learning_rate=learning_rate, options={"size": 32})
    epochs = [
        {"epoch": i + 1, "accuracy": a, "val_loss": 1.0 - a} for i, a in enumerate(accuracies)
    ]
    best = max(epochs, key=lambda e: e["accuracy"])
    return ModelCard.for_run(
        task="classify",
        hyperparameters=config.to_json(),
        task_fields={
            "classes": ["normal", "nodule"],
            "model": "small_cnn",
            "input_size": [32, 32],
            "series": [
                {"id": "s1", "uid": "1.2.3", "files": 2, "sha256": "aa"},
                {"id": "s2", "uid": "1.2.4", "files": 2, "sha256": series_hash},
            ],
            "confusion": [[3, 1], [0, 4]],
        },
        epochs=epochs,
        best={"metric": "accuracy", "value": best["accuracy"], "epoch": best["epoch"]},
        device="CPU: requested",
        durations_s={"total": 12.5},
        split={"train": ["s1"], "val": ["s2"], "info": {"unit": "series"}},
    )


@pytest.fixture
def registry(tmp_path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "workspace")


def test_round_trip(registry, tmp_path):
    v1 = registry.save_version("chest", _weights(1), _card(1e-3, [0.6, 0.7], "bb"))
    v2 = registry.save_version("chest", _weights(2), _card(1e-4, [0.7, 0.9, 0.8], "cc"))
    assert (v1.number, v2.number) == (1, 2)
    assert v2.weights_path == tmp_path / "workspace/models/chest/v2/weights.safetensors"
    assert registry.list_models() == ["chest"]
    assert [v.id for v in registry.versions("chest")] == ["chest/v1", "chest/v2"]
    card = registry.load_card(v2)
    assert (card.name, card.model_version, card.classes) == ("chest", 2, ["normal", "nodule"])
    assert card.extra == {"confusion": [[3, 1], [0, 4]]}
    assert "chest v2" in card.summary() and "Best accuracy: 0.9 (epoch 2 of 3)" in card.summary()
    loaded = registry.load_weights(v1)
    assert all(torch.equal(loaded[k], v) for k, v in _weights(1).items())

    diff = registry.compare(v1, v2)
    assert diff["hyperparameters"] == {"learning_rate": {"a": 1e-3, "b": 1e-4}}
    assert diff["metrics"]["accuracy"]["a"] == 0.7 and diff["metrics"]["accuracy"]["b"] == 0.9
    assert diff["metrics"]["accuracy"]["delta"] == pytest.approx(0.2)
    assert diff["series"] == {"only_a": [], "only_b": [], "changed": ["s2"]}
    assert diff["fields"] == {}

    assert registry.active("chest") == v2  # a new version becomes active
    registry.set_active(v1)
    assert registry.active("chest") == v1
    registry.set_active(v2)
    assert registry.rollback("chest") == v1 and registry.active("chest") == v1
    with pytest.raises(ValueError, match="oldest version"):
        registry.rollback("chest")

    bundle = registry.export_bundle(v1, tmp_path / "chest-v1.zip")
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == ["card.json", "weights.safetensors"]
    with pytest.raises(ValueError, match="active version"):
        registry.delete(v1)
    registry.delete(v2)
    assert [v.number for v in registry.versions("chest")] == [1]
    registry.delete(v1, force=True)
    assert registry.list_models() == [] and registry.active("chest") is None
    assert registry.save_version("chest", _weights(3), _card(1e-3, [0.5], "x")).number == 3

    fresh = ModelRegistry(tmp_path / "other-workspace")  # as on another workstation
    imported = fresh.import_bundle(bundle)
    assert imported.id == "chest/v1"
    assert all(torch.equal(fresh.load_weights(imported)[k], v) for k, v in _weights(1).items())
    card = fresh.load_card(imported)
    assert card.origin == "imported from chest-v1.zip"
    assert card.hyperparameters["learning_rate"] == 1e-3 and card.best["value"] == 0.7
    assert fresh.import_bundle(bundle, "renamed", activate=True).id == "renamed/v1"
    assert fresh.active("renamed").number == 1 and fresh.active("chest") is None


def test_deleting_the_active_version_with_force_activates_the_previous(registry):
    versions = [registry.save_version("m", _weights(i), _card(1e-3, [0.5], "x")) for i in range(3)]
    registry.delete(versions[2], force=True)
    assert registry.active("m") == versions[1]
    registry.set_active(versions[0])
    registry.delete(versions[0], force=True)  # nothing older: the newest left takes over
    assert registry.active("m") == versions[1]
    # A number names one model only: v3 was deleted, the next version is v4.
    assert registry.save_version("m", _weights(9), _card(1e-3, [0.5], "x")).number == 4


def test_card_json_round_trip_and_schema(tmp_path):
    card = _card(1e-3, [0.5, float("nan")], "x")
    data = card.to_json()
    assert data["format"] == CARD_FORMAT and data["version"] == 1
    assert data["epochs"][1]["accuracy"] is None  # NaN is not JSON
    text = json.dumps(data, allow_nan=False)
    again = ModelCard.from_json(json.loads(text))
    assert again.to_json() == data
    for broken, reason in [
        ({**data, "version": 99}, "unsupported model card version"),
        ({**data, "format": "other"}, "not a medgui model card"),
        ({**data, "classes": "normal"}, "'classes' has the wrong type"),
        ({**data, "classes": [1, 2]}, "classes must be names"),
        ({**data, "input_channels": True}, "'input_channels' has the wrong type"),
        ({**data, "payload": "x"}, "unknown model card fields"),
        ({k: v for k, v in data.items() if k != "task"}, "names no task"),
    ]:
        with pytest.raises(ValueError, match=reason):
            ModelCard.from_json(broken, "test card")
    # Fields are checked, not their insides: the summary must survive odd nested values.
    odd = ModelCard("classify", best={"value": "x"}, split={"train": 3, "info": "?"})
    assert "Best metric: n/a" in odd.summary() and "Data: 0 items" in odd.summary()
    (tmp_path / "card.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="card.json: not valid JSON"):
        read_card(tmp_path / "card.json")


def _bundle(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_bad_bundle_is_refused_and_leaves_nothing(registry, tmp_path):
    good = registry.save_version("m", _weights(1), _card(1e-3, [0.5], "x"))
    weights = good.weights_path.read_bytes()
    card = good.card_path.read_bytes()
    torch.save(_weights(1), tmp_path / "pickled.pt")
    cases = {
        "traversal": ({"../weights.safetensors": weights, "card.json": card}, "exactly"),
        "absolute": ({"/tmp/weights.safetensors": weights, "card.json": card}, "exactly"),
        "extra": ({"weights.safetensors": weights, "card.json": card, "run.py": b""}, "exactly"),
        "folder": ({"m/weights.safetensors": weights, "m/card.json": card}, "exactly"),
        "pickle": (
            {"weights.safetensors": (tmp_path / "pickled.pt").read_bytes(), "card.json": card},
            "not a valid safetensors file",
        ),
        "card": ({"weights.safetensors": weights, "card.json": b'{"format": 1}'}, "model card"),
        "json": ({"weights.safetensors": weights, "card.json": b"\xff"}, "not valid JSON"),
    }
    for name, (members, reason) in cases.items():
        _bundle(tmp_path / f"{name}.zip", members)
        with pytest.raises(ValueError, match=reason):
            registry.import_bundle(tmp_path / f"{name}.zip", "imported")
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ValueError, match="not a readable model bundle"):
        registry.import_bundle(tmp_path / "not.zip", "imported")
    assert registry.list_models() == ["m"]
    assert not (registry.models_dir / "imported").exists()


def test_names_and_missing_versions_are_checked(registry):
    for bad in ("", "../x", "a/b", ".hidden", "x" * 65):
        with pytest.raises(ValueError, match="model name"):
            check_name(bad)
    with pytest.raises(ValueError, match="no version 3"):
        registry.version("m", 3)
    with pytest.raises(ValueError, match="not a named tensor"):
        registry.save_version("m", {"w": [1, 2]}, _card(1e-3, [0.5], "x"))
    assert registry.versions("m") == []


def test_content_hash_streams_bytes_and_ignores_names_and_order(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.dcm").write_bytes(b"one")
    (tmp_path / "a" / "2.dcm").write_bytes(b"two" * 1_000_000)  # several read blocks
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.dcm").write_bytes(b"two" * 1_000_000)
    (tmp_path / "b" / "y.dcm").write_bytes(b"one")
    same = content_hash(tmp_path / "a")
    assert same == content_hash([tmp_path / "b" / "y.dcm", tmp_path / "b" / "x.dcm"])
    (tmp_path / "b" / "y.dcm").write_bytes(b"One")
    assert content_hash(tmp_path / "b") != same
    with pytest.raises(ValueError, match="missing.dcm: cannot read"):
        content_hash([tmp_path / "missing.dcm"])


def test_shared_tensors_are_saved(registry):
    shared = torch.randn(3, 3)
    version = registry.save_version("tied", {"a": shared, "b": shared}, _card(1e-3, [0.5], "x"))
    loaded = registry.load_weights(version)
    assert torch.equal(loaded["a"], loaded["b"])
    save_file({"w": torch.ones(1)}, registry.models_dir / "tied" / "v1" / "weights.safetensors")
    assert registry.load_weights(version)["w"].item() == 1.0
