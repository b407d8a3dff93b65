"""The record of one DICOM file's header (`InstanceHeader`) and the error for a file that cannot
be used. Its own module so that the reference reader (`header`), the fast path (`fastheader`) and
the functional-groups reader all build the same record without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class DicomReadError(ValueError):
    """A file that cannot be used, with the reason a user can act on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self):
        # These errors come back from the decoding worker processes as pickles; the default
        # rebuilds from the one-string message and fails, which breaks the whole pool.
        return (type(self), (self.path, self.reason))


@dataclass
class InstanceHeader:
    """Header facts of one DICOM file (JSON-safe, so the scan index can store it)."""

    path: str
    size: int = 0
    mtime_ns: int = 0
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    transfer_syntax_uid: str = ""
    kind: str = "image"
    patient_id: str = ""
    patient_name: str = ""
    patient_birth_date: str = ""
    patient_sex: str = ""
    study_instance_uid: str = ""
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    accession_number: str = ""
    series_instance_uid: str = ""
    series_number: int | None = None
    series_description: str = ""
    modality: str = ""
    instance_number: int | None = None
    acquisition_number: int | None = None
    image_type: list[str] = field(default_factory=list)
    image_position: list[float] | None = None
    image_orientation: list[float] | None = None
    pixel_spacing: list[float] | None = None
    # Projection radiography (CR/DX): where the patient lies (row and column directions,
    # e.g. L\\F) and the pixel size at the detector, used when PixelSpacing is absent.
    patient_orientation: list[str] = field(default_factory=list)
    imager_pixel_spacing: list[float] | None = None
    slice_thickness: float | None = None
    rows: int = 0
    columns: int = 0
    number_of_frames: int = 1
    samples_per_pixel: int = 1
    photometric: str = ""
    planar_configuration: int = 0
    bits_allocated: int = 0
    bits_stored: int = 0
    pixel_representation: int = 0
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    rescale_type: str = ""
    window_center: float | None = None
    window_width: float | None = None
    # Where the pixel data value starts in the file, and its length (-1: encapsulated/undefined).
    pixel_offset: int = -1
    pixel_length: int = -1
    has_pixels: bool = False
    no_meta_header: bool = False
    enhanced: bool = False
    # Enhanced multi-frame objects: the LPS position of each frame (PlanePositionSequence).
    frame_positions: list[list[float]] | None = None

    def to_json(self) -> dict[str, Any]:
        # Field by field, not `dataclasses.asdict`: its recursive deep copy took 0.15 ms a
        # header (44 ms of a 300-file scan, while the window drew). The values are JSON-ready
        # as they are; the lists are shared, for serialising, not for editing.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstanceHeader:
        return cls(**data)

    @property
    def frame_bytes(self) -> int:
        return self.rows * self.columns * self.samples_per_pixel * self.bits_allocated // 8

    @property
    def is_compressed(self) -> bool:
        return self.pixel_length < 0

    @property
    def geometry_key(self) -> tuple:
        """Instances that can share one volume agree on this key."""
        orient = tuple(round(v, 3) for v in self.image_orientation or ())
        spacing = tuple(round(v, 4) for v in self.pixel_spacing or ())
        return (orient, spacing, self.rows, self.columns, self.samples_per_pixel)


_FIELD_NAMES = tuple(f.name for f in fields(InstanceHeader))
