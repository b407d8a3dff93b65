"""The classification task ("classify"): images or slices → one class each.

`make_split` collects the labelled images (an ImageFolder directory or the workspace's class
tags), decides the channels (RGB if any image is in colour) and the input size, and splits by
patient / series / file, stratified by class. `build_network` needs the classes and channels:
it reads them from ``config.options`` ("classes", "in_channels") when given (inference rebuilds a
network from its card that way), else from the last `make_split`.

Options (``TrainConfig.options``): "size" (input side, default per network), "in_channels"
(1 or 3; default from the data), "classes" (fixes their order), "ct_window" ([centre, width]
HU), "flip" ("none" by default, "horizontal", "both"), "rotate_deg", "intensity", "cache_mb",
"method" ("supervised" by default; "gan" or "fixmatch" learn from unlabelled images too, given as
``sources["unlabelled"]``: a folder or `unlabelled.UnlabelledSlices`; see `semi_trainer`).

Labelled images marked synthetic (generated, see `generate`) always train, never validate, and
are counted apart in the card.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from medgui.core.io.scan import Series
from medgui.core.util.atomic import atomic_write_json
from medgui.core.workspace.layout import is_workspace
from medgui.core.workspace.store import Workspace
from medgui.ml.classification.data import (
    ClassificationDataset,
    Collected,
    ImageFolderSource,
    ImageRef,
    WorkspaceSource,
    class_counts,
    stratified_group_split,
)
from medgui.ml.classification.images import (
    DEFAULT_AUGMENT,
    DEFAULT_CT_WINDOW,
    normalisation_description,
)
from medgui.ml.classification.infer import classify_images
from medgui.ml.classification.metrics import classification_metrics
from medgui.ml.classification.networks import build_classifier, network_spec
from medgui.ml.classification.unlabelled import (
    SemiSupervisedDataset,
    as_unlabelled,
    check_one_size,
)
from medgui.ml.models.card import series_entry
from medgui.ml.models.pseudonyms import key_folder, pseudonymise
from medgui.ml.models.task import DataSplit, Task, TrainConfig, validation_problem

METHODS = ("supervised", "gan", "fixmatch")


def as_source(sources: Any) -> ImageFolderSource | WorkspaceSource:
    """The data source `sources` names: a folder (ImageFolder layout, or a workspace folder),
    a `Workspace`, {"images": DIR} or {"workspace": DIR} (what `medgui train` passes), or a
    source object (anything with `collect()`)."""
    if hasattr(sources, "collect"):
        return sources
    if isinstance(sources, Workspace):
        return WorkspaceSource(sources)
    if isinstance(sources, Mapping) and sources.get("workspace"):
        return WorkspaceSource(Workspace(sources["workspace"]))
    if isinstance(sources, Mapping) and sources.get("source"):
        return as_source(sources["source"])
    if isinstance(sources, Mapping) and sources.get("images"):
        return ImageFolderSource(sources["images"])
    if isinstance(sources, str | Path):
        if is_workspace(sources):
            return WorkspaceSource(Workspace(sources))
        return ImageFolderSource(sources)
    raise ValueError(f"classification data must be a folder or a workspace, got {sources!r}")


def _unit(groups: list[str]) -> str:
    kinds = sorted({g.split(":", 1)[0] for g in groups})
    return {"patient": "patients", "series": "series", "file": "files"}.get(
        kinds[0] if len(kinds) == 1 else "", "patients, series or files"
    )


def method_of(config: TrainConfig, sources: Any) -> tuple[str, Any]:
    """The method (`METHODS`) and its unlabelled source (None for "supervised"); ValueError when
    they do not go together."""
    method = str(config.options.get("method") or "supervised")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    unlabelled = sources.get("unlabelled") if isinstance(sources, Mapping) else None
    if method == "supervised" and unlabelled:
        raise ValueError("unlabelled images are used by the gan and fixmatch methods only")
    if method != "supervised" and not unlabelled:
        raise ValueError(f"method {method!r} needs unlabelled images (--unlabelled DIR)")
    return method, unlabelled


def _series_group(ref: ImageRef) -> str:
    """The split unit of `ref` when splitting by series: its series, else its file."""
    return f"series:{ref.series}" if ref.series else f"file:{ref.path}"


class ClassificationTask(Task):
    """Classify each image (or tagged slice) into one of the user's classes."""

    name = "classify"
    primary_metric = "accuracy"

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.channels = 1
        #: The confusion matrix (rows: true class) of the last `validate`, for the UI.
        self.last_confusion: list[list[int]] = []
        #: That of the most accurate `validate` so far (the epoch whose weights are kept).
        self.best_confusion: list[list[int]] = []
        self._best_accuracy = -math.inf
        self._loss = nn.CrossEntropyLoss()

    def input_size(self, config: TrainConfig) -> int:
        """The side of the square input: options["size"], else the network's default."""
        return int(config.options.get("size") or network_spec(config.model).default_size)

    def build_network(self, config: TrainConfig) -> nn.Module:
        """A fresh network (config.model: "" or "small_cnn", "densenet121", "resnet18")."""
        classes = list(config.options.get("classes") or self.classes)
        if not classes:
            raise ValueError("the classes are not known yet: call make_split first")
        channels = int(config.options.get("in_channels") or self.channels)
        return build_classifier(config.model, channels, len(classes), self.input_size(config))

    def trainer_class(self, config: TrainConfig) -> type | None:
        """The semi-supervised trainer for "gan" and "fixmatch" (see `trainer.trainer_for`)."""
        if config.options.get("method") in ("gan", "fixmatch"):
            from medgui.ml.classification.semi_trainer import SemiSupervisedTrainer

            return SemiSupervisedTrainer
        return None

    def build_loss(self, config: TrainConfig) -> nn.Module:
        """Cross-entropy on the logits."""
        return nn.CrossEntropyLoss()

    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        """Datasets from `sources` (see `as_source`), split by patient/series/file."""
        if config.validation != "none" and not 0 < config.val_split < 1:
            raise ValueError(
                f"val_split must be between 0 and 1, got {config.val_split}: classification "
                "needs validation images to choose the best model"
            )
        options = config.options
        method, unlabelled_source = method_of(config, sources)
        source = as_source(sources)
        if isinstance(source, WorkspaceSource):
            found: Collected = source.collect(options.get("classes"))
        else:
            found = source.collect()
        unlabelled, colour = [], found.colour
        if unlabelled_source:
            unlabelled_source = as_unlabelled(unlabelled_source)
            unlabelled, problems, unlabelled_colour = unlabelled_source.collect()
            found.problems += problems
            colour |= unlabelled_colour
            found.series.update(getattr(unlabelled_source, "series", {}))
            check_one_size(found.refs + unlabelled, found.series)
        self.classes = list(found.classes)
        self.best_confusion, self._best_accuracy = [], -math.inf  # a new run
        self.channels = int(options.get("in_channels") or (3 if colour else 1))
        # The card travels with the model: patients are named by keyed hash (see pseudonyms).
        names = pseudonymise({r.group for r in found.refs}, key_folder(source, config.out_dir))
        found.refs = [replace(r, group=names[r.group]) for r in found.refs]
        if config.validation == "series":  # one patient's series may be on both sides
            found.refs = [replace(r, group=_series_group(r)) for r in found.refs]
        votes: dict[str, Counter] = {}
        for ref in found.refs:
            if not ref.group.startswith("synthetic:"):
                votes.setdefault(ref.group, Counter())[ref.label] += 1
        group_labels = {g: c.most_common(1)[0][0] for g, c in votes.items()}
        reason = validation_problem(
            len(group_labels), len({_series_group(r) for r in found.refs}), config.validation
        )
        if reason:
            raise ValueError(reason)
        if config.validation == "none":
            train_ids, val_ids, stratified = sorted(group_labels), [], False
        else:
            train_ids, val_ids, stratified = stratified_group_split(
                group_labels, config.val_split, config.seed
            )
        if not val_ids and config.validation != "none":
            # Every class has a single group: validate on one anyway rather than not at all.
            val_ids, train_ids = train_ids[-1:], train_ids[:-1]
            stratified = False
        synthetic = sorted({r.group for r in found.refs if r.group.startswith("synthetic:")})
        train_ids = sorted(train_ids + synthetic)  # generated images never validate
        val_set = set(val_ids)
        train_refs = [r for r in found.refs if r.group not in val_set]
        val_refs = [r for r in found.refs if r.group in val_set]
        common = dict(
            channels=self.channels,
            size=self.input_size(config),
            series=found.series,
            ct_window=tuple(options.get("ct_window", DEFAULT_CT_WINDOW)),
            cache_mb=float(options.get("cache_mb", 1024.0)),
        )
        augment = None
        if config.augment:
            augment = {
                "flip": str(options.get("flip", DEFAULT_AUGMENT["flip"])),
                "rotate_deg": float(options.get("rotate_deg", DEFAULT_AUGMENT["rotate_deg"])),
                "intensity": float(options.get("intensity", DEFAULT_AUGMENT["intensity"])),
            }
        info = {
            "validation": config.validation,
            "unit": _unit(list(group_labels)),
            "classes": self.classes,
            "stratified": stratified,
            "train_images": len(train_refs),
            "val_images": len(val_refs),
            "train_counts": class_counts(train_refs, self.classes),
            "val_counts": class_counts(val_refs, self.classes),
            "channels": self.channels,
            "problems": found.problems,
            "tags_from_text": found.from_text,
            "method": method,
            "labelled_images": len(found.refs) - len(synthetic),
            "unlabelled_images": len(unlabelled),
            "synthetic_images": len(synthetic),
        }
        train = ClassificationDataset(train_refs, augment=augment, **common)
        if unlabelled:
            train = SemiSupervisedDataset(
                train, ClassificationDataset(unlabelled, augment=augment, **common)
            )
        return DataSplit(
            train,
            ClassificationDataset(val_refs, **common),
            train_ids,
            val_ids,
            info,
        )

    def validate(
        self, model: nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        """ "accuracy" (primary), "val_loss", "auc" (macro one-vs-rest) and "recall_<class>";
        the confusion matrix goes to `last_confusion`."""
        model.eval()
        losses, probabilities, labels, n = 0.0, [], [], 0
        with torch.no_grad():
            for inputs, targets in loader:
                inputs, targets = inputs.to(device), targets.to(device)
                logits = model(inputs).float()
                losses += float(self._loss(logits, targets)) * len(targets)
                n += len(targets)
                probabilities.append(torch.softmax(logits, dim=1).cpu().numpy())
                labels.append(targets.cpu().numpy())
        if n == 0:
            raise ValueError("no validation images")
        classes = self.classes or [str(i) for i in range(probabilities[0].shape[1])]
        metrics, confusion = classification_metrics(
            np.concatenate(labels), np.concatenate(probabilities), classes
        )
        self.last_confusion = confusion.tolist()
        if metrics.get("accuracy", -math.inf) > self._best_accuracy:
            self._best_accuracy = metrics["accuracy"]
            # In place: the card fields, taken when training starts, hold this very list.
            self.best_confusion[:] = self.last_confusion
        return {**metrics, "val_loss": losses / n}

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        """Classes, network, input size/channels, normalisation, the split and its problems,
        and the confusion matrix of the best validation (what inference needs to rebuild and feed
        the model, and what the model panel shows)."""
        size = self.input_size(config)
        ct_window = tuple(config.options.get("ct_window", DEFAULT_CT_WINDOW))
        return {
            "classes": list(self.classes),
            "model": network_spec(config.model).name,
            "input_size": [size, size],
            "input_channels": self.channels,
            "input_spacing_mm": None,
            "normalisation": normalisation_description(ct_window) | {"ct_window": ct_window},
            "series": data_provenance(split, self.classes),
            "split": {"train": split.train_ids, "val": split.val_ids, "info": split.info},
            "confusion": self.best_confusion,
            "tags_from_text": split.info.get("tags_from_text", 0),
            "semi_supervised": {
                k: split.info.get(k)
                for k in ("method", "labelled_images", "unlabelled_images", "synthetic_images")
            },
        }

    def infer_files(self, model_dir: Path, source: Path, output: Path) -> dict[str, str]:
        """`medgui infer` for classification: the class probabilities of the image `source` or
        of every image below the folder `source`, written to the JSON file `output` keyed by
        path. Returns {path: reason} for the images that could not be read (the others are
        written); ValueError when none could."""
        errors: dict[str, str] = {}
        found = classify_images(model_dir, source, errors=errors)
        if not found:
            reasons = "; ".join(errors.values()) or "no PNG, JPEG or DICOM images"
            raise ValueError(f"{source}: nothing to classify ({reasons})")
        atomic_write_json(output, found)
        return errors


def data_provenance(split: DataSplit, classes: list[str]) -> list[dict[str, Any]]:
    """Card entries for the data used: one per workspace series (UID and content hash of its
    files), and one per class folder of an ImageFolder (hash of the images in the split)."""
    refs = [*getattr(split.train, "refs", []), *getattr(split.val, "refs", [])]
    series = {**getattr(split.train, "series", {}), **getattr(split.val, "series", {})}
    entries = []
    for key in sorted({r.series for r in refs if r.series}):
        target = series[key]
        files = target.files if isinstance(target, Series) else [target]
        entries.append(series_entry(key, files, getattr(target, "uid", "")))
    by_class: dict[str, set[str]] = {}
    for ref in refs:
        if not ref.series:
            by_class.setdefault(classes[ref.label], set()).add(ref.path)
    for name, files in sorted(by_class.items()):
        entries.append(series_entry(f"class:{name}", sorted(files)))
    return entries
