"""Label a few slices, propagate the rest: a small 2-D U-Net trained on just the labelled
slices of one series, then run on every other slice.

Any axial slice with a non-zero voxel counts as labelled; the others are unknown (not
background), so the network only ever sees labelled slices. Few slices means little data, so
the augmentation is strong (rotations to 20°, scaling by 20 %, intensity jitter of 20 %) and
the network small (widths 16–128, one residual unit). Training stops at a time budget; the
slices the user labelled are then copied into the result unchanged, so propagation only ever
fills the rest.

The result is a `Proposal` (the layer inference fills), with one-hot probabilities on the
labelled slices.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from monai.losses import DiceCELoss
from monai.networks.nets import UNet

from medgui.core.labelmap import DEFAULT_COLORS, Label, LabelMap, LabelTable
from medgui.core.volume import Volume
from medgui.ml.device import pick_device
from medgui.ml.proposal import Proposal
from medgui.ml.segmentation.data import Case
from medgui.ml.segmentation.infer import most_likely, predict
from medgui.ml.segmentation.transforms import (
    normalisation_scheme,
    normalise,
    resample,
)

Progress = Callable[[int, int], object]

DEFAULT_MINUTES = 0.75  # the first proposal within a minute on a CPU, prediction included
CHANNELS = (8, 16, 32, 64)
STRONG_AUGMENTATION = {"rotate_deg": 20.0, "scale": 0.2, "intensity": 0.2}
PATCH = 96  # training crops (pixels, after the in-plane halving): an organ's context
# Slices at least this wide are learnt and predicted at half resolution in-plane: four times
# the training steps in the same time, which counts for more than the finest detail.
HALVE_FROM = 192
BATCH = 4
LEARNING_RATE = 3e-3
# Share of the budget left for predicting the other slices and assembling the result.
PREDICT_SHARE = 0.2


def labelled_slices(labels_zyx: np.ndarray) -> list[int]:
    """The axial slice indices holding any non-zero voxel."""
    return [int(k) for k in np.flatnonzero(labels_zyx.reshape(labels_zyx.shape[0], -1).any(1))]


def evenly_spaced_slices(labels_zyx: np.ndarray, count: int) -> list[int]:
    """`count` evenly spaced slices inside the labelled extent of `labels_zyx` (its end
    slices excluded, where the structures are tips): what a user would label to start."""
    labelled = labelled_slices(labels_zyx)
    if not labelled:
        raise ValueError("nothing is labelled")
    spots = np.linspace(labelled[0], labelled[-1], count + 2)[1:-1]
    return sorted({int(round(s)) for s in spots})


def dice_by_label(labels: np.ndarray, truth: np.ndarray, values: list[int]) -> dict[int, float]:
    """Dice of each label value between two label arrays (1.0 where both lack it)."""
    scores = {}
    for value in values:
        a, b = labels == value, truth == value
        total = np.count_nonzero(a) + np.count_nonzero(b)
        scores[int(value)] = 1.0 if total == 0 else 2 * np.count_nonzero(a & b) / total
    return scores


def _check(volume: Volume, labels_zyx: np.ndarray) -> list[int]:
    if volume.is_color:
        raise ValueError("propagation works on greyscale images, not colour")
    if tuple(labels_zyx.shape) != tuple(volume.shape_zyx):
        raise ValueError(
            f"the labels {tuple(labels_zyx.shape)} and the image {volume.shape_zyx} differ in shape"
        )
    given = labelled_slices(labels_zyx)
    if not given:
        raise ValueError("no slice is labelled: label a few slices first")
    if len(given) == labels_zyx.shape[0]:
        raise ValueError("every slice is labelled already: nothing to propagate")
    return given


def _network(classes: int, device: torch.device) -> torch.nn.Module:
    return UNet(
        spatial_dims=2,
        in_channels=1,
        out_channels=classes,
        channels=CHANNELS,
        strides=(2,) * (len(CHANNELS) - 1),
        num_res_units=1,
    ).to(device)


def _augmented_batch(images, classes, patch: int, generator: torch.Generator):
    """A batch of `BATCH` random crops of the labelled slices, each rotated, scaled and shifted
    at random and with its intensity jittered: on the whole batch at once with `grid_sample`
    (per-sample MONAI transforms cost more on a CPU than the network's step)."""
    n, height, width = images.shape
    picks = torch.randint(n, (BATCH,), generator=generator)
    angle = (torch.rand(BATCH, generator=generator) * 2 - 1) * math.radians(
        STRONG_AUGMENTATION["rotate_deg"]
    )
    scale = 1 + (torch.rand(BATCH, generator=generator) * 2 - 1) * STRONG_AUGMENTATION["scale"]
    # The crop's centre: anywhere, in the slice's normalised coordinates.
    shift = (torch.rand(BATCH, 2, generator=generator) * 2 - 1) * 0.6
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    sx, sy = patch / width, patch / height
    theta = torch.stack(
        [
            torch.stack([cos * sx, -sin * sy, shift[:, 0]], dim=1),
            torch.stack([sin * sx, cos * sy, shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, (BATCH, 1, patch, patch), align_corners=False)
    image = F.grid_sample(images[picks, None], grid, mode="bilinear", align_corners=False)
    label = F.grid_sample(
        classes[picks, None].float(), grid, mode="nearest", align_corners=False
    ).long()
    jitter = STRONG_AUGMENTATION["intensity"]
    gain = 1 + (torch.rand(BATCH, 1, 1, 1, generator=generator) * 2 - 1) * jitter
    offset = (torch.rand(BATCH, 1, 1, 1, generator=generator) * 2 - 1) * jitter
    noise = torch.randn(image.shape, generator=generator) * 0.02
    return image * gain + offset + noise, label


def _train(network, case: Case, budget_s: float, max_steps, device, progress, seed: int) -> int:
    """Train until `budget_s` seconds or `max_steps` steps have passed; returns the steps."""
    # Multiples of 16 suit the U-Net's three halvings; a small image needs no bigger crop.
    patch = min(PATCH, -(-max(case.image.shape[1:]) // 16) * 16)
    images, classes = torch.from_numpy(case.image), torch.from_numpy(case.label)
    generator = torch.Generator().manual_seed(seed)
    loss_fn = DiceCELoss(include_background=False, to_onehot_y=True, softmax=True)
    optimiser = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE)
    network.train()
    started, steps = time.monotonic(), 0
    limit = math.inf if max_steps is None else int(max_steps)
    while steps < limit:
        batch, target = _augmented_batch(images, classes, patch, generator)
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn(network(batch.to(device)), target.to(device))
        loss.backward()
        optimiser.step()
        steps += 1
        elapsed = time.monotonic() - started
        if progress is not None:
            done = steps if max_steps is not None else int(elapsed)
            total = limit if max_steps is not None else max(1, int(budget_s))
            progress(min(done, total), total)
        if max_steps is None and elapsed >= budget_s:
            break
    return steps


def propagate(
    volume: Volume,
    labels_zyx: np.ndarray,
    *,
    minutes: float = DEFAULT_MINUTES,
    max_steps: int | None = None,
    device: str | torch.device = "auto",
    table: LabelTable | None = None,
    progress: Progress | None = None,
    seed: int = 0,
) -> Proposal:
    """Train on the labelled axial slices of `labels_zyx` (a label layer on `volume`'s grid)
    and propose labels for every other slice; the labelled slices are kept exactly.

    `minutes` is the budget of the whole run (training stops early enough to predict);
    `max_steps`, when given, stops training after that many batches instead (tests).
    `progress(done, total)` is called after each batch and chunk of slices (it may raise to
    cancel). `table` names the labels (default: "Label k"). ValueError for bad input."""
    if not minutes > 0:
        raise ValueError(f"the time budget must be positive, got {minutes} minutes")
    labels_zyx = np.asarray(labels_zyx)
    given = _check(volume, labels_zyx)
    torch_device = device if isinstance(device, torch.device) else pick_device(device).device
    torch.manual_seed(seed)
    values = [int(v) for v in np.unique(labels_zyx[given]) if v != 0]
    lut = np.zeros(int(max(values)) + 1, np.uint8)
    lut[values] = np.arange(1, len(values) + 1)
    image = torch.from_numpy(normalise(volume, normalisation_scheme({})))
    shape = volume.shape_zyx
    factor = 2 if min(shape[1:]) >= HALVE_FROM else 1
    small = (shape[0], shape[1] // factor, shape[2] // factor)
    image = resample(image, small, label=False)
    classes = resample(torch.from_numpy(lut[labels_zyx]), small, label=True).numpy()
    case = Case("propagate", image[given].numpy(), classes[given])
    network = _network(len(values) + 1, torch_device)
    budget_s = minutes * 60.0 * (1.0 - PREDICT_SHARE)
    steps = _train(network, case, budget_s, max_steps, torch_device, progress, seed)
    others = [k for k in range(volume.shape_zyx[0]) if k not in set(given)]
    roi = tuple(min(PATCH, n) for n in small[1:])
    probabilities = predict(network, image, 2, roi, slices=others, progress=progress)
    probabilities = resample(probabilities, shape, label=False).numpy()
    # The user's slices, exactly: their own labels, certain.
    classes = lut[labels_zyx[given]].astype(np.int64)
    labelled = np.zeros((len(values) + 1, *classes.shape), np.float32)
    np.put_along_axis(labelled, classes[None], 1.0, axis=0)
    probabilities[:, given] = labelled
    dtype = labels_zyx.dtype if np.issubdtype(labels_zyx.dtype, np.integer) else np.uint16
    best = most_likely(torch.from_numpy(probabilities)).numpy()
    out = np.asarray([0, *values], dtype)[best]
    out[given] = labels_zyx[given]
    names = {lb.value: lb for lb in table.labels} if table is not None else {}
    rows = [
        names.get(v) or Label(v, f"Label {v}", DEFAULT_COLORS[(v - 1) % len(DEFAULT_COLORS)])
        for v in values
    ]
    labelmap = LabelMap(
        [out], volume.spacing_mm, volume.origin, volume.direction.copy(), LabelTable(rows)
    )
    summary = {"name": "propagation", "version": "", "steps": steps, "given_slices": given}
    return Proposal(probabilities, labelmap, values, summary)
