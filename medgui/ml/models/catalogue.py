"""The catalogue of learning tasks: every task's name, human label, networks and form options,
and where its class lives. The one list that the trainer (`get_task`), the command line
(`medgui train --task/--model` choices) and the Training dock (through `medgui.workers`) read.

Plain data, no torch: reading it imports nothing heavy, and importing a task's module changes
no global state. A task's class is imported when `task_class` first asks for it, by the
"module:Class" path written here: the catalogue sits under the training layer that needs it,
while the task packages sit above training (see the import-linter contracts).

Adding a task is adding an entry here and its class (with `name` set to the entry's name).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NetworkEntry:
    """One network a task can train: its `TrainConfig.model` name and its human label."""

    name: str
    label: str


@dataclass(frozen=True)
class TaskEntry:
    """One task. `curve_metric` is the validation metric the dock plots (its `curve_label` in
    the title); `flip_on` is the value of the "flip" option that mirrors left-right (the tasks
    spell "on" differently: a switch, or a mode name)."""

    name: str
    label: str
    target: str  # "module:Class", imported on first use
    networks: tuple[NetworkEntry, ...]
    curve_metric: str
    curve_label: str
    flip_on: Any
    # False for a task trained from its own panel (the table task: from the Cases dock, on a
    # case table, not from the Training dock on label maps).
    in_training_dock: bool = True

    @property
    def network_names(self) -> tuple[str, ...]:
        return tuple(network.name for network in self.networks)


TASKS: tuple[TaskEntry, ...] = (
    TaskEntry(
        "segment",
        "Segmentation",
        "medgui.ml.segmentation.task:SegmentationTask",
        (NetworkEntry("unet2d", "2-D U-Net"), NetworkEntry("unet3d", "3-D U-Net")),
        curve_metric="dice",
        curve_label="Dice",
        flip_on=True,
    ),
    TaskEntry(
        "classify",
        "Classification",
        "medgui.ml.classification.task:ClassificationTask",
        (
            NetworkEntry("small_cnn", "Small CNN"),
            NetworkEntry("densenet121", "DenseNet-121"),
            NetworkEntry("resnet18", "ResNet-18"),
        ),
        curve_metric="auc",
        curve_label="AUC / accuracy",
        flip_on="horizontal",
    ),
    TaskEntry(
        "beats",
        "ECG beats",
        "medgui.ml.signals.task:BeatsTask",
        (NetworkEntry("crnn", "Conv + bidirectional GRU"),),
        curve_metric="beat_f1",
        curve_label="Beat F1",
        flip_on=False,  # a mirrored ECG is no ECG
    ),
    TaskEntry(
        "table",
        "Case table",
        "medgui.ml.tables.task:TableTask",
        (NetworkEntry("mlp", "Multilayer perceptron"),),
        curve_metric="auc",
        curve_label="AUC",
        flip_on=False,  # rows of numbers: nothing to mirror
        in_training_dock=False,
    ),
    TaskEntry(
        "report",
        "Report text",
        "medgui.ml.text.task:ReportTask",
        (
            NetworkEntry("bigru", "Bidirectional GRU + label attention"),
            NetworkEntry("cnn", "Dilated CNN + label attention"),
        ),
        curve_metric="macro_f1",
        curve_label="Macro F1",
        flip_on=False,  # text has no mirror image
    ),
)

#: What keeps validation data apart (`TrainConfig.validation`), with its human label.
VALIDATION: tuple[tuple[str, str], ...] = (
    ("patient", "By patient"),
    ("series", "By series (one patient on both sides)"),
    ("none", "None: train without validation"),
)
VALIDATION_CHOICES = tuple(name for name, _label in VALIDATION)


def task_names() -> tuple[str, ...]:
    """The names of every task, in the catalogue's order."""
    return tuple(entry.name for entry in TASKS)


def task_entry(name: str) -> TaskEntry:
    """The entry of task `name`; ValueError names the known tasks."""
    for entry in TASKS:
        if entry.name == name:
            return entry
    raise ValueError(f"unknown task {name!r} (known: {', '.join(task_names())})")


def task_class(name: str) -> type:
    """The class of task `name`, its module imported on first use."""
    module, _, attribute = task_entry(name).target.partition(":")
    return getattr(importlib.import_module(module), attribute)
