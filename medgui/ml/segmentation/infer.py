"""Running a segmentation model on a volume: the proposal the user reviews.

The volume is normalised and resampled exactly as in training (the model card says how), the
network runs with MONAI's sliding-window inference — slice by slice for the 2-D model, in 3-D
patches for the 3-D one — and the per-label probabilities are resampled back onto the input's
own grid, so the proposal overlays the image voxel for voxel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.inferers import sliding_window_inference

from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import Label, LabelMap, LabelTable
from medgui.ml.models.card import ModelCard
from medgui.ml.runtime.device import autocast, pick_device
from medgui.ml.runtime.proposal import Proposal
from medgui.ml.segmentation.transforms import normalise, resample, resampled_shape
from medgui.ml.training.checkpoint import TrainedModel

# Overlapping windows blended with Gaussian weights: no seams where windows meet.
OVERLAP = 0.25
BLEND = "gaussian"

Progress = Callable[[int, int], bool | None]


class InferenceCancelled(Exception):
    """The progress callback asked to stop."""


@dataclass(frozen=True)
class ModelSpec:
    """What inference reads from a segmentation model's card."""

    spatial_dims: int
    roi: tuple[int, ...]
    spacing_mm: tuple[float, ...] | None
    normalisation: dict[str, Any]
    labels: list[dict[str, Any]]  # {"value", "name", "color"} per output channel after 0

    @classmethod
    def from_card(cls, card: ModelCard) -> ModelSpec:
        if card.task != "segment":
            raise ValueError(f"the model is for task {card.task!r}, not segmentation")
        labels = card.extra.get("labels")
        if not card.input_size or not card.normalisation or not isinstance(labels, list):
            raise ValueError("the model card lacks the input size, normalisation or labels")
        spacing = tuple(float(s) for s in card.input_spacing_mm or ()) or None
        return cls(
            int(card.extra.get("spatial_dims", 2)),
            tuple(int(n) for n in card.input_size),
            spacing,
            card.normalisation,
            labels,
        )

    def table(self) -> LabelTable:
        return LabelTable(
            [Label(int(d["value"]), d["name"], tuple(d["color"])) for d in self.labels]
        )


def predict(
    network: torch.nn.Module,
    image: torch.Tensor,
    spatial_dims: int,
    roi: Sequence[int],
    *,
    slices: Sequence[int] | None = None,
    progress: Progress | None = None,
    amp: bool = True,
) -> torch.Tensor:
    """Class probabilities float32 (C, z, y, x) on the CPU for a normalised (z, y, x) `image`.

    The 2-D network runs on chunks of slices (all, or only `slices`, leaving the rest
    background), calling ``progress(done, total)`` after each; returning False from it raises
    `InferenceCancelled`. The 3-D network sees the whole volume in one sliding-window pass.
    """
    device = next(network.parameters()).device
    network.eval()
    cuda = device.type == "cuda"
    window_batch, chunk = (32, 64) if cuda else (8, 16)
    run = {
        "roi_size": tuple(roi),
        "sw_batch_size": window_batch,
        "predictor": network,
        "overlap": OVERLAP,
        "mode": BLEND,
    }
    with torch.inference_mode(), autocast(device, amp and cuda):
        if spatial_dims == 3:
            logits = sliding_window_inference(image[None, None].to(device), **run)[0]
            if progress is not None:
                progress(1, 1)
            return torch.softmax(logits.float(), dim=0).cpu()
        todo = list(range(image.shape[0])) if slices is None else sorted(set(slices))
        out: torch.Tensor | None = None
        for start in range(0, len(todo), chunk):
            picked = todo[start : start + chunk]
            batch = image[picked][:, None].to(device, non_blocking=True)
            probs = torch.softmax(sliding_window_inference(batch, **run).float(), dim=1)
            if out is None:
                out = torch.empty((probs.shape[1], *image.shape), dtype=torch.float32)
                if len(todo) < image.shape[0]:
                    out.zero_()
                    out[0] = 1.0  # slices not computed are background
            # A slice of consecutive indices copies straight; a list would gather.
            whole = picked[-1] - picked[0] + 1 == len(picked)
            out[:, slice(picked[0], picked[-1] + 1) if whole else picked] = probs.transpose(0, 1)
            if progress is not None and progress(start + len(picked), len(todo)) is False:
                raise InferenceCancelled("inference was cancelled")
        if out is None:
            raise ValueError("no slices to segment")
        return out


def most_likely(probabilities: torch.Tensor) -> torch.Tensor:
    """The class index per voxel of (C, ...) `probabilities`. ``max(dim=0).indices`` and not
    ``argmax(dim=0)``: on the CPU the latter reduces a leading axis some 30 times slower."""
    return probabilities.max(dim=0).indices


def _as_model(model: TrainedModel | str | Path, device: torch.device | None) -> TrainedModel:
    if isinstance(model, TrainedModel):
        return model
    return TrainedModel.load(model, device or pick_device().device)


def card_summary(card: ModelCard) -> dict[str, Any]:
    """The facts about a model that the proposal layer shows beside it."""
    return {
        "name": card.name,
        "version": card.model_version,
        "task": card.task,
        "model": card.model,
        "best": card.best,
        "created_at": card.created_at,
    }


def segment_volume(
    model: TrainedModel | str | Path,
    volume: Volume,
    progress: Progress | None = None,
    *,
    slices: Sequence[int] | None = None,
    device: torch.device | None = None,
) -> Proposal:
    """Segment `volume` with `model` (a model folder — weights.safetensors + card.json — or a
    `TrainedModel`); returns the `Proposal` on `volume`'s exact grid.

    `progress(done, total)` is called as slices finish; returning False cancels
    (`InferenceCancelled`). `slices` limits the 2-D model to those slice indices (the GUI
    refreshes the slice on screen after each epoch); `device` applies to a model folder.
    """
    trained = _as_model(model, device)
    spec = ModelSpec.from_card(trained.card)
    image = torch.from_numpy(normalise(volume, spec.normalisation))
    shape = volume.shape_zyx
    if spec.spacing_mm:
        image = resample(image, resampled_shape(shape, volume.spacing_mm, spec.spacing_mm), False)
    if spec.spatial_dims == 3:
        slices = None
    probabilities = predict(
        trained.network, image, spec.spatial_dims, spec.roi, slices=slices, progress=progress
    )
    probabilities = resample(probabilities, shape, label=False)
    values = [int(d["value"]) for d in spec.labels]
    dtype = np.uint8 if max(values, default=0) < 256 else np.uint16
    classes = most_likely(probabilities).numpy()
    if values == list(range(1, len(values) + 1)):
        labels = classes.astype(dtype)  # class index = label value: no lookup needed
    else:
        labels = np.asarray([0, *values], dtype)[classes]
    labelmap = LabelMap(
        [labels], volume.spacing_mm, volume.origin, volume.direction.copy(), spec.table()
    )
    return Proposal(
        probabilities.numpy(),
        labelmap,
        values,
        card_summary(trained.card),
        None if slices is None else sorted(set(slices)),
    )
