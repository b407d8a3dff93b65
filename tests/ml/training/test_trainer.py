"""The trainer: events, cancel and exact resume, out-of-memory fallback, time budget, early
stopping, seeds. A tiny linear task keeps most of these to milliseconds."""

from __future__ import annotations

import math

import pytest
import torch
from torch.utils.data import TensorDataset

from medgui.ml.models.task import DataSplit, Task, TrainConfig
from medgui.ml.training.trainer import (
    BatchDone,
    EpochDone,
    EpochStarted,
    Finished,
    Message,
    Trainer,
)


class LinearTask(Task):
    """Two classes split by the sign of the first feature."""

    name = "linear"
    primary_metric = "accuracy"

    def __init__(self, loss: torch.nn.Module | None = None, flat_metric: bool = False) -> None:
        self.loss, self.flat_metric = loss, flat_metric

    def build_network(self, config):
        return torch.nn.Linear(4, 2)

    def build_loss(self, config):
        return self.loss or torch.nn.CrossEntropyLoss()

    def make_split(self, config, sources):
        generator = torch.Generator().manual_seed(1)
        x = torch.randn(sources, 4, generator=generator)
        y = (x[:, 0] > 0).long()
        cut = sources * 3 // 4
        train, val = TensorDataset(x[:cut], y[:cut]), TensorDataset(x[cut:], y[cut:])
        return DataSplit(train, val, ["a"], ["b"], {"unit": "series"})

    def validate(self, model, loader, device):
        right = total = 0
        for x, y in loader:
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
        return {"accuracy": 0.5 if self.flat_metric else right / total, "val_loss": 0.0}


def config(**changes) -> TrainConfig:
    base = dict(task="linear", epochs=3, batch_size=8, device="cpu", learning_rate=0.1, seed=0)
    return TrainConfig(**(base | changes))


def events(trainer: Trainer, data=64, **kwargs) -> list:
    return list(trainer.run(data, **kwargs))


def test_events_arrive_in_order_and_end_with_the_result():
    found = events(Trainer(LinearTask(), config(epochs=2)))
    kinds = [type(e).__name__ for e in found]
    assert kinds[0] == "EpochStarted" and kinds[-1] == "Finished"
    assert kinds.count("BatchDone") == 2 * 6  # 48 training samples in batches of 8
    done = [e for e in found if isinstance(e, EpochDone)]
    assert [e.epoch for e in done] == [1, 2]
    assert {"train_loss", "accuracy", "val_loss"} <= set(done[-1].metrics)
    assert done[-1].eta_s == 0.0
    batch = next(e for e in found if isinstance(e, BatchDone))
    assert (batch.batch, batch.n_batches) == (1, 6) and batch.samples_per_s > 0
    result = found[-1].result
    assert result.epochs_run == 2 and result.stopped == "epochs"
    assert result.metrics["accuracy"] > 0.8
    assert result.model.card.best["metric"] == "accuracy"


class OutOfMemoryOnce(torch.nn.Module):
    """A loss that fails like CUDA does, once, on a batch larger than `limit`."""

    def __init__(self, limit: int = 4) -> None:
        super().__init__()
        self.loss, self.raised, self.sizes, self.limit = (
            torch.nn.CrossEntropyLoss(),
            False,
            [],
            limit,
        )

    def forward(self, outputs, targets):
        if len(targets) > self.limit and not self.raised:
            self.raised = True
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        self.sizes.append(len(targets))
        return self.loss(outputs, targets)


def test_out_of_memory_halves_the_batch_and_finishes_the_epoch():
    loss = OutOfMemoryOnce()
    found = events(Trainer(LinearTask(loss), config(epochs=2)))
    messages = [e.text for e in found if isinstance(e, Message)]
    assert messages == ["out of memory on cpu: batch size halved to 4"]
    assert sum(loss.sizes) == 2 * 48  # every sample of both epochs, none twice
    assert max(loss.sizes) == 4
    started = [e for e in found if isinstance(e, EpochStarted)]
    assert [e.batch_size for e in started] == [8, 4]
    assert found[-1].result.epochs_run == 2
    assert found[-1].result.model.card.hyperparameters["final_batch_size"] == 4


def test_out_of_memory_at_batch_size_one_is_raised():
    with pytest.raises(torch.OutOfMemoryError):
        events(Trainer(LinearTask(OutOfMemoryOnce(0)), config(batch_size=1)), data=16)


