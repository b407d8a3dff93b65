"""Pixels for classification: read an image file, normalise it, shape it for a network, and
augment it. Training, validation, inference and Grad-CAM all go through these functions, so a
model always sees its input prepared the same way.

Normalisation to 0..1 (recorded in the model card):

* 8-bit data (PNG/JPEG, 8-bit DICOM, colour): value / 255;
* CT (Hounsfield units): a fixed window, by default centre 0 width 2000 (−1000..1000 HU:
  air to dense bone), so one HU value means the same input in every image;
* anything else (MR, 16-bit PNG, CR/DX): the 1st..99th percentile of the image → 0..1.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from medgui.core.deid.synthetic import SYNTHETIC_KEY
from medgui.core.dicom.header import read_instance_header, unusable_image_reason
from medgui.core.dicom.pixels import decode_file, stored_range, to_modality

PIL_SUFFIXES = (".png", ".jpg", ".jpeg")
DICOM_SUFFIXES = (".dcm", ".dicom")
DEFAULT_CT_WINDOW = (0.0, 2000.0)  # centre, width in HU
_COLOUR_MODES = {"RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV", "PA", "RGBX"}
# Training augmentation. No flip by default: left and right are anatomy (situs, laterality
# markers) and a mirrored image is another finding; flips are the user's choice (option "flip").
# bench_classify_defaults (sklearn digits as 28×28 PNGs, 10 epochs, CPU), test accuracy: these
# defaults 0.982; with horizontal flips (the old default) 0.869; no augmentation at all 0.984
# (rotation ±10° and intensity ±0.1 cost nothing measurable); the digits' own 28×28 instead of
# the default 64×64 input 0.980; batch 64 instead of 8: 0.972; a bare PyTorch loop (same
# network, 28×28, batch 64, no augmentation, last epoch) 0.942.
DEFAULT_AUGMENT = {"flip": "none", "rotate_deg": 10.0, "intensity": 0.1}
_LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R BT.601, as Pillow's "L" conversion


def normalisation_description(ct_window: tuple[float, float] = DEFAULT_CT_WINDOW) -> dict:
    """How `normalise` maps values to 0..1, for the model card."""
    centre, width = ct_window
    return {
        "8-bit": "value / 255",
        "CT": f"HU window centre {centre:g} width {width:g} -> 0..1",
        "other": "1st..99th percentile of the image -> 0..1",
    }


def normalise(
    array: np.ndarray, modality: str = "", ct_window: tuple[float, float] = DEFAULT_CT_WINDOW
) -> np.ndarray:
    """`array` (modality values, or 8-bit grey levels) as float32 in 0..1 (see the module
    docstring for the rules)."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    values = array.astype(np.float32)
    if modality.upper() == "CT":
        centre, width = ct_window
        low = centre - width / 2.0
        return np.clip((values - low) / width, 0.0, 1.0)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros_like(values)
    low, high = np.percentile(finite, (1.0, 99.0))
    if high <= low:
        return np.zeros_like(values) if high == 0 else np.clip(values / high, 0.0, 1.0)
    return np.nan_to_num(np.clip((values - low) / (high - low), 0.0, 1.0))


def is_dicom_file(path: str | Path) -> bool:
    """A DICOM file by suffix, or (for names without a suffix) by its "DICM" preamble."""
    path = Path(path)
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    if path.suffix:
        return False
    try:
        with open(path, "rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def is_image_file(path: str | Path) -> bool:
    """Whether `path` is a file this module reads (PNG, JPEG or DICOM)."""
    path = Path(path)
    if path.name.startswith("."):
        return False
    return path.suffix.lower() in PIL_SUFFIXES or is_dicom_file(path)


def files_below(folder: str | Path) -> list[Path]:
    """Every file below `folder`, sorted; hidden files and folders (".thumbnails", ".DS_Store")
    are not the user's images and are skipped."""
    found = []
    for directory, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".")]
        found += [Path(directory) / n for n in names if not n.startswith(".")]
    return sorted(found)


def image_info(path: str | Path) -> dict:
    """What a file holds without decoding its pixels: {"frames", "colour", "patient_id",
    "modality", "synthetic" (a PNG that medgui generated)}. ValueError naming the file and the
    reason if it is not a usable image."""
    path = Path(path)
    if is_dicom_file(path):
        header = read_instance_header(path)  # DicomReadError is a ValueError naming the file
        reason = unusable_image_reason(header)
        if reason:
            raise ValueError(f"{path}: {reason}")
        return {
            "frames": max(1, header.number_of_frames),
            "colour": header.samples_per_pixel == 3 or header.photometric == "PALETTE COLOR",
            "patient_id": header.patient_id,
            "modality": header.modality,
            "synthetic": False,
        }
    try:
        with Image.open(path) as image:
            # Text chunks before the pixels are in `info` without decoding (see generate).
            mode, synthetic = image.mode, image.info.get(SYNTHETIC_KEY) == "true"
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError(f"{path}: not a readable image ({error})") from error
    return {
        "frames": 1,
        "colour": mode in _COLOUR_MODES,
        "patient_id": "",
        "modality": "",
        "synthetic": synthetic,
    }


