"""A narrow fast path for reading the header facts of common DICOM files.

pydicom builds a full Dataset and converts every value it is asked for; scanning thousands of
files spends most of its time there. This walker reads the raw elements of little-endian files
(implicit or explicit VR, the encoding of every syntax except big endian and deflate), decodes
only the ~40 tags that `InstanceHeader` holds, and gives up (returns None) on anything unusual so
that pydicom, the reference, reads the file instead. A test proves that both agree on every file
the fast path accepts.
"""

from __future__ import annotations

import struct

from medgui.core.dicom.instance import InstanceHeader

_IMPLICIT_LE = "1.2.840.10008.1.2"
_REFUSED_SYNTAXES = ("1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99")  # big endian, deflate
_LONG_VRS = {
    b"OB",
    b"OD",
    b"OF",
    b"OL",
    b"OV",
    b"OW",
    b"SQ",
    b"SV",
    b"UC",
    b"UN",
    b"UR",
    b"UT",
    b"UV",
}
_SAFE_CHARSETS = {"", "ISO_IR 6", "ISO_IR 100", "ISO_IR 192", "ISO 2022 IR 6"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_ENHANCED_TAG = 0x52009230
_READ_CHUNK = 16 * 1024
_MAX_HEADER = 8 * 1024 * 1024

# tag -> (InstanceHeader attribute, value kind)
_WANTED: dict[int, tuple[str, str]] = {
    0x00080005: ("charset", "str"),
    0x00080008: ("image_type", "list"),
    0x00080016: ("sop_class_uid", "str"),
    0x00080018: ("sop_instance_uid", "str"),
    0x00080020: ("study_date", "str"),
    0x00080030: ("study_time", "str"),
    0x00080050: ("accession_number", "str"),
    0x00080060: ("modality", "str"),
    0x00081030: ("study_description", "str"),
    0x0008103E: ("series_description", "str"),
    0x00100010: ("patient_name", "str"),
    0x00100020: ("patient_id", "str"),
    0x00100030: ("patient_birth_date", "str"),
    0x00100040: ("patient_sex", "str"),
    0x00180050: ("slice_thickness", "float"),
    0x00181164: ("imager_pixel_spacing", "floats2"),
    0x0020000D: ("study_instance_uid", "str"),
    0x0020000E: ("series_instance_uid", "str"),
    0x00200011: ("series_number", "int"),
    0x00200012: ("acquisition_number", "int"),
    0x00200013: ("instance_number", "int"),
    0x00200020: ("patient_orientation", "list"),
    0x00200032: ("image_position", "floats3"),
    0x00200037: ("image_orientation", "floats6"),
    0x00280002: ("samples_per_pixel", "us"),
    0x00280004: ("photometric", "str"),
    0x00280006: ("planar_configuration", "us"),
    0x00280008: ("number_of_frames", "int"),
    0x00280010: ("rows", "us"),
    0x00280011: ("columns", "us"),
    0x00280030: ("pixel_spacing", "floats2"),
    0x00280100: ("bits_allocated", "us"),
    0x00280101: ("bits_stored", "us"),
    0x00280103: ("pixel_representation", "us"),
    0x00281050: ("window_center", "float"),
    0x00281051: ("window_width", "float"),
    0x00281052: ("rescale_intercept", "float"),
    0x00281053: ("rescale_slope", "float"),
    0x00281054: ("rescale_type", "str"),
}


class _GiveUp(Exception):
    """The file is not one the fast path handles; pydicom reads it instead."""


class _Buffer:
    """The head of a file, extended on demand in chunks."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self.data = fh.read(_READ_CHUNK)

        self.at_eof = False

    def need(self, end: int) -> None:
        # Check the bound before reading: a damaged length field may declare gigabytes.
        if end > _MAX_HEADER:
            raise _GiveUp
        while end > len(self.data):
            more = self.fh.read(max(_READ_CHUNK, end - len(self.data)))
            if not more:
                self.at_eof = True
                raise _GiveUp
            self.data += more


def _element_header(buf: _Buffer, pos: int, implicit: bool) -> tuple[int, bytes, int, int]:
    """(tag, VR, value length, value offset) of the element at `pos`."""
    buf.need(pos + 8)
    group, elem = struct.unpack_from("<HH", buf.data, pos)
    tag = group << 16 | elem
    if implicit or group == 0xFFFE:
        (length,) = struct.unpack_from("<I", buf.data, pos + 4)
        return tag, b"", length, pos + 8
    vr = buf.data[pos + 4 : pos + 6]
    if not (vr.isalpha() and vr.isupper()):
        raise _GiveUp  # not explicit VR after all: let pydicom's encoding detection decide
    if vr in _LONG_VRS:
        buf.need(pos + 12)
        (length,) = struct.unpack_from("<I", buf.data, pos + 8)
        return tag, vr, length, pos + 12
    (length,) = struct.unpack_from("<H", buf.data, pos + 6)
    return tag, vr, length, pos + 8


def _skip_undefined(buf: _Buffer, pos: int, implicit: bool, depth: int = 0) -> int:
    """Position after an undefined-length sequence (or item) whose content starts at `pos`."""
    if depth > 16:
        raise _GiveUp
    while True:
        tag, _vr, length, value = _element_header(buf, pos, implicit)
        if tag in (_SEQ_END, _ITEM_END):
            return value
        if length == _UNDEFINED:
            pos = _skip_undefined(buf, value, implicit if tag != _ITEM else implicit, depth + 1)
        else:
            pos = value + length


def _decode(raw: bytes, kind: str, charset: str):
    if kind == "us":
        return struct.unpack_from("<H", raw)[0] if len(raw) >= 2 else None
    encoding = "utf-8" if charset == "ISO_IR 192" else "latin-1"
    text = raw.decode(encoding).strip("\x00 ")
    if kind == "str":
        return text
    parts = [p.strip() for p in text.split("\\")]
    if kind == "list":
        return [p for p in parts] if text else []
    if kind == "int":
        try:
            return int(parts[0]) if parts[0] else None
        except ValueError:
            return None
    try:
        if kind == "float":
            return float(parts[0]) if parts[0] else None
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values if len(values) == int(kind[-1]) else None


def _file_meta(buf: _Buffer) -> tuple[int, str, str]:
    """Position after the file meta group, transfer syntax UID, media storage SOP class."""
    if buf.data[128:132] != b"DICM":
        raise _GiveUp
    pos, syntax, sop_class = 132, "", ""
    while True:
        buf.need(pos + 8)
        group = struct.unpack_from("<H", buf.data, pos)[0]
        if group != 0x0002:
            return pos, syntax, sop_class
        tag, _vr, length, value = _element_header(buf, pos, implicit=False)
        if length == _UNDEFINED:
            raise _GiveUp
        buf.need(value + length)
        if tag == 0x00020010:
            syntax = buf.data[value : value + length].decode("ascii").strip("\x00 ")
        elif tag == 0x00020002:
            sop_class = buf.data[value : value + length].decode("ascii").strip("\x00 ")
        pos = value + length


def read_fast_header(path: str) -> InstanceHeader | None:
    """The header of `path` via the fast walker, or None when pydicom must read it."""
    try:
        with open(path, "rb") as fh:
            return _walk(_Buffer(fh), path)
    except (_GiveUp, struct.error, UnicodeDecodeError, OSError):
        return None


def _walk(buf: _Buffer, path: str) -> InstanceHeader:
    pos, syntax, meta_sop_class = _file_meta(buf)
    if not syntax or syntax in _REFUSED_SYNTAXES:
        raise _GiveUp
    implicit = syntax == _IMPLICIT_LE
    h = InstanceHeader(path=path, transfer_syntax_uid=syntax)
    values: dict[str, object] = {}
    charset = ""
    while True:
        try:
            buf.need(pos + 8)
        except _GiveUp:
            if buf.at_eof and pos == len(buf.data):
                break  # a clean end after the last element: an object without pixel data
            raise  # cut inside an element: pydicom names the truncation
        tag, vr, length, value = _element_header(buf, pos, implicit)
        if tag in _PIXEL_TAGS:
            h.has_pixels = True
            h.pixel_offset = value
            h.pixel_length = -1 if length == _UNDEFINED else length
            break
        if tag == _ENHANCED_TAG or tag >> 16 == 0xFFFE:
            raise _GiveUp
        if length == _UNDEFINED:
            pos = _skip_undefined(buf, value, implicit)
            continue
        if tag in _WANTED:
            buf.need(value + length)
            attr, kind = _WANTED[tag]
            decoded = _decode(buf.data[value : value + length], kind, charset)
            if attr == "charset":
                charset = decoded
                if charset not in _SAFE_CHARSETS:
                    raise _GiveUp
            else:
                values[attr] = decoded
        pos = value + length
    h.sop_class_uid = str(values.pop("sop_class_uid", "") or meta_sop_class)
    for attr, value in values.items():
        if value is not None:
            setattr(h, attr, value)
    # Defaults exactly as the pydicom path computes them.
    h.number_of_frames = h.number_of_frames or 1
    h.samples_per_pixel = h.samples_per_pixel or 1
    h.bits_stored = h.bits_stored or h.bits_allocated
    if h.rescale_slope in (None, 0.0):
        h.rescale_slope = 1.0
    h.rescale_intercept = h.rescale_intercept or 0.0
    return h
