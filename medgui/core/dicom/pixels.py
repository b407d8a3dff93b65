"""Pixels of DICOM frames into one preallocated array, in modality units.

Two readers give identical results (a test proves it):

* the fast path reads uncompressed little-endian frames straight from the file into the output
  array (no per-slice temporaries), at the pixel offset recorded from the header;
* the reference path asks pydicom (with the pylibjpeg plugins for JPEG, JPEG-LS, JPEG 2000 and
  RLE) to decode a file. Compressed series decode on all cores in worker processes.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.pixels import apply_color_lut, get_decoder
from pydicom.uid import UID

from medgui.core.dicom.header import implied_transfer_syntax
from medgui.core.dicom.instance import DicomReadError, InstanceHeader
from medgui.core.util.bounded_file import BoundedFile
from medgui.core.util.worker_pool import WorkerPool


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
    slope, intercept = h.rescale_slope, h.rescale_intercept
    if out.dtype.kind in "iu":
        # Integer output means choose_format found integral rescale values: as Python ints they
        # keep the arithmetic in the output dtype (a float scalar would go through float64,
        # four times slower).
        slope, intercept = int(slope), int(intercept)
    if slope != 1:
        np.multiply(out, slope, out=out, casting="unsafe")
    if intercept != 0:
        np.add(out, intercept, out=out, casting="unsafe")


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


_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def decode_file(path: str) -> np.ndarray:
    """Decode every frame of a file with pydicom: (frames, rows, cols[, samples]) stored values,
    or RGB for palette colour. Raises `DicomReadError` naming the reason."""
    syntax = ""
    try:
        ds = _read_for_decoding(path)
        syntax = str(ds.file_meta.TransferSyntaxUID)
        if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
            # pydicom drops what it cannot parse at the end of a damaged file; the header reader
            # saw the pixel data element start, so its value is what is missing.
            raise DicomReadError(path, "pixel data cut short (the file ends early or is damaged)")
        arr = ds.pixel_array
        if ds.get("PhotometricInterpretation") == "PALETTE COLOR":
            arr = _palette_to_rgb(arr, ds)
    except DicomReadError:
        raise
    except (
        ValueError,
        RuntimeError,
        NotImplementedError,
        EOFError,
        OSError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        struct.error,
        zlib.error,
        BytesLengthException,
        InvalidDicomError,
    ) as exc:
        raise DicomReadError(path, _decode_reason(syntax, exc)) from exc
    except BaseException as exc:
        # The Rust decoders (pylibjpeg-rle) report damaged data as pyo3's PanicException, which
        # derives from BaseException: one bad file must not take the whole load down with it.
        if type(exc).__name__ != "PanicException":
            raise
        raise DicomReadError(path, _decode_reason(syntax, exc)) from exc
    if int(ds.get("NumberOfFrames") or 1) == 1:
        arr = arr[None]
    return arr


def _read_for_decoding(path: str) -> pydicom.Dataset:
    """The whole dataset, including files that the header reader accepted without a meta
    header or without a Transfer Syntax UID in it: pydicom must be told the encoding it found."""
    with BoundedFile(path) as fh:
        try:
            ds = pydicom.dcmread(fh)
        except InvalidDicomError:
            fh.seek(0)
            ds = pydicom.dcmread(fh, force=True)
    if "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta.TransferSyntaxUID = implied_transfer_syntax(ds)
    return ds


def _palette_to_rgb(arr: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    """RGB of a palette image; 8-bit tables come back as uint8, 16-bit ones as uint16."""
    if ds.original_encoding[1] is False:
        # pydicom 3.0 reads (non-segmented) LUT data in the machine's byte order, but OW values
        # of a big-endian file are big-endian: swap them, or every colour comes out wrong.
        for colour in ("Red", "Green", "Blue", "Alpha"):
            keyword = f"{colour}PaletteColorLookupTableData"
            if keyword in ds and ds[keyword].VR == "OW":
                ds[keyword].value = np.frombuffer(ds[keyword].value, ">u2").astype("=u2").tobytes()
    rgb = apply_color_lut(arr, ds)
    # 8-bit entries may be stored in 16-bit words: the descriptor's depth is what they mean.
    if int(ds.RedPaletteColorLookupTableDescriptor[2]) == 8:
        rgb = rgb.astype(np.uint8)
    return rgb


def _decode_reason(syntax: str, exc: BaseException) -> str:
    # pydicom puts each plugin's failure on a line of its own: together they are the reason.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join([lines[0], "; ".join(lines[1:])]).strip() if lines else type(exc).__name__
    if not syntax:
        return f"cannot read the file to decode it: {text}"
    uid = UID(syntax)
    if not _decoder_available(uid):
        return f"unsupported transfer syntax {uid.name} ({uid}): {text}"
    return f"cannot decode {uid.name} pixel data (damaged?): {text}"


def _decoder_available(uid: UID) -> bool:
    try:
        return get_decoder(uid).is_available
    except (NotImplementedError, ValueError):
        return False


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
            shift = 8 * (data.dtype.itemsize - out.dtype.itemsize)
            if data.dtype.kind == "u" and shift > 0:
                # Wider samples than the series holds (16-bit palette tables, 32-bit RGB): keep
                # the most significant bits; a plain cast would wrap values around.
                data = data >> shift
            np.copyto(out, data[..., :3], casting="unsafe")
            continue
        if h.photometric == "MONOCHROME1":
            data = np.array(data, copy=True)  # the inversion works in place
            _invert_monochrome1(data, h)
        to_modality(data, h, out)


# JPEG 2000 and friends decode under the GIL, so only processes use all cores.
_POOL = WorkerPool(min(os.cpu_count() or 1, 8))


def decode_pool() -> WorkerPool:
    """The session's pool of decoding processes (also the scan's header readers)."""
    return _POOL
