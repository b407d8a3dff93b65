"""Pixels of DICOM frames into one preallocated array, in modality units.

Two readers give identical results (a test proves it):

* the fast path reads uncompressed little-endian frames straight from the file into the output
  array (no per-slice temporaries), at the pixel offset recorded from the header;
* the reference path asks pydicom (with the pylibjpeg plugins for JPEG, JPEG-LS, JPEG 2000 and
  RLE) to decode a file. Compressed series decode on all cores in worker processes.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut

from medgui.core.dicom_header import DicomReadError, InstanceHeader


@dataclass(frozen=True)
class PixelFormat:
    """The output array's dtype and channels for a whole series, decided from headers alone."""

    dtype: np.dtype
    channels: int  # 1 for greyscale, 3 for colour
    integer_rescale: bool

    @property
    def is_color(self) -> bool:
        return self.channels > 1


def stored_range(h: InstanceHeader) -> tuple[int, int]:
    bits = h.bits_stored or h.bits_allocated or 16
    if h.pixel_representation:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _is_color(h: InstanceHeader) -> bool:
    return h.samples_per_pixel > 1 or h.photometric == "PALETTE COLOR"


def choose_format(headers: list[InstanceHeader]) -> PixelFormat:
    """The smallest dtype that holds every modality value the headers allow."""
    if any(_is_color(h) for h in headers):
        deep = any(h.bits_allocated > 8 for h in headers)
        return PixelFormat(np.dtype(np.uint16 if deep else np.uint8), 3, True)
    if any(
        h.bits_allocated == 32 and h.pixel_representation == 0 and h.bits_stored == 32
        for h in headers
    ):
        return PixelFormat(np.dtype(np.float32), 1, False)
    integer = all(
        float(h.rescale_slope).is_integer() and float(h.rescale_intercept).is_integer()
        for h in headers
    )
    if not integer:
        return PixelFormat(np.dtype(np.float32), 1, False)
    lo = hi = 0
    for h in headers:
        s_lo, s_hi = stored_range(h)
        ends = (
            s_lo * h.rescale_slope + h.rescale_intercept,
            s_hi * h.rescale_slope + h.rescale_intercept,
        )
        lo, hi = min(lo, *ends), max(hi, *ends)
    for dtype in (np.uint8, np.int16, np.uint16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return PixelFormat(np.dtype(dtype), 1, True)
    return PixelFormat(np.dtype(np.float32), 1, False)


def stored_dtype(h: InstanceHeader) -> np.dtype:
    kind = "i" if h.pixel_representation else "u"
    return np.dtype(f"<{kind}{h.bits_allocated // 8}")


def can_read_directly(h: InstanceHeader) -> bool:
    """Frames this module may read straight from the file, bypassing pydicom's decoders."""
    return (
        h.pixel_offset >= 0
        and h.pixel_length >= 0
        and h.samples_per_pixel == 1
        and h.bits_allocated in (8, 16)
        and h.photometric in ("MONOCHROME1", "MONOCHROME2")
    )


def check_pixel_length(h: InstanceHeader) -> None:
    """Raise a precise error when an uncompressed file holds fewer pixel bytes than declared."""
    needed = h.frame_bytes * h.number_of_frames
    available = min(h.pixel_length, max(h.size - h.pixel_offset, 0))
    if available < needed:
        raise DicomReadError(h.path, f"truncated pixel data ({available} of {needed} bytes)")


def _fix_stored_bits(frame: np.ndarray, h: InstanceHeader) -> None:
    """Sign-extend signed values stored in fewer bits than allocated, as pydicom does."""
    unused = h.bits_allocated - (h.bits_stored or h.bits_allocated)
    if h.pixel_representation and 0 < unused:
        np.left_shift(frame, unused, out=frame)
        np.right_shift(frame, unused, out=frame)


def _invert_monochrome1(frame: np.ndarray, h: InstanceHeader) -> None:
    """MONOCHROME1 shows low values white; flip stored values so every volume reads as
    MONOCHROME2 (the window is flipped to match in `invert_window`)."""
    if h.photometric == "MONOCHROME1":
        lo, hi = stored_range(h)
        np.subtract(lo + hi, frame, out=frame, casting="unsafe")


def invert_window(h: InstanceHeader, center: float) -> float:
    lo, hi = stored_range(h)
    to_modality = lambda v: v * h.rescale_slope + h.rescale_intercept  # noqa: E731
    return to_modality(lo) + to_modality(hi) - center


def to_modality(stored: np.ndarray, h: InstanceHeader, out: np.ndarray) -> None:
    """Apply the modality LUT (rescale) from stored values into `out`, without a temporary."""
    if stored is not out:
        np.copyto(out, stored, casting="unsafe")
    if h.rescale_slope != 1.0:
        np.multiply(out, h.rescale_slope, out=out, casting="unsafe")
    if h.rescale_intercept != 0.0:
        np.add(out, h.rescale_intercept, out=out, casting="unsafe")


def read_frames_directly(h: InstanceHeader, frames: list[tuple[int, np.ndarray]]) -> None:
    """Read the listed frames of an uncompressed file straight into their output slices.

    `frames` pairs a frame number with the output slice it fills. When the output dtype equals
    the stored dtype the bytes land in place; otherwise they go through one reused scratch frame.
    """
    check_pixel_length(h)
    dtype = stored_dtype(h)
    lo, hi = stored_range(h)
    scratch = None
    with open(h.path, "rb", buffering=0) as fh:
        for frame, out in frames:
            # Stored values that fit the output dtype of the same width can land in place: the
            # bytes mean the same number in both.
            direct = (
                out.dtype.kind in "iu"
                and out.dtype.itemsize == dtype.itemsize
                and np.iinfo(out.dtype).min <= lo
                and hi <= np.iinfo(out.dtype).max
            )
            if not direct and scratch is None:
                scratch = np.empty((h.rows, h.columns), dtype)
            target = out.view(dtype) if direct else scratch
            fh.seek(h.pixel_offset + frame * h.frame_bytes)
            if fh.readinto(memoryview(target).cast("B")) != h.frame_bytes:
                raise DicomReadError(h.path, f"truncated pixel data in frame {frame + 1}")
            _fix_stored_bits(target, h)
            _invert_monochrome1(target, h)
            to_modality(out if direct else target, h, out)


def decode_file(path: str) -> np.ndarray:
    """Decode every frame of a file with pydicom: (frames, rows, cols[, samples]) stored values,
    or RGB for palette colour. Raises `DicomReadError` naming the reason."""
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except (
        ValueError,
        RuntimeError,
        NotImplementedError,
        EOFError,
        OSError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        raise DicomReadError(path, _decode_reason(path, exc)) from exc
    frames = int(ds.get("NumberOfFrames") or 1)
    if ds.get("PhotometricInterpretation") == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    if frames == 1:
        arr = arr[None]
    return arr


def _decode_reason(path: str, exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        syntax = pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
    except (ValueError, OSError, AttributeError, EOFError, KeyError, TypeError):
        return f"cannot decode pixel data: {text}"
    if (
        "no pixel data handlers" in text.lower()
        or "unable to decode" in text.lower()
        or "no available" in text.lower()
    ):
        return f"unsupported transfer syntax {syntax.name} ({syntax}): {text}"
    return f"cannot decode {syntax.name} pixel data: {text}"


def place_decoded(arr: np.ndarray, h: InstanceHeader, frames: list[tuple[int, np.ndarray]]) -> None:
    """Put pydicom-decoded frames into their output slices, in modality units."""
    for frame, out in frames:
        data = arr[frame]
        if data.shape[:2] != out.shape[:2]:
            raise DicomReadError(
                h.path, f"frame {frame + 1} is {data.shape} but the series is {out.shape}"
            )
        if out.ndim == 3:
            if data.ndim == 2:
                data = np.repeat(data[..., None], 3, axis=2)
            np.copyto(out, data[..., :3], casting="unsafe")
            continue
        stored = np.array(data, copy=True)
        _invert_monochrome1(stored, h)
        to_modality(stored, h, out)


_POOL: ProcessPoolExecutor | None = None


def decode_pool() -> ProcessPoolExecutor:
    """A process pool kept for the session: JPEG 2000 and friends decode under the GIL, so only
    processes use all cores. 'forkserver' keeps it safe inside a threaded Qt application."""
    global _POOL
    if _POOL is None:
        workers = max(1, min(os.cpu_count() or 1, 8))
        context = multiprocessing.get_context("forkserver")
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL
