"""Preprocessing and augmentation for segmentation: the same normalisation and resampling at
training and inference time (the model card records both), MONAI transforms for augmentation.

Normalisation, per modality:

* CT: Hounsfield units clipped to a fixed window, default [-200, 300] HU, mapped to [0, 1]. HU
  are calibrated, so a fixed window keeps "liver" the same number in every scan; this window
  spans fat to enhanced vessels and bone edges, where abdominal organs and lesions differ, and
  spends no precision on air or dense bone. ``options["ct_window"]`` changes it.
* Everything else (MR, unknown): the 1st–99th percentiles of the volume mapped to [0, 1] and
  clipped. MR intensities are arbitrary per scan, so only a per-volume rescale makes them
  comparable; percentiles ignore the few extreme voxels that min/max would follow.

A volume without a modality tag (a NIfTI file) counts as CT when its 1st percentile lies below
-500: only HU images have that much air at negative values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from monai.transforms import (
    Compose,
    Rand2DElasticd,
    Rand3DElasticd,
    RandAffined,
    RandFlipd,
    RandGaussianNoised,
    RandScaleIntensityd,
    RandShiftIntensityd,
)

from medgui.core.image.volume import Volume

DEFAULT_CT_WINDOW = (-200.0, 300.0)
DEFAULT_PERCENTILES = (1.0, 99.0)
_KEYS = ("image", "label")


def normalisation_scheme(options: dict[str, Any]) -> dict[str, Any]:
    """The normalisation rule of a run (written into the model card)."""
    low, high = (float(v) for v in options.get("ct_window", DEFAULT_CT_WINDOW))
    if not high > low:
        raise ValueError(f"ct_window must be [low, high] with high > low, got {[low, high]}")
    return {
        "ct": {"window_hu": [low, high]},
        "other": {"percentiles": list(DEFAULT_PERCENTILES)},
        "range": [0.0, 1.0],
    }


def is_ct(volume: Volume) -> bool:
    """Whether `volume` holds Hounsfield units (its Modality tag, else the air test above)."""
    if volume.modality:
        return volume.modality.upper() == "CT"
    sample = volume.array[:: max(1, volume.shape_zyx[0] // 16), ::4, ::4]
    return bool(np.percentile(sample, 1) < -500)


def normalise(volume: Volume, scheme: dict[str, Any]) -> np.ndarray:
    """`volume`'s voxels as float32 in [0, 1] by `scheme` (see the module docstring)."""
    if volume.is_color:
        raise ValueError("segmentation works on greyscale volumes, not colour")
    array = volume.array.astype(np.float32, copy=False)
    if is_ct(volume):
        low, high = scheme["ct"]["window_hu"]
    else:
        sample = array[:: max(1, array.shape[0] // 32), ::2, ::2]
        low, high = (float(v) for v in np.percentile(sample, scheme["other"]["percentiles"]))
        if high <= low:  # a constant image: map it to 0 rather than divide by zero
            high = low + 1.0
    out = (array - np.float32(low)) * np.float32(1.0 / (high - low))
    return np.clip(out, 0.0, 1.0, out=out)


def resampled_shape(
    shape_zyx: tuple[int, ...], spacing_xyz: tuple[float, ...], target: tuple[float, ...]
) -> tuple[int, int, int]:
    """The (z, y, x) size of a volume resampled to `target` spacing: (x, y) for in-plane only,
    (x, y, z) for all three axes."""
    out = list(shape_zyx)
    for axis, (have, want) in enumerate(zip(spacing_xyz, target, strict=False)):
        index = 2 - axis  # x is the last array axis
        out[index] = max(1, round(shape_zyx[index] * have / want))
    return tuple(out)


def resample(array: torch.Tensor, shape_zyx: tuple[int, int, int], label: bool) -> torch.Tensor:
    """(C, z, y, x) or (z, y, x) `array` resized to `shape_zyx` with the field of view kept
    (edges aligned): linear for images and probabilities, nearest for labels. Only the axes
    whose size changes are touched, slice by slice when z stays (the 2-D case)."""
    squeeze = array.ndim == 3
    data = array[None] if squeeze else array
    if tuple(data.shape[1:]) == tuple(shape_zyx):
        return array
    dtype = data.dtype
    data = data.float()
    if data.shape[1] == shape_zyx[0]:  # in-plane only: z acts as the batch
        mode = "nearest-exact" if label else "bilinear"
        moved = F.interpolate(data.transpose(0, 1), size=shape_zyx[1:], mode=mode)
        moved = moved.transpose(0, 1)
    else:
        mode = "nearest-exact" if label else "trilinear"
        moved = F.interpolate(data[None], size=shape_zyx, mode=mode)[0]
    moved = moved.to(dtype) if label else moved
    return moved[0] if squeeze else moved


def pad_to(array: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """`array` zero-padded (centred) on its last axes to at least `size`."""
    lead = array.ndim - len(size)
    missing = [max(0, want - have) for want, have in zip(size, array.shape[lead:], strict=True)]
    if not any(missing):
        return array
    widths = [(0, 0)] * lead + [(m // 2, m - m // 2) for m in missing]
    return np.pad(array, widths)


def crop_start(
    shape: tuple[int, ...], size: tuple[int, ...], rng: np.random.Generator, label: np.ndarray
) -> tuple[int, ...]:
    """Where to cut a `size` window from an array of `shape`: two times in three around a random
    labelled voxel (when there is one), else anywhere — small structures are seen often."""
    centre = None
    if rng.random() < 2 / 3:
        hits = np.flatnonzero(label)
        if hits.size:
            centre = np.unravel_index(hits[rng.integers(hits.size)], label.shape)
    starts = []
    for axis, (have, want) in enumerate(zip(shape, size, strict=True)):
        high = have - want
        if centre is None:
            starts.append(int(rng.integers(high + 1)))
        else:
            starts.append(int(np.clip(centre[axis] - want // 2, 0, high)))
    return tuple(starts)


def augmentation(spatial_dims: int, options: dict[str, Any]) -> Compose:
    """Random transforms of a {"image", "label"} pair (channel first).

    Small rotations (in-plane) and scaling, and intensity scale/shift/noise. Flips are off by
    default: they swap left and right, and left/right is how a network tells liver from spleen
    (``options["flip"]=True`` turns them on for symmetric targets). Elastic deformation is off
    by default: on CPU it costs more than the rest together, and with few training series it
    makes organ shapes that do not occur (``options["elastic"]=True`` turns it on).
    """
    rotate = math.radians(float(options.get("rotate_deg", 10.0)))
    scale = float(options.get("scale", 0.1))
    modes = ("bilinear", "nearest")
    transforms = []
    if options.get("flip"):
        transforms += [RandFlipd(_KEYS, prob=0.5, spatial_axis=a) for a in range(spatial_dims)]
    # The first angle turns the (y, x) plane, also in 3-D where slices are axis 0.
    rotate_range = (rotate,) if spatial_dims == 2 else (rotate, 0.0, 0.0)
    transforms.append(
        RandAffined(
            _KEYS,
            prob=0.5,
            rotate_range=rotate_range,
            scale_range=(scale,) * spatial_dims,
            mode=modes,
            padding_mode="zeros",
        )
    )
    if options.get("elastic"):
        if spatial_dims == 2:
            elastic = Rand2DElasticd(
                _KEYS, spacing=(20, 20), magnitude_range=(1, 2), prob=0.3, mode=modes
            )
        else:
            elastic = Rand3DElasticd(
                _KEYS, sigma_range=(5, 7), magnitude_range=(50, 100), prob=0.3, mode=modes
            )
        transforms.append(elastic)
    jitter = float(options.get("intensity", 0.1))
    transforms += [
        RandScaleIntensityd("image", factors=jitter, prob=0.5),
        RandShiftIntensityd("image", offsets=jitter, prob=0.5),
        RandGaussianNoised("image", std=0.02, prob=0.2),
    ]
    return Compose(transforms)
