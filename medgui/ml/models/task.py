"""The contract between the trainer and a learning task (segmentation, classification, ...).

As in MONAI Label, a task is a small class: it builds its network, its loss and its datasets,
validates, and turns model outputs into results. The `Trainer` knows nothing about any task;
adding a model is adding a class and its catalogue entry (`ml.models.catalogue`), not
editing a switch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch.utils.data import Dataset

from medgui.ml.models.catalogue import VALIDATION_CHOICES, task_class


@dataclass
class TrainConfig:
    """Everything a training run is told (also written into the model card)."""

    task: str = "segment"
    model: str = ""  # the task's model name; "" = the task's default
    epochs: int = 50
    minutes: float | None = None  # wall-clock budget: stop after the epoch that crosses it
    batch_size: int = 8
    learning_rate: float = 1e-3
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    seed: int | None = 0
    deterministic: bool = False
    val_split: float = 0.2
    # What keeps validation data apart: "patient" (never one patient on both sides), "series"
    # (one patient's series may be on both sides), or "none" (no validation; the last epoch's
    # weights are kept). See `validation_problem`.
    validation: str = "patient"
    augment: bool = True
    amp: bool = True  # mixed precision, used on CUDA only
    early_stopping_patience: int = 10
    num_workers: int = 0
    out_dir: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # task-specific (e.g. input size)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**data)


@dataclass
class DataSplit:
    """Training and validation datasets, split by series or patient (never slices of one series
    on both sides), and a description of the split for the user and the model card."""

    train: Dataset
    val: Dataset
    train_ids: list[str]
    val_ids: list[str]
    info: dict[str, Any] = field(default_factory=dict)


def validation_problem(patients: int, series: int, validation: str) -> str:
    """Why the data cannot be split for validation as `validation` asks ("" when it can), given
    how many distinct patients (or, unknown, series/files) and series the labelled data has.
    The reason says which choice would work, for the user to make it explicitly."""
    if validation not in VALIDATION_CHOICES:
        raise ValueError(f"validation must be one of {', '.join(VALIDATION_CHOICES)}")
    if validation == "none" or (validation == "patient" and patients >= 2) or (
        validation == "series" and series >= 2
    ):
        return ""
    if validation == "patient" and series >= 2:
        return (
            "all labelled series belong to one patient, so no patient is left to validate on: "
            "choose validation by series (that patient on both sides: optimistic scores) or "
            "training without validation"
        )
    return (
        "only one labelled series: nothing is left to validate on; choose training without "
        "validation (the last epoch's weights are kept, unchecked)"
    )


class Task(ABC):
    """One kind of learning problem."""

    name: str = ""  # its name in the catalogue (`ml.models.catalogue.TASKS`)
    #: The validation metric that decides the best model (higher is better).
    primary_metric: str = ""

    @abstractmethod
    def build_network(self, config: TrainConfig) -> torch.nn.Module:
        """A fresh, untrained network for `config.model` (the default when empty)."""

    @abstractmethod
    def build_loss(self, config: TrainConfig) -> torch.nn.Module:
        """The training loss: called as loss(outputs, targets)."""

    @abstractmethod
    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        """Datasets from `sources` (folders, or workspace series) with the split of `config`."""

    @abstractmethod
    def validate(
        self, model: torch.nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        """Validation metrics, including `primary_metric` and "val_loss"."""

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        """Task-specific facts for the model card (labels or classes, input spacing, ...)."""
        return {}


def get_task(name: str) -> Task:
    """A new instance of task `name` from the catalogue (`ml.models.catalogue`), its module
    imported on first use; ValueError names the known tasks."""
    return task_class(name)()
