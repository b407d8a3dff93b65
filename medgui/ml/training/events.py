"""What the `Trainer` reports: one dataclass per event its generator yields, and `dispatch`,
the one way every consumer (the CLI's progress, the Training dock) reacts to them.

A consumer is a handler object with a method per event it cares about, named in `HANDLERS`
(`on_epoch_done(event)`, ...): `dispatch(event, handler)` calls it. A handler without the
method ignores that event (that is how a consumer says it does not care). An object that is
not a training event raises TypeError: an event type added here without its `HANDLERS` entry,
or a stray object sent to a consumer, is a bug to see, not to skip.

No torch here: the widgets receive these events through the training worker's signal and
dispatch them without importing the trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medgui.ml.training.checkpoint import TrainedModel


@dataclass
class DeviceChosen:
    """Where the run trains, and why (sent by whoever starts the trainer)."""

    reason: str


@dataclass
class EpochStarted:
    epoch: int  # 1-based
    epochs: int
    batch_size: int
    n_batches: int


@dataclass
class BatchDone:
    epoch: int
    batch: int  # 1-based, within the epoch
    n_batches: int  # may grow when an out-of-memory error halves the batch size
    loss: float
    samples_per_s: float


@dataclass
class EpochDone:
    epoch: int
    metrics: dict[str, float]  # "train_loss" and the task's validation metrics
    lr: float
    best: bool  # this epoch is the best so far
    eta_s: float | None  # estimated seconds until the run ends


@dataclass
class Message:
    text: str
    warning: bool = False  # something the user should act on (shown apart, not only logged)

    def __str__(self) -> str:
        return f"warning: {self.text}" if self.warning else self.text


@dataclass
class TrainResult:
    model: TrainedModel  # the best epoch's weights, in eval mode
    metrics: dict[str, float]  # of the best epoch
    best_epoch: int
    epochs_run: int
    stopped: str  # "epochs" | "early_stopping" | "minutes"
    history: list[dict[str, float]] = field(default_factory=list)
    model_dir: Path | None = None

    def summary(self) -> dict[str, Any]:
        """The final metrics as one JSON-safe dict (the CLI's last line)."""
        clean = {k: (v if math.isfinite(v) else None) for k, v in self.metrics.items()}
        return {
            "task": self.model.card.task,
            "best_epoch": self.best_epoch,
            "epochs_run": self.epochs_run,
            "stopped": self.stopped,
            "device": self.model.card.device,
            "validation": self.model.card.hyperparameters.get("validation"),
            "model_dir": str(self.model_dir) if self.model_dir else None,
            **clean,
        }


@dataclass
class Finished:
    result: TrainResult


@dataclass
class SamplesDrawn:
    """A generative method's samples after an epoch: `grid` uint8 (rows, cols[, 3]) with one
    row of `per_class` images per class (row i: `classes[i]`), each `side` pixels square."""

    epoch: int
    grid: Any  # a numpy array: no torch here
    classes: list[str]
    per_class: int
    side: int


#: Each event type and the handler method that receives it.
HANDLERS: dict[type, str] = {
    DeviceChosen: "on_device_chosen",
    EpochStarted: "on_epoch_started",
    BatchDone: "on_batch_done",
    EpochDone: "on_epoch_done",
    Message: "on_message",
    Finished: "on_finished",
    SamplesDrawn: "on_samples_drawn",
}


def dispatch(event: object, handler: object) -> Any:
    """Call `handler`'s method for `event` (see `HANDLERS`) and return what it returns; None
    when the handler has no such method. TypeError when `event` is no training event."""
    name = HANDLERS.get(type(event))
    if name is None:
        raise TypeError(f"not a training event: {type(event).__name__}")
    method = getattr(handler, name, None)
    return None if method is None else method(event)
