"""The trainer: one loop for every task, written as a generator of progress events.

`Trainer.run` yields an event after every batch and every epoch. The consumer (the CLI's tqdm
loop, the GUI's QThread worker) only forwards them; to cancel, it closes the generator, which
stops training at the next yield — within one batch — and leaves the checkpoint of the last
complete epoch on disk for `resume_from`.

Learning-rate schedule: ReduceLROnPlateau on the task's primary validation metric. With a
wall-clock budget (``minutes``) or early stopping the number of epochs is not known in advance,
so a schedule over a fixed length (cosine) would anneal towards an end the run may never reach;
the plateau rule halves the rate when the metric the user watches stops improving.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler

from medgui.ml.models.card import ModelCard
from medgui.ml.models.safe_load import load_safetensors
from medgui.ml.models.task import DataSplit, Task, TrainConfig
from medgui.ml.models.write_errors import writing
from medgui.ml.runtime.device import (
    DeviceChoice,
    amp_enabled,
    autocast,
    batch_length,
    deterministic_algorithms,
    free_cached_memory,
    pick_device,
    to_device,
)
from medgui.ml.training import distributed as dist_util
from medgui.ml.training.checkpoint import (
    BEST_WEIGHTS,
    LAST,
    TrainedModel,
    checkpoint_file,
    cpu_state_dict,
    load_checkpoint,
    pack,
    save_checkpoint,
    save_weights,
    seed_everything,
    unpack,
)
from medgui.ml.training.events import (  # noqa: F401 - re-exported: the trainer's public events
    BatchDone,
    DeviceChosen,
    EpochDone,
    EpochStarted,
    Finished,
    Message,
    SamplesDrawn,
    TrainResult,
)

Event = EpochStarted | BatchDone | EpochDone | Message | SamplesDrawn | Finished  # `run` yields


def trainer_for(task: Task, config: TrainConfig, **kwargs: Any) -> Trainer:
    """The trainer `task` asks for under `config` (its `trainer_class(config)`, e.g. a
    semi-supervised one), else the `Trainer`."""
    factory = getattr(task, "trainer_class", None)
    return ((factory and factory(config)) or Trainer)(task, config, **kwargs)


class Trainer:
    """Trains `task`'s network as `config` says. Checkpoints go to `checkpoint_dir` (default
    ``<config.out_dir>/checkpoint``; none without either) and the final model to
    ``config.out_dir``; `distributed` comes from `distributed.setup` under torchrun."""

    def __init__(
        self,
        task: Task,
        config: TrainConfig,
        *,
        device: DeviceChoice | None = None,
        distributed: dist_util.DistContext | None = None,
        checkpoint_dir: str | Path | None = None,
    ) -> None:
        self.task, self.config = task, config
        self.context = distributed or dist_util.DistContext()
        self.choice = device or pick_device(config.device)
        self.device = self.choice.device
        if checkpoint_dir is None and config.out_dir:
            checkpoint_dir = Path(config.out_dir) / "checkpoint"
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.amp = amp_enabled(self.device, config.amp)
        self.network: torch.nn.Module | None = None  # the live network (not DDP-wrapped)
        self.batch_size = config.batch_size
        self._split: DataSplit | None = None
        self.seed = 0

    # -- the run ---------------------------------------------------------------------------

    def run(self, data: DataSplit | Any, resume_from: str | Path | None = None) -> Iterator[Event]:
        """Train on `data` (a `DataSplit`, or sources for `task.make_split`), optionally
        continuing the checkpoint `resume_from` (a file or a checkpoint folder); yields events
        and ends with `Finished`. Close the generator to cancel."""
        with deterministic_algorithms(self.config.deterministic):
            yield from self._run(data, resume_from)

    def _run(self, data: Any, resume_from: str | Path | None) -> Iterator[Event]:
        config, started = self.config, time.monotonic()
        checkpoint = load_checkpoint(resume_from) if resume_from else None
        seed = checkpoint["seed"] if checkpoint else config.seed
        if seed is None:  # still recorded, so a resumed run continues the same streams
            seed = int.from_bytes(os.urandom(4), "little") >> 1
        seed = int(dist_util.from_main(float(seed), self.context, self.device))
        seed_everything(seed)
        self.seed = seed
        split = data if isinstance(data, DataSplit) else self.task.make_split(config, data)
        self._split = split
        self.network = network = self.task.build_network(config).to(self.device)
        self.loss_fn = self.task.build_loss(config).to(self.device)
        self.optimizer = optimizer = torch.optim.Adam(network.parameters(), config.learning_rate)
        patience = config.early_stopping_patience
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.5, patience=max(1, patience // 3)
        )
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp)
        state: dict[str, Any] = {
            "epoch": 0,
            "best": -math.inf,
            "best_loss": math.inf,
            "best_epoch": 0,
            "history": [],
        }
        best_weights: dict[str, torch.Tensor] | None = None
        if checkpoint:
            folder = checkpoint_file(resume_from).parent
            self.checkpoint_dir = self.checkpoint_dir or folder  # go on writing where it was
            best_weights = self._restore(checkpoint, folder, state)
            yield Message(f"resuming after epoch {state['epoch']}")
            if checkpoint.get("split", {}).get("train") != list(split.train_ids):
                yield Message("the training series differ from the checkpoint's", warning=True)
        if len(split.val) == 0:
            yield Message(
                "training without validation: no data is held out to check the model on, and "
                "the last epoch's weights are kept",
                warning=True,
            )
        self.model = dist_util.wrap(network, self.context, self.device)
        stopped, epoch_times = "epochs", []
        for epoch in range(state["epoch"] + 1, config.epochs + 1):
            epoch_start = time.monotonic()
            metrics: dict[str, float] = {}
            yield from self._train_epoch(split, epoch, metrics)
            metrics.update(self._validate(split))
            primary = self._tracked(metrics)
            self.scheduler.step(primary)
            # A tie on the primary metric (accuracy saturates at 1.0 early) goes to the lower
            # validation loss: the better-calibrated model.
            loss = metrics.get("val_loss", math.inf)
            # Without validation nothing says one epoch generalises better than another (a
            # lower training loss may be overfitting): the last epoch is the model.
            improved = len(split.val) == 0 or primary > state["best"] or (
                primary == state["best"] and loss < state["best_loss"]
            )
            if improved:
                state["best"], state["best_loss"], state["best_epoch"] = primary, loss, epoch
                best_weights = cpu_state_dict(network)
            lr = float(optimizer.param_groups[0]["lr"])
            state["history"].append({"epoch": epoch, "lr": lr, **metrics})
            state["epoch"] = epoch
            self._write_checkpoint(state, split, best_weights if improved else None)
            epoch_times.append(time.monotonic() - epoch_start)
            elapsed = time.monotonic() - started
            yield EpochDone(epoch, metrics, lr, improved, self._eta(epoch_times, epoch, elapsed))
            if patience > 0 and epoch - state["best_epoch"] >= patience:
                stopped = "early_stopping"
                yield Message(f"early stop: no better {self._metric_name()} in {patience} epochs")
                break
            over = config.minutes is not None and elapsed >= config.minutes * 60
            if dist_util.agree(over, self.context, self.device) and epoch < config.epochs:
                stopped = "minutes"
                yield Message(f"time budget of {config.minutes:g} min used: stopping")
                break
        yield Finished(self._finish(network, best_weights, state, stopped, started))

    # -- one epoch -------------------------------------------------------------------------

    def _train_epoch(self, split: DataSplit, epoch: int, metrics: dict):
        dataset, context = split.train, self.context
        # DistributedSampler also for one process: its order depends on (seed, epoch) only,
        # so a resumed run visits the samples in the same order as an uninterrupted one.
        sampler = DistributedSampler(
            dataset, context.world_size, context.rank, shuffle=True, seed=self.seed
        )
        sampler.set_epoch(epoch)
        order = list(sampler)
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)  # per-sample augmentation seeds depend on the epoch
        self.model.train()
        done = batches = 0
        loss_sum, start = 0.0, time.monotonic()
        yield EpochStarted(epoch, self.config.epochs, self.batch_size, self._n(len(order)))
        while done < len(order):
            loader = self._loader(dataset, order[done:], self.batch_size)
            n_batches = batches + self._n(len(order) - done)
            out_of_memory = False
            try:
                for inputs, targets in loader:
                    loss = self._step(inputs, targets)
                    count = batch_length(inputs)
                    done, batches, loss_sum = done + count, batches + 1, loss_sum + loss * count
                    rate = done / max(time.monotonic() - start, 1e-9)
                    yield BatchDone(epoch, batches, n_batches, loss, rate)
            except torch.OutOfMemoryError:
                if context.enabled or self.batch_size == 1:
                    raise
                out_of_memory = True
            if out_of_memory:  # outside the except block, so the traceback's tensors are freed
                self.optimizer.zero_grad(set_to_none=True)
                free_cached_memory(self.device)
                self.batch_size //= 2
                yield Message(
                    f"out of memory on {self.device}: batch size halved to {self.batch_size}"
                )
        loss_mean = dist_util.weighted_mean(
            {"train_loss": loss_sum / max(done, 1)}, done, context, self.device
        )
        metrics.update(loss_mean)

    def _n(self, count: int) -> int:
        return math.ceil(count / self.batch_size)

    def _loader(self, dataset, indices, batch_size) -> DataLoader:
        workers = self.config.num_workers
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=indices,
            num_workers=workers,
            collate_fn=getattr(dataset, "collate_fn", None),
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
        )

    def _step(self, inputs: Any, targets: Any) -> float:
        inputs, targets = to_device(inputs, self.device), to_device(targets, self.device)
        with autocast(self.device, self.amp):
            loss = self.loss_fn(self.model(inputs), targets)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return float(loss.detach())

    def _validate(self, split: DataSplit) -> dict[str, float]:
        if len(split.val) == 0:
            return {}
        context = self.context
        # Each rank validates its own share (no padding: every series counts exactly once).
        indices = list(range(context.rank, len(split.val), context.world_size))
        loader = self._loader(split.val, indices, self.config.batch_size)
        with torch.no_grad():
            metrics = self.task.validate(self.network, loader, self.device)
        self.network.train()
        return dist_util.weighted_mean(metrics, len(indices), context, self.device)

    def _metric_name(self) -> str:
        has_val = self._split is not None and len(self._split.val) > 0
        return self.task.primary_metric if has_val else "train_loss"

    def _tracked(self, metrics: dict[str, float]) -> float:
        """The number that decides the best epoch (higher is better); without a validation set
        the training loss stands in."""
        if self._split is not None and len(self._split.val) == 0:
            return -metrics["train_loss"]
        value = metrics.get(self.task.primary_metric, math.nan)
        return value if math.isfinite(value) else -math.inf

    def _eta(self, epoch_times: list[float], epoch: int, elapsed: float) -> float | None:
        per_epoch = sum(epoch_times) / len(epoch_times)
        remaining = per_epoch * (self.config.epochs - epoch)
        if self.config.minutes is not None:
            budget_left = max(0.0, self.config.minutes * 60 - elapsed)
            # The budget ends after the epoch that crosses it: round up to whole epochs.
            remaining = min(remaining, math.ceil(budget_left / per_epoch) * per_epoch)
        return remaining

    # -- checkpoints and the result ----------------------------------------------------------

    def _write_checkpoint(self, state: dict, split: DataSplit, new_best) -> None:
        """Everything to continue from this epoch; the best weights only when they changed."""
        if self.checkpoint_dir is None or not self.context.is_main:
            return
        last, best = self.checkpoint_dir / LAST, self.checkpoint_dir / BEST_WEIGHTS
        # One epoch's files go together: new best weights without their checkpoint go too.
        with writing(last, best):
            self._write_checkpoint_files(state, split, new_best)

    def _write_checkpoint_files(self, state: dict, split: DataSplit, new_best) -> None:
        if new_best is not None:
            save_weights(self.checkpoint_dir / BEST_WEIGHTS, new_best)
        facts = {
            "task": self.task.name,
            "model_name": self.config.model,
            "config": self.config.to_json(),
            "seed": self.seed,
            "batch_size": self.batch_size,
            "split": {"train": list(split.train_ids), "val": list(split.val_ids)},
            **state,
            **self._extra_state(),
        }
        save_checkpoint(self.checkpoint_dir / LAST, pack(*self._parts(), **facts))

    def _parts(self) -> tuple:
        """What a checkpoint holds the state of."""
        return self.network, self.optimizer, self.scheduler, self.scaler

    def _extra_state(self) -> dict[str, Any]:
        """More for the checkpoint (a subclass's other networks: tensors and plain values)."""
        return {}

    def _restore_extra(self, checkpoint: dict[str, Any]) -> None:
        """Put back what `_extra_state` saved."""

    def _model_extras(self, network: torch.nn.Module) -> dict[str, dict[str, torch.Tensor]]:
        """Weight files saved beside the final model ({file name: tensors})."""
        return {}

    def _restore(self, checkpoint: dict, folder: Path, state: dict):
        """Continue from `checkpoint` (read from `folder`); returns the best weights so far."""
        found = (checkpoint.get("task"), checkpoint.get("model_name"))
        if found != (self.task.name, self.config.model):
            raise ValueError(
                f"the checkpoint is for task {found[0]!r} model {found[1]!r}, not "
                f"{self.task.name!r} {self.config.model!r}"
            )
        unpack(checkpoint, *self._parts())
        self._restore_extra(checkpoint)
        state.update({k: checkpoint[k] for k in ("epoch", "best", "best_epoch", "history")})
        state["best_loss"] = checkpoint.get("best_loss", math.inf)
        self.batch_size = int(checkpoint["batch_size"])
        if not state["best_epoch"]:
            return None
        if not (folder / BEST_WEIGHTS).is_file():
            raise ValueError(f"{folder}: {BEST_WEIGHTS} is missing beside the checkpoint")
        return load_safetensors(folder / BEST_WEIGHTS)

    def card(self, history: list[dict], best_epoch: int, seconds: float) -> ModelCard:
        """The model card of the run so far."""
        split = self._split
        best = next((h for h in history if h["epoch"] == best_epoch), {})
        name = self._metric_name()
        return ModelCard.for_run(
            task=self.task.name,
            hyperparameters=self.config.to_json() | {"final_batch_size": self.batch_size},
            task_fields=self.task.card_fields(self.config, split),
            epochs=history,
            best={"metric": name, "value": best.get(name), "epoch": best_epoch},
            device=self.choice.reason,
            durations_s={"total": seconds},
            split={"train": list(split.train_ids), "val": list(split.val_ids), "info": split.info},
        )

    def snapshot(self) -> TrainedModel:
        """A copy of the network as it is now, with its card (for the GUI to show the model's
        current prediction after each epoch while training goes on)."""
        if self.network is None:
            raise ValueError("training has not started")
        network = copy.deepcopy(self.network).eval()
        return TrainedModel(network, self.card([], 0, 0.0))

    def _finish(self, network, best_weights, state, stopped, started) -> TrainResult:
        if best_weights is not None:
            network.load_state_dict(best_weights)
        network.eval()
        extras = self._model_extras(network)  # before the card, which may describe them
        seconds = time.monotonic() - started
        card = self.card(state["history"], state["best_epoch"], seconds)
        trained, model_dir = TrainedModel(network, card, extras), None
        if self.config.out_dir and self.context.is_main:
            model_dir = trained.save(self.config.out_dir)
        best = next((h for h in state["history"] if h["epoch"] == state["best_epoch"]), {})
        return TrainResult(
            trained,
            {k: float(v) for k, v in best.items() if k != "epoch"},
            state["best_epoch"],
            state["epoch"],
            stopped,
            state["history"],
            model_dir,
        )
