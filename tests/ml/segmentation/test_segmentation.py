"""The segmentation task trained for real on generated data: it learns, and a cancelled run
resumes exactly where it stopped."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ml_testing import tiny_config

import medgui.ml.segmentation  # noqa: F401  (registers "segment")
from medgui.ml.models.task import get_task
from medgui.ml.segmentation.infer import segment_volume
from medgui.ml.training.trainer import BatchDone, EpochDone, Finished, Trainer

# Two labels on noise: always guessing one label everywhere scores a Dice near its area
# fraction (under 0.1 here), and guessing background scores 0.
CLEARLY_BETTER_THAN_CHANCE = 0.7


@pytest.fixture(scope="module")
def trained(disc_cases):
    """The tiny U-Net trained for 10 epochs (about 5 s on two cores)."""
    trainer = Trainer(get_task("segment"), tiny_config(epochs=10))
    return list(trainer.run(disc_cases))[-1].result


@pytest.mark.slow
def test_a_tiny_training_beats_chance_clearly(trained):
    assert trained.metrics["dice"] > CLEARLY_BETTER_THAN_CHANCE
    assert trained.metrics["dice_disc"] > CLEARLY_BETTER_THAN_CHANCE
    assert trained.metrics["dice_square"] > 0.5
    card = trained.model.card
    assert card.classes == ["background", "disc", "square"]
    assert card.input_spacing_mm == [1.0, 1.0] and card.input_size == [64, 64]
    assert card.extra["labels"][0] == {"value": 1, "name": "disc", "color": [230, 159, 0]}
    assert card.best["metric"] == "dice" and len(card.epochs) == 10


@pytest.mark.slow
def test_the_split_is_by_series_and_listed(trained):
    split = trained.model.card.split
    assert set(split["train"]).isdisjoint(split["val"])
    assert sorted(split["train"] + split["val"]) == [f"case{i}" for i in range(6)]
    assert len(split["val"]) == 2 and split["info"]["unit"] == "series"


@pytest.mark.slow
def test_the_trained_model_segments_an_unseen_series(trained):
    from ml_testing import disc_case

    volume, truth = disc_case(99)
    proposal = segment_volume(trained.model, volume)
    predicted = proposal.labels.layers[0]
    disc = truth.layers[0] == 1
    dice = 2 * (disc & (predicted == 1)).sum() / (disc.sum() + (predicted == 1).sum())
    assert dice > CLEARLY_BETTER_THAN_CHANCE


def _run(cases, epochs, checkpoint_dir, resume=False, stop_in_epoch=None):
    config = tiny_config(epochs=epochs)
    trainer = Trainer(get_task("segment"), config, checkpoint_dir=checkpoint_dir)
    run = trainer.run(cases, resume_from=checkpoint_dir if resume else None)
    for event in run:
        if isinstance(event, BatchDone) and event.epoch == stop_in_epoch and event.batch == 2:
            run.close()
            return None
        if isinstance(event, Finished):
            return event.result
    return None


def test_cancel_then_resume_equals_an_uninterrupted_run(disc_cases, tmp_path):
    """4 epochs straight vs 2 epochs, a cancel inside the 3rd, and a resume: the same epochs,
    the same metrics and the same weights (deterministic on the CPU: within 1e-6)."""
    straight = _run(disc_cases, 4, tmp_path / "a")
    assert _run(disc_cases, 4, tmp_path / "b", stop_in_epoch=3) is None
    resumed = _run(disc_cases, 4, tmp_path / "b", resume=True)
    assert resumed.epochs_run == straight.epochs_run == 4
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    for mine, theirs in zip(resumed.history, straight.history, strict=True):
        for key, value in theirs.items():
            assert mine[key] == pytest.approx(value, abs=1e-6), key
    for key, value in straight.model.network.state_dict().items():
        torch.testing.assert_close(
            resumed.model.network.state_dict()[key], value, atol=1e-6, rtol=0
        )


def test_training_epochs_are_reproducible_with_a_seed(disc_cases):
    def first_epoch(seed):
        trainer = Trainer(get_task("segment"), tiny_config(epochs=1, seed=seed))
        return next(e for e in trainer.run(disc_cases) if isinstance(e, EpochDone)).metrics

    assert first_epoch(3) == first_epoch(3)
    assert first_epoch(3)["train_loss"] != first_epoch(4)["train_loss"]


def test_the_3d_model_trains_and_segments(disc_cases):
    options = {"channels": [8, 16], "patch_size": [8, 32, 32], "patches_per_case": 2}
    config = tiny_config(model="unet3d", epochs=1, batch_size=2, options=options)
    result = list(Trainer(get_task("segment"), config).run(disc_cases[:3]))[-1].result
    assert result.model.card.extra["spatial_dims"] == 3
    assert result.model.card.input_spacing_mm == [1.0, 1.0, 2.0]
    volume = disc_cases[0][1]
    proposal = segment_volume(result.model, volume)
    assert proposal.probabilities.shape == (3, *volume.shape_zyx)
    np.testing.assert_allclose(proposal.probabilities.sum(axis=0), 1.0, atol=1e-5)
