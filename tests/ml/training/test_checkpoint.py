"""Checkpoints: written atomically, read with weights_only, RNG states as plain data."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from medgui.ml.models.card import ModelCard
from medgui.ml.training.checkpoint import (
    TrainedModel,
    config_from_card,
    load_checkpoint,
    restore_rng_state,
    rng_state,
    save_checkpoint,
)


def _draws() -> tuple:
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(), [random.random() for _ in range(3)])


def test_rng_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    np.random.seed(5)
    np.random.standard_normal()  # leaves a cached Gaussian in numpy's state
    random.gauss(0, 1)
    path = save_checkpoint(tmp_path / "last.pt", {"rng": rng_state()})
    expected = _draws()
    restore_rng_state(load_checkpoint(path)["rng"])
    assert _draws() == expected
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporaries left


class Payload:
    """A pickled object whose unpickling would run code."""

    def __reduce__(self):
        return (os.system, ("echo pwned > payload-ran",))


def test_a_pickled_object_is_refused_and_never_runs(tmp_path, monkeypatch):
    path = tmp_path / "evil.pt"
    torch.save({"format": "medgui-checkpoint", "version": 1, "x": Payload()}, path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="refused"):
        load_checkpoint(path)
    assert not (tmp_path / "payload-ran").exists()


def test_missing_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint"):
        load_checkpoint(tmp_path)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "last.pt")
    with pytest.raises(ValueError, match="not a medgui training checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "last.pt").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "last.pt")


def test_a_kill_during_the_write_keeps_the_previous_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "last.pt", {"epoch": 1})
    script = (
        "import os, torch\n"
        "from medgui.ml.training import checkpoint\n"
        "def die(*a, **k): os._exit(9)\n"
        "checkpoint.torch.save = die\n"
        f"checkpoint.save_checkpoint({str(tmp_path / 'last.pt')!r}, {{'epoch': 2}})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == 9
    assert load_checkpoint(tmp_path)["epoch"] == 1


def _card() -> ModelCard:
    return ModelCard.for_run(
        task="segment",
        hyperparameters={"task": "segment", "options": {"channels": [8, 16], "res_units": 1}},
        task_fields={"classes": ["background", "a"], "input_channels": 1, "input_size": [32, 32]},
        epochs=[],
        best={},
        device="CPU",
        durations_s={},
    )


def test_trained_model_files_round_trip(tmp_path):
    card = _card()
    config = config_from_card(card)
    assert config.options["classes"] == ["background", "a"]
    import medgui.ml.segmentation  # noqa: F401  (registers "segment")
    from medgui.ml.models.task import get_task

    network = get_task("segment").build_network(config)
    TrainedModel(network, card).save(tmp_path / "model")
    loaded = TrainedModel.load(tmp_path / "model")
    assert not loaded.network.training
    for key, value in network.state_dict().items():
        assert torch.equal(loaded.network.state_dict()[key], value)
    assert loaded.card.classes == ["background", "a"]


def test_weights_that_do_not_fit_the_card_are_refused(tmp_path):
    card = _card()
    import medgui.ml.segmentation  # noqa: F401
    from medgui.ml.models.task import get_task

    network = get_task("segment").build_network(config_from_card(card))
    TrainedModel(network, card).save(tmp_path)
    card.classes = ["background", "a", "b"]
    TrainedModel(torch.nn.Linear(1, 1), card).save(tmp_path / "other")
    with pytest.raises(ValueError, match="do not fit the card's network: lacks"):
        TrainedModel.load(tmp_path / "other")
    with pytest.raises(ValueError, match="not a model folder"):
        TrainedModel.load(tmp_path / "nothing")
