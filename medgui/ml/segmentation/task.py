"""The segmentation task ("segment"): a MONAI U-Net that labels every voxel.

Models (``TrainConfig.model``): "unet2d" (the default) works slice by slice — fast on a CPU and
good with few series — and "unet3d" on 3-D patches, for a GPU. Loss: Dice + cross-entropy
(Dice over the labels only: the background's Dice is near 1 anyway and would drown the small
structures). Metric: Dice per label on whole validation series ("dice_<name>") and their mean
("dice", the primary metric).

Options (``TrainConfig.options``): "channels" (U-Net widths, default (16, 32, 64, 128)),
"res_units" (2), "patch_size" (256 for 2-D, 96 for 3-D), "patches_per_case" (3-D, 4),
"spacing_mm" (default: the median of the training series), "ct_window" ([-200, 300] HU),
"labels" (names or values to learn; default all), "flip", "elastic", "rotate_deg", "scale",
"intensity" (see `transforms.augmentation`), and "classes" (set from a model card).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import torch
from monai.losses import DiceCELoss
from monai.metrics import DiceMetric
from monai.networks.nets import UNet

from medgui.core.labels.labelmap import DEFAULT_COLORS
from medgui.ml.models.card import series_entry
from medgui.ml.models.pseudonyms import key_folder, pseudonymise
from medgui.ml.models.task import DataSplit, Task, TrainConfig
from medgui.ml.segmentation.data import (
    Case,
    CaseDataset,
    LoadedCase,
    PatchDataset,
    SliceDataset,
    find_cases,
    load_cases,
    split_by_group,
)
from medgui.ml.segmentation.infer import most_likely, predict
from medgui.ml.segmentation.transforms import (
    augmentation,
    normalisation_scheme,
    normalise,
    resample,
    resampled_shape,
)

MODELS = {"unet2d": 2, "unet3d": 3}  # name → spatial dimensions
DEFAULT_MODEL = "unet2d"
DEFAULT_CHANNELS = (16, 32, 64, 128)
DEFAULT_PATCH = {2: 256, 3: 96}


def model_name(config: TrainConfig) -> str:
    name = config.model or DEFAULT_MODEL
    if name not in MODELS:
        raise ValueError(f"unknown segmentation model {name!r} (known: {', '.join(MODELS)})")
    return name


def patch_size(config: TrainConfig) -> tuple[int, ...]:
    """The training window (and inference window) in voxels, (y, x) or (z, y, x)."""
    dims = MODELS[model_name(config)]
    value = config.options.get("patch_size", DEFAULT_PATCH[dims])
    size = tuple(int(v) for v in (value if isinstance(value, list | tuple) else [value] * dims))
    levels = len(config.options.get("channels", DEFAULT_CHANNELS)) - 1
    if len(size) != dims or any(n < 2**levels or n % 2**levels for n in size):
        raise ValueError(f"patch_size {list(size)}: need {dims} sizes, multiples of {2**levels}")
    return size


def metric_key(name: str) -> str:
    """ "dice_<name>" with the label name reduced to letters, digits and underscores."""
    return "dice_" + (re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "label")


def _catalogue(cases: list[LoadedCase], wanted: list | None) -> list[dict[str, Any]]:
    """The labels painted in the training series, with names and colours from their tables."""
    values = sorted(set().union(*(np.flatnonzero(np.bincount(c.labels.ravel())) for c in cases)))
    values = [int(v) for v in values if v]
    labels = []
    for value in values:
        names = [
            t.get(value) for t in (c.table for c in cases) if value in {x.value for x in t.labels}
        ]
        named = [lb for lb in names if lb.name != f"Label {value}"] or names
        name = named[0].name if named else f"Label {value}"
        color = named[0].color if named else DEFAULT_COLORS[(value - 1) % len(DEFAULT_COLORS)]
        labels.append({"value": value, "name": name, "color": [int(c) for c in color]})
    if wanted:
        keep = {str(w).lower() for w in wanted}
        chosen = [lb for lb in labels if lb["name"].lower() in keep or str(lb["value"]) in keep]
        if len(chosen) != len(keep):
            known = ", ".join(f"{lb['value']} {lb['name']}" for lb in labels)
            raise ValueError(f"labels {sorted(keep)}: not all are painted (painted: {known})")
        labels = chosen
    if not labels:
        raise ValueError("the training series have no labelled voxels")
    return labels


def _target_spacing(config: TrainConfig, cases: list[LoadedCase], dims: int) -> list[float]:
    given = config.options.get("spacing_mm")
    if given is None:
        spacing = np.median([c.volume.spacing_mm[:dims] for c in cases], axis=0)
        return [round(float(s), 4) for s in spacing]
    spacing = [float(given)] * dims if isinstance(given, int | float) else [float(s) for s in given]
    if len(spacing) != dims or min(spacing) <= 0:
        raise ValueError(f"spacing_mm {given!r}: need {dims} positive numbers (x, y[, z])")
    return spacing


def _prepare(case: LoadedCase, scheme: dict, spacing: list[float], lut: np.ndarray) -> Case:
    image = torch.from_numpy(normalise(case.volume, scheme))
    shape = resampled_shape(case.volume.shape_zyx, case.volume.spacing_mm, tuple(spacing))
    classes = torch.from_numpy(lut[np.minimum(case.labels, len(lut) - 1)])
    return Case(
        case.id,
        resample(image, shape, label=False).numpy(),
        resample(classes, shape, label=True).numpy(),
    )


class SegmentationTask(Task):
    """Label every voxel with one of the user's labels (or background)."""

    name = "segment"
    primary_metric = "dice"

    def __init__(self) -> None:
        self.labels: list[dict[str, Any]] = []  # {"value", "name", "color"}, channel 1 onwards
        self.spacing_mm: list[float] = []
        self.series: list[dict[str, Any]] = []
        self.dims, self.patch = 2, (DEFAULT_PATCH[2],) * 2

    @property
    def classes(self) -> list[str]:
        return ["background", *(lb["name"] for lb in self.labels)]

    def build_network(self, config: TrainConfig) -> torch.nn.Module:
        """A MONAI U-Net with one output channel per class (background included)."""
        classes = config.options.get("classes") or self.classes
        if len(classes) < 2:
            raise ValueError("the labels are not known yet: call make_split first")
        channels = tuple(int(c) for c in config.options.get("channels", DEFAULT_CHANNELS))
        return UNet(
            spatial_dims=MODELS[model_name(config)],
            in_channels=1,
            out_channels=len(classes),
            channels=channels,
            strides=(2,) * (len(channels) - 1),
            num_res_units=int(config.options.get("res_units", 2)),
        )

    def build_loss(self, config: TrainConfig) -> torch.nn.Module:
        return DiceCELoss(include_background=False, to_onehot_y=True, softmax=True)

    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        """Load, split by patient/series, normalise and resample the labelled series."""
        options = config.options
        self.dims, self.patch = MODELS[model_name(config)], patch_size(config)
        raw, problems = find_cases(sources)
        loaded = load_cases(raw, problems)
        if not loaded:
            raise ValueError(
                "no labelled series to train on" + "".join(f"\n  {p}" for p in problems)
            )
        # The card travels with the model: patients are named by keyed hash (see pseudonyms).
        names = pseudonymise({c.group for c in loaded}, key_folder(sources, config.out_dir))
        for case in loaded:
            case.group = names[case.group]
        seed = 0 if config.seed is None else config.seed
        train, val, reason = split_by_group(loaded, config.val_split, seed, config.validation)
        if reason:
            raise ValueError(reason)
        self.labels = _catalogue(train, options.get("labels"))
        self.spacing_mm = _target_spacing(config, train, self.dims)
        scheme = normalisation_scheme(options)
        top = max(int(c.labels.max()) for c in loaded)
        lut = np.zeros(max(top, max(lb["value"] for lb in self.labels)) + 1, np.uint8)
        for index, label in enumerate(self.labels, start=1):
            lut[label["value"]] = index
        self.series = [series_entry(c.id, c.files, c.uid) for c in loaded if c.files]
        train_cases = [_prepare(c, scheme, self.spacing_mm, lut) for c in train]
        val_cases = [_prepare(c, scheme, self.spacing_mm, lut) for c in val]
        augment = augmentation(self.dims, options) if config.augment else None
        if self.dims == 2:
            train_set = SliceDataset(train_cases, self.patch[0], augment, seed)
        else:
            per_case = int(options.get("patches_per_case", 4))
            train_set = PatchDataset(train_cases, self.patch, per_case, augment, seed)
        groups = {c.group.split(":")[0] for c in loaded}
        info = {
            "validation": config.validation,
            "unit": "patients" if groups == {"patient"} and config.validation == "patient"
            else "series",
            "train_groups": sorted({c.group for c in train}),
            "val_groups": sorted({c.group for c in val}),
            "labels": [lb["name"] for lb in self.labels],
            "spacing_mm": self.spacing_mm,
            "train_samples_per_epoch": len(train_set),
            "problems": problems,
        }
        return DataSplit(
            train_set, CaseDataset(val_cases), [c.id for c in train], [c.id for c in val], info
        )

    def validate(
        self, model: torch.nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        """Dice per label over whole series (sliding-window inference, as in use), its mean,
        and the Dice+CE loss on those predictions ("val_loss")."""
        n_classes = len(self.labels) + 1
        dice = DiceMetric(
            include_background=False, reduction="none", ignore_empty=True, num_classes=n_classes
        )
        loss_fn = self.build_loss(TrainConfig())
        scores, losses = [], []
        for batch in loader:
            for item in batch:
                probabilities = predict(model, item["image"], self.dims, self.patch)
                truth = item["label"].long()[None, None]
                # The loss takes logits; log-probabilities are logits of the same softmax.
                log_p = torch.log(probabilities.clamp_min(1e-7))[None]
                losses.append(float(loss_fn(log_p, truth)))
                scores.append(dice(most_likely(probabilities)[None, None], truth)[0].numpy())
        if not scores:
            raise ValueError("no validation series")
        with warnings.catch_warnings():
            # A label absent from every validation series has no Dice (NaN), not an error.
            warnings.simplefilter("ignore", RuntimeWarning)
            per_label = np.nanmean(np.stack(scores), axis=0)
            mean = np.nanmean(per_label)
        metrics = {
            metric_key(lb["name"]): float(v) for lb, v in zip(self.labels, per_label, strict=True)
        }
        return metrics | {"dice": float(mean), "val_loss": float(np.mean(losses))}

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        """What inference needs (labels, window, spacing, normalisation) and the data used."""
        return {
            "classes": self.classes,
            "model": model_name(config),
            "input_size": list(self.patch),
            "input_channels": 1,
            "input_spacing_mm": list(self.spacing_mm),
            "normalisation": normalisation_scheme(config.options),
            "series": self.series,
            "labels": self.labels,
            "spatial_dims": self.dims,
        }
