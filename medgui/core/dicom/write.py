"""Write a `Volume` as a DICOM image series (one file per slice).

Used by the demo study, the benchmarks and the test fixtures, so that generated series carry the
same complete, valid headers as a scanner's (UIDs, geometry, rescale, windowing).
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

from medgui.core.image.volume import Volume
from medgui.core.util.atomic import atomic_writer

_SOP_CLASS = {"CT": CTImageStorage, "MR": MRImageStorage}


@dataclass
class SeriesInfo:
    """Patient/study/series attributes written into every slice."""

    patient_name: str = "Demo^Patient"
    patient_id: str = "MEDGUI-DEMO-001"
    patient_birth_date: str = "19700101"
    patient_sex: str = "O"
    study_description: str = "medgui demo study"
    series_description: str = "Axial CT"
    series_number: int = 1
    accession_number: str = "ACC0001"
    study_date: str = field(default_factory=lambda: _dt.date.today().strftime("%Y%m%d"))
    study_instance_uid: str = field(default_factory=generate_uid)
    series_instance_uid: str = field(default_factory=generate_uid)
    frame_of_reference_uid: str = field(default_factory=generate_uid)
    window_center: float | None = 40.0
    window_width: float | None = 400.0


def _slice_dataset(volume: Volume, k: int, info: SeriesInfo, modality: str) -> Dataset:
    sop_class = _SOP_CLASS.get(modality, CTImageStorage)
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = info.study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "120000"
    ds.AccessionNumber = info.accession_number
    ds.Modality = modality
    ds.Manufacturer = "medgui"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = info.study_description
    ds.SeriesDescription = info.series_description
    ds.PatientName = info.patient_name
    ds.PatientID = info.patient_id
    ds.PatientBirthDate = info.patient_birth_date
    ds.PatientSex = info.patient_sex
    ds.StudyInstanceUID = info.study_instance_uid
    ds.SeriesInstanceUID = info.series_instance_uid
    ds.StudyID = "1"
    ds.SeriesNumber = info.series_number
    ds.InstanceNumber = k + 1
    ds.FrameOfReferenceUID = info.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    position = volume.voxel_to_world((0.0, 0.0, float(k)))
    ds.ImagePositionPatient = [f"{v:.6g}" for v in position]
    row_dir, col_dir = volume.direction[:, 0], volume.direction[:, 1]
    ds.ImageOrientationPatient = [f"{v:.8g}" for v in (*row_dir, *col_dir)]
    ds.SliceThickness = f"{volume.spacing_mm[2]:.6g}"
    ds.SliceLocation = f"{position[2]:.6g}"
    ds.PixelSpacing = [f"{volume.spacing_mm[1]:.6g}", f"{volume.spacing_mm[0]:.6g}"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = volume.array.shape[1:3]
    ds.BitsAllocated = 16
    # 12 bits stored, as most CT scanners write: the HU range -1024..3071.
    ds.BitsStored = 12 if modality == "CT" else 16
    ds.HighBit = ds.BitsStored - 1
    if info.window_center is not None and info.window_width is not None:
        ds.WindowCenter = f"{info.window_center:g}"
        ds.WindowWidth = f"{info.window_width:g}"
    if modality == "CT":
        ds.KVP = "120"
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        stored = np.clip(np.rint(volume.array[k]) + 1024, 0, 4095).astype(np.uint16)
        ds.PixelRepresentation = 0
    else:
        stored = np.clip(np.rint(volume.array[k]), -32768, 32767).astype(np.int16)
        ds.PixelRepresentation = 1
    ds.PixelData = stored.tobytes()
    return ds


def write_dicom_series(
    volume: Volume,
    folder: str | Path,
    info: SeriesInfo | None = None,
    *,
    modality: str = "CT",
    transfer_syntax: str | UID = ExplicitVRLittleEndian,
    shuffle_names: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one file per slice of `volume` into `folder`; returns the paths in slice order.

    CT values are written as unsigned stored values with RescaleIntercept -1024, so that a
    reader that forgets the modality LUT is visibly wrong. `shuffle_names` gives the files random
    names so that readers cannot rely on name order. A compressed `transfer_syntax` is encoded
    with pydicom's encoders (pylibjpeg-openjpeg for JPEG 2000, pydicom's own for RLE).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = info or SeriesInfo()
    n = volume.shape_zyx[0]
    names = [f"IM{k + 1:05d}.dcm" for k in range(n)]
    if shuffle_names:
        rng = random.Random(seed)
        names = [f"{rng.getrandbits(64):016x}.dcm" for _ in range(n)]
    paths = []
    for k in range(n):
        ds = _slice_dataset(volume, k, info, modality)
        if UID(transfer_syntax) != ExplicitVRLittleEndian:
            ds.compress(UID(transfer_syntax))
        path = folder / names[k]
        with atomic_writer(path) as temporary:  # a full disk leaves no cut slice behind
            ds.save_as(temporary, enforce_file_format=True)
        paths.append(path)
        if progress:
            progress(k + 1, n)
    return paths


def read_header(path: str | Path) -> pydicom.Dataset:
    """A file's header without its pixels (for tag browsers and tests)."""
    return pydicom.dcmread(path, stop_before_pixels=True)
