"""What medgui needs to know about one DICOM file, read from its header only.

`read_instance_header(path)` is the reference: pydicom parses the header. `dicom_fastheader`
offers a narrow fast path for the common uncompressed little-endian files; both return the same
`InstanceHeader`, and a test proves they agree on every file they both accept.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pydicom
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.uid import UID

from medgui.core.dicom.fastheader import read_fast_header
from medgui.core.dicom.functional_groups import read_functional_groups
from medgui.core.dicom.instance import DicomReadError, InstanceHeader
from medgui.core.dicom.values import as_text, first_float, floats, int_or_none
from medgui.core.util.bounded_file import BoundedFile

# Non-image storage classes, by SOP Class UID prefix, and what a user would call them.
_NON_IMAGE_KINDS = (
    ("1.2.840.10008.5.1.4.1.1.88.", "SR"),
    ("1.2.840.10008.5.1.4.1.1.66.4", "SEG"),
    ("1.2.840.10008.5.1.4.1.1.66", "raw data / registration"),
    ("1.2.840.10008.5.1.4.1.1.481.3", "RT structure set"),
    ("1.2.840.10008.5.1.4.1.1.481.5", "RT plan"),
    ("1.2.840.10008.5.1.4.1.1.481.", "RT object"),
    ("1.2.840.10008.5.1.4.1.1.9.", "waveform"),
    ("1.2.840.10008.5.1.4.1.1.11.", "presentation state"),
    ("1.2.840.10008.5.1.4.1.1.104.", "encapsulated document"),
    ("1.2.840.10008.1.3.10", "DICOMDIR"),
    ("1.2.840.10008.5.1.4.1.1.2.1", "image"),  # enhanced CT: an image despite the prefixes
)
_RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"

# Values larger than this are not read while scanning (protects against declared huge lengths).
HEADER_DEFER_BYTES = 64 * 1024
PIXEL_DATA_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


def classify_sop_class(sop_class_uid: str, has_pixels: bool) -> str:
    """The user-facing kind of an object: 'image' or a non-image kind such as 'SR'."""
    if sop_class_uid == _RT_DOSE:
        return "image"
    for prefix, kind in _NON_IMAGE_KINDS:
        if sop_class_uid.startswith(prefix):
            return kind
    if has_pixels or sop_class_uid.startswith("1.2.840.10008.5.1.4.1.1."):
        return "image"
    return "non-image object"


def header_from_dataset(ds: pydicom.Dataset, path: str | Path) -> InstanceHeader:
    """Fill an `InstanceHeader` from a parsed dataset (pixel location is left to the caller)."""
    meta = getattr(ds, "file_meta", None)
    sop_class = as_text(ds.get("SOPClassUID")) or as_text(
        meta.get("MediaStorageSOPClassUID") if meta else ""
    )
    tsyntax = as_text(meta.get("TransferSyntaxUID")) if meta is not None else ""
    h = InstanceHeader(path=str(path))
    h.sop_class_uid = sop_class
    h.sop_instance_uid = as_text(ds.get("SOPInstanceUID"))
    h.transfer_syntax_uid = tsyntax
    h.patient_id = as_text(ds.get("PatientID"))
    h.patient_name = as_text(ds.get("PatientName"))
    h.patient_birth_date = as_text(ds.get("PatientBirthDate"))
    h.patient_sex = as_text(ds.get("PatientSex"))
    h.study_instance_uid = as_text(ds.get("StudyInstanceUID"))
    h.study_date = as_text(ds.get("StudyDate"))
    h.study_time = as_text(ds.get("StudyTime"))
    h.study_description = as_text(ds.get("StudyDescription"))
    h.accession_number = as_text(ds.get("AccessionNumber"))
    h.series_instance_uid = as_text(ds.get("SeriesInstanceUID"))
    h.series_number = int_or_none(ds.get("SeriesNumber"))
    h.series_description = as_text(ds.get("SeriesDescription"))
    h.modality = as_text(ds.get("Modality"))
    h.instance_number = int_or_none(ds.get("InstanceNumber"))
    h.acquisition_number = int_or_none(ds.get("AcquisitionNumber"))
    image_type = ds.get("ImageType")
    values = (
        image_type
        if isinstance(image_type, (list, tuple, pydicom.multival.MultiValue))
        else [image_type]
    )
    h.image_type = [str(v).strip() for v in values] if image_type else []
    h.image_position = floats(ds.get("ImagePositionPatient"), 3)
    h.image_orientation = floats(ds.get("ImageOrientationPatient"), 6)
    h.pixel_spacing = floats(ds.get("PixelSpacing"), 2)
    orientation = ds.get("PatientOrientation")
    h.patient_orientation = (
        [str(v).strip() for v in orientation]
        if isinstance(orientation, (list, tuple, pydicom.multival.MultiValue))
        else ([str(orientation).strip()] if orientation else [])
    )
    h.imager_pixel_spacing = floats(ds.get("ImagerPixelSpacing"), 2)
    h.slice_thickness = first_float(ds.get("SliceThickness"))
    h.rows = int_or_none(ds.get("Rows")) or 0
    h.columns = int_or_none(ds.get("Columns")) or 0
    h.number_of_frames = int_or_none(ds.get("NumberOfFrames")) or 1
    h.samples_per_pixel = int_or_none(ds.get("SamplesPerPixel")) or 1
    h.photometric = as_text(ds.get("PhotometricInterpretation"))
    h.planar_configuration = int_or_none(ds.get("PlanarConfiguration")) or 0
    h.bits_allocated = int_or_none(ds.get("BitsAllocated")) or 0
    h.bits_stored = int_or_none(ds.get("BitsStored")) or h.bits_allocated
    h.pixel_representation = int_or_none(ds.get("PixelRepresentation")) or 0
    slope = first_float(ds.get("RescaleSlope"))
    h.rescale_slope = slope if slope not in (None, 0.0) else 1.0
    h.rescale_intercept = first_float(ds.get("RescaleIntercept")) or 0.0
    h.rescale_type = as_text(ds.get("RescaleType"))
    h.window_center = first_float(ds.get("WindowCenter"))
    h.window_width = first_float(ds.get("WindowWidth"))
    h.enhanced = "PerFrameFunctionalGroupsSequence" in ds
    if h.enhanced:
        read_functional_groups(ds, h)
    return h


def _locate_pixels(fh, h: InstanceHeader, implicit: bool) -> None:
    """Record where the pixel data value lies; the file handle is at the pixel data tag."""
    start = fh.tell()
    head = fh.read(12)
    if len(head) < 8:
        return
    group, elem = struct.unpack("<HH", head[:4])
    if (group << 16 | elem) not in PIXEL_DATA_TAGS:
        return
    h.has_pixels = True
    if implicit:
        (length,) = struct.unpack("<I", head[4:8])
        h.pixel_offset = start + 8
    else:
        if len(head) < 12:
            raise DicomReadError(h.path, "truncated pixel data element")
        (length,) = struct.unpack("<I", head[8:12])
        h.pixel_offset = start + 12
    h.pixel_length = -1 if length == 0xFFFFFFFF else length


def read_instance_header(path: str | Path, *, fast: bool = True) -> InstanceHeader:
    """One file's header facts; raise `DicomReadError` with a specific reason.

    With `fast`, the raw-element walker of `dicom_fastheader` reads common files; pydicom reads
    the rest and is the reference for both.
    """

    path = str(path)
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise DicomReadError(path, f"cannot read file ({exc.strerror})") from exc
    h = read_fast_header(path) if fast else None
    if h is None:
        h = _read_with_pydicom(path)
    h.size, h.mtime_ns = stat.st_size, stat.st_mtime_ns
    h.kind = classify_sop_class(h.sop_class_uid, h.has_pixels)
    if h.kind == "image" and not h.has_pixels:
        raise DicomReadError(path, "image object without pixel data")
    return h


def unusable_image_reason(h: InstanceHeader) -> str | None:
    """Why an image header cannot make even one slice, or None. Kept apart from the readers,
    which report what a header says; the scan decides what can be used."""
    if h.kind != "image":
        return None
    sizes = {"Rows": h.rows, "Columns": h.columns, "Bits Allocated": h.bits_allocated}
    missing = [name for name, value in sizes.items() if value <= 0]
    if missing:
        return f"pixel data without {', '.join(missing)}"
    return None


# What pydicom raises on damaged headers, beyond ValueError and friends: odd value lengths
# (BytesLengthException) and corrupt deflated streams (zlib.error) are not ValueErrors.
_MALFORMED = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    NotImplementedError,
    BytesLengthException,
    zlib.error,
)


def _read_with_pydicom(path: str) -> InstanceHeader:
    no_meta = False
    try:
        with BoundedFile(path) as fh:
            try:
                ds = pydicom.dcmread(fh, stop_before_pixels=True, defer_size=HEADER_DEFER_BYTES)
            except InvalidDicomError:
                ds = _read_without_meta(fh, path)
                no_meta = True
            h = header_from_dataset(ds, path)
            # No meta header, or one without a Transfer Syntax UID: pydicom worked out the
            # encoding while parsing, and that is what the pixel readers must use too.
            tsyntax = h.transfer_syntax_uid or implied_transfer_syntax(ds)
            h.transfer_syntax_uid = tsyntax
            syntax = UID(tsyntax)
            if not syntax.is_transfer_syntax:
                raise DicomReadError(path, f"unknown transfer syntax {tsyntax}")
            # A deflated dataset is parsed from an inflated copy, so file offsets mean nothing.
            if syntax.is_transfer_syntax and syntax.is_little_endian and not syntax.is_deflated:
                _locate_pixels(fh, h, implicit=syntax.is_implicit_VR)
            else:
                h.has_pixels = _has_pixels_beyond(fh, path, syntax)
            # A value declared far past the end is damage (nothing after it was read); a short
            # overrun only matters when it cost an image its pixels (a truncated tail of an RT
            # plan, say, leaves everything medgui needs, as the fast reader agrees).
            is_image = classify_sop_class(h.sop_class_uid, h.has_pixels) == "image"
            overrun = fh.overrun_bytes
            if overrun > HEADER_DEFER_BYTES or (overrun > 0 and is_image and not h.has_pixels):
                raise DicomReadError(
                    path,
                    f"an element runs {overrun} bytes past the end of the file "
                    "(truncated file or damaged length field)",
                )
    except DicomReadError:
        raise
    except (EOFError, struct.error) as exc:
        raise DicomReadError(path, f"truncated header ({exc})") from exc
    except _MALFORMED as exc:
        raise DicomReadError(path, f"malformed header: {exc}") from exc
    except OSError as exc:
        raise DicomReadError(path, f"cannot read file ({exc})") from exc
    h.no_meta_header = no_meta
    return h


def implied_transfer_syntax(ds: pydicom.Dataset) -> str:
    """The uncompressed transfer syntax a dataset was parsed with (for files that do not say)."""
    implicit, little = ds.original_encoding
    if little:
        return "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1"
    return "1.2.840.10008.1.2.2"


def _has_pixels_beyond(fh, path: str, syntax: UID) -> bool:
    """Whether pixel data follows the header, for syntaxes whose offsets we do not record."""
    if syntax.is_deflated:
        # The stream is compressed: only a full parse can tell (deflated files are rare and small).
        full = pydicom.dcmread(path, defer_size=HEADER_DEFER_BYTES)
        return "PixelData" in full or "FloatPixelData" in full
    head = fh.read(4)
    return len(head) == 4 and head[:2] in (b"\xe0\x7f", b"\x7f\xe0")


def _read_without_meta(fh, path: str) -> pydicom.Dataset:
    """Old files may hold a bare dataset with no preamble or meta header; accept only those that
    parse to something with SOP identity, so that arbitrary files are not taken for DICOM."""
    fh.seek(0)
    fh.overrun_bytes = 0  # the failed read probed for a preamble that such files lack
    try:
        ds = pydicom.dcmread(fh, stop_before_pixels=True, defer_size=HEADER_DEFER_BYTES, force=True)
        identified = "SOPClassUID" in ds or "SOPInstanceUID" in ds
    except (EOFError, struct.error, *_MALFORMED):
        identified = False
    if not identified:
        raise DicomReadError(path, "not a DICOM file")
    return ds
