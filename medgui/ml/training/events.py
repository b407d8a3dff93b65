"""What the `Trainer` reports: one dataclass per event its generator yields."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medgui.ml.training.checkpoint import TrainedModel


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