def _read_pil(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)  # phone/camera JPEGs are stored rotated
            if image.mode in _COLOUR_MODES:
                return np.asarray(image.convert("RGB"))
            if image.mode in ("1", "L", "LA"):
                return np.asarray(image.convert("L"))
            return np.asarray(image, dtype=np.float32)  # 16-bit or float grey
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(f"{path}: not a readable image ({error})") from error


def _read_dicom(path: Path, frame: int) -> tuple[np.ndarray, str]:
    header = read_instance_header(path)
    reason = unusable_image_reason(header)
    if reason:
        raise ValueError(f"{path}: {reason}")
    frames = decode_file(str(path))  # stored values, (frames, rows, cols[, samples])
    if not 0 <= frame < len(frames):
        raise ValueError(f"{path}: has {len(frames)} frame(s), no frame {frame}")
    stored = frames[frame]
    if stored.ndim == 3:  # colour: no modality LUT applies
        return stored, header.modality
    if header.photometric == "MONOCHROME1":  # low values show white: flip to MONOCHROME2
        low, high = stored_range(header)
        stored = ((low + high) - stored.astype(np.int64)).astype(stored.dtype)
    if header.rescale_slope == 1 and header.rescale_intercept == 0 and stored.dtype == np.uint8:
        return stored, header.modality
    values = np.empty(stored.shape, np.float32)
    to_modality(stored, header, values)
    return values, header.modality


def read_image(
    path: str | Path, frame: int = 0, ct_window: tuple[float, float] = DEFAULT_CT_WINDOW
) -> np.ndarray:
    """Frame `frame` of a PNG, JPEG or DICOM file, normalised to 0..1: float32 (H, W) for
    grey, (H, W, 3) for colour. DICOM goes through the modality LUT (HU for CT) and MONOCHROME1
    is inverted. ValueError naming the file and the reason when it cannot be read."""
    path = Path(path)
    if is_dicom_file(path):
        array, modality = _read_dicom(path, frame)
    else:
        array, modality = _read_pil(path), ""
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    if array.ndim not in (2, 3) or min(array.shape[:2]) < 2:
        raise ValueError(f"{path}: not a 2-D image (shape {array.shape})")
    if array.ndim == 3 and array.dtype != np.uint8:
        # 16-bit colour: scale by the type's range, keeping the colour balance.
        top = np.iinfo(array.dtype).max if array.dtype.kind in "iu" else max(array.max(), 1)
        return (array.astype(np.float32) / top).clip(0.0, 1.0)
    return normalise(array, modality, ct_window)


def to_network_input(image: np.ndarray, channels: int, size: int) -> torch.Tensor:
    """A normalised (H, W) or (H, W, 3) image as a float32 (channels, size, size) tensor:
    resized (antialiased bilinear, aspect ratio not kept, as the network was trained) and grey
    replicated to RGB or RGB reduced to luminance as `channels` asks."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    x = x[None] if x.ndim == 2 else x.permute(2, 0, 1)
    if channels == 1 and x.shape[0] == 3:
        x = (x * _LUMA[:, None, None]).sum(dim=0, keepdim=True)
    elif channels == 3 and x.shape[0] == 1:
        x = x.expand(3, -1, -1)
    if tuple(x.shape[1:]) != (size, size):
        x = F.interpolate(
            x[None], size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )[0]
    return x.contiguous()


def augment(
    x: torch.Tensor,
    flip: str = DEFAULT_AUGMENT["flip"],
    rotate_deg: float = DEFAULT_AUGMENT["rotate_deg"],
    intensity: float = DEFAULT_AUGMENT["intensity"],
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A randomly changed copy of a (C, H, W) image for training: flips ("none", "horizontal"
    or "both"), a rotation within ±`rotate_deg`, and an intensity jitter (gain and offset within
    ±`intensity`). Random numbers come from `generator` (torch's global RNG when None)."""

    def uniform() -> float:
        return float(torch.rand((), generator=generator))

    if flip in ("horizontal", "both") and uniform() < 0.5:
        x = x.flip(-1)
    if flip == "both" and uniform() < 0.5:
        x = x.flip(-2)
    if rotate_deg > 0:
        angle = math.radians((uniform() * 2 - 1) * rotate_deg)
        cos, sin = math.cos(angle), math.sin(angle)
        theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=x.dtype)[None]
        grid = F.affine_grid(theta, [1, *x.shape], align_corners=False)
        x = F.grid_sample(x[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        x = x[0]
    if intensity > 0:
        gain = 1 + (uniform() * 2 - 1) * intensity
        offset = (uniform() * 2 - 1) * intensity / 2
        x = x * gain + offset
    return x
