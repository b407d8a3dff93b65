"""Images that medgui generated (a GAN's samples) are no patient data: they are written marked
as synthetic, and de-identification and exports leave them out rather than copy them as if they
were a patient's.

The mark is a PNG text chunk (``medgui:synthetic = true``, before the pixels, so reading it
decodes nothing). medgui writes no DICOM copy of a generated image; one made elsewhere would say
so in its Image Type (DERIVED, and "SYNTHETIC" among its values), which `is_synthetic_file`
reads too.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, PngImagePlugin, UnidentifiedImageError
from pydicom.errors import InvalidDicomError

SYNTHETIC_KEY = "medgui:synthetic"


def write_synthetic_png(image: np.ndarray, path: str | Path, class_name: str) -> Path:
    """One generated uint8 (H, W) or (H, W, 3) image as a PNG marked synthetic, with its
    class."""
    info = PngImagePlugin.PngInfo()
    info.add_text(SYNTHETIC_KEY, "true")
    info.add_text("medgui:class", class_name)
    info.add_text("Software", "medgui semi-supervised GAN")
    Image.fromarray(np.ascontiguousarray(image)).save(path, pnginfo=info)
    return Path(path)


def is_synthetic_file(path: str | Path) -> bool:
    """Whether `path` is an image marked synthetic: a PNG with the mark, or a DICOM file whose
    Image Type says DERIVED and SYNTHETIC. False for anything unreadable, and for what is no
    regular file (reading a FIFO would hang)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        if path.suffix.lower() == ".png":
            with Image.open(path) as image:
                return image.info.get(SYNTHETIC_KEY) == "true"
        with open(path, "rb") as handle:
            handle.seek(128)
            if handle.read(4) != b"DICM":
                return False
        header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["ImageType"])
        values = [str(v).upper() for v in header.get("ImageType", [])]
        return "DERIVED" in values and "SYNTHETIC" in values
    except (
        OSError, UnidentifiedImageError, InvalidDicomError, ValueError, RecursionError,
        EOFError, KeyError, struct.error,
    ):  # fmt: skip
        return False  # the export reports an unreadable file itself