def test_the_time_budget_stops_after_the_epoch_that_crosses_it():
    found = events(Trainer(LinearTask(), config(epochs=50, minutes=1e-9)))
    assert [e.epoch for e in found if isinstance(e, EpochDone)] == [1]
    assert any("time budget" in e.text for e in found if isinstance(e, Message))
    assert found[-1].result.stopped == "minutes"


def test_early_stopping_after_patience_epochs_without_improvement():
    trainer = Trainer(LinearTask(flat_metric=True), config(epochs=20, early_stopping_patience=3))
    result = events(trainer)[-1].result
    assert (result.best_epoch, result.epochs_run, result.stopped) == (1, 4, "early_stopping")


def _weights(result) -> dict[str, torch.Tensor]:
    return result.model.network.state_dict()


def test_same_seed_same_model_and_the_deterministic_switch_is_put_back():
    before = torch.are_deterministic_algorithms_enabled()
    a = events(Trainer(LinearTask(), config(deterministic=True)))[-1].result
    assert torch.are_deterministic_algorithms_enabled() == before
    b = events(Trainer(LinearTask(), config()))[-1].result
    c = events(Trainer(LinearTask(), config(seed=1)))[-1].result
    assert all(torch.equal(v, _weights(b)[k]) for k, v in _weights(a).items())
    assert not all(torch.equal(v, _weights(c)[k]) for k, v in _weights(a).items())


def test_without_validation_the_last_epoch_is_kept(tmp_path):
    class NoValidation(LinearTask):
        def make_split(self, config, sources):
            split = super().make_split(config, sources)
            return DataSplit(split.train, TensorDataset(torch.zeros(0, 4)), ["a"], [], {})

    result = events(Trainer(NoValidation(), config()))[-1].result
    assert result.model.card.best["metric"] == "train_loss"
    assert result.best_epoch == result.epochs_run == len(result.history)  # not the lowest loss
    assert math.isfinite(result.metrics["train_loss"])


def test_cancel_keeps_the_last_complete_epoch(tmp_path):
    run = Trainer(LinearTask(), config(epochs=5), checkpoint_dir=tmp_path).run(64)
    for event in run:
        if isinstance(event, BatchDone) and event.epoch == 3 and event.batch == 2:
            run.close()  # what the GUI's Cancel does
    from medgui.ml.training.checkpoint import load_checkpoint

    assert load_checkpoint(tmp_path)["epoch"] == 2
    resumed = events(Trainer(LinearTask(), config(epochs=5)), resume_from=tmp_path)
    assert isinstance(resumed[0], Message) and "after epoch 2" in resumed[0].text
    assert [e.epoch for e in resumed if isinstance(e, EpochDone)] == [3, 4, 5]
    assert isinstance(resumed[-1], Finished) and resumed[-1].result.epochs_run == 5
    assert [h["epoch"] for h in resumed[-1].result.history] == [1, 2, 3, 4, 5]


def test_a_checkpoint_of_another_task_is_refused(tmp_path):
    events(Trainer(LinearTask(), config(epochs=1), checkpoint_dir=tmp_path))
    other = LinearTask()
    other.name = "other"
    with pytest.raises(ValueError, match="checkpoint is for task 'linear'"):
        events(Trainer(other, config()), resume_from=tmp_path / "last.pt")


class RecordingLinearTask(LinearTask):
    """LinearTask whose network records the dtype of its forward passes in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.dtypes: list[torch.dtype] = []

    def build_network(self, config):
        network = torch.nn.Linear(4, 2)
        network.register_forward_hook(
            lambda module, args, out: module.training and self.dtypes.append(out.dtype)
        )
        return network


def test_the_mixed_precision_step_runs_its_autocast_and_grad_scaler(monkeypatch):
    """The CUDA mixed-precision path (float16 autocast + GradScaler scale/step/update), run on
    the CPU's own float16 autocast and scaler, since no GPU is here: the same trainer code, not
    a copy of it. `amp_enabled` is what keeps it to CUDA in the app."""
    import medgui.ml.training.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "amp_enabled", lambda device, wanted: bool(wanted))
    task = RecordingLinearTask()
    trainer = Trainer(task, config(epochs=3, amp=True))
    assert trainer.amp
    result = events(trainer)[-1].result
    assert trainer.scaler.is_enabled()
    # Every training batch (3 epochs of 48 samples in batches of 8) ran under float16 autocast.
    assert task.dtypes.count(torch.float16) == 3 * 6
    assert trainer.scaler.get_scale() > 0
    assert result.metrics["accuracy"] > 0.8
    plain = RecordingLinearTask()
    events(Trainer(plain, config(epochs=1, amp=False)))
    assert plain.dtypes and torch.float16 not in plain.dtypes
