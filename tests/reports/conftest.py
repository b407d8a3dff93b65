"""Report test fixtures: a small CT written as real DICOM and read back, with planted labels,
measurements, key images, a report draft and a model card whose numbers the tests look for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from medgui.core import Volume, load_volume
from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.annotations.measurements import Angle, EllipseROI, RectangleROI, Ruler
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.annotations.store import series_key
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.reformat import Plane
from medgui.core.labels.labelmap import LabelMap
from medgui.core.workspace.store import SeriesWork

SPACING_MM = (0.8, 0.8, 2.5)  # voxel 1.6 mm³
LESION_VOXELS = 8 * 8 * 4  # 0.41 ml at 100 HU
LIVER_VOXELS = 20 * 20 * 6  # 3.84 ml at 60 HU
PATIENT = SeriesInfo(
    patient_name="Doe^Jane",
    patient_id="PID-4711",
    patient_birth_date="19610203",
    study_date="20260115",
    accession_number="ACC-99",
    series_description="Report phantom",
)


@dataclass
class Planted:
    volume: Volume
    work: SeriesWork
    dicom_dir: Path


def _phantom() -> Volume:
    ct = np.full((12, 64, 64), -1000, np.int16)
    ct[:, 8:56, 8:56] = 40
    ct[2:8, 30:50, 10:30] = 60  # "liver": 6 x 20 x 20 voxels
    ct[4:8, 28:36, 36:44] = 100  # "lesion": 4 x 8 x 8 voxels
    return Volume(ct, spacing_mm=SPACING_MM, origin=(-25.2, -25.2, 10.0))


def _labels(volume: Volume) -> LabelMap:
    labels = LabelMap.empty_like(volume)
    liver = labels.table.add("Liver", (200, 60, 60))
    lesion = labels.table.add("Lesion", (60, 200, 60))
    layer = labels.layers[0]
    layer[2:8, 30:50, 10:30] = liver.value
    layer[4:8, 28:36, 36:44] = lesion.value
    return labels


def _measurements() -> list[dict]:
    spacing = SPACING_MM[:2]
    return [
        Ruler(
            plane=Plane.AXIAL,
            slice_index=5,
            spacing_mm=spacing,
            p0=(10, 10),
            p1=(10, 50),
            label="span",
        ).to_dict(),  # 40 px x 0.8 mm = 32.0 mm
        Angle(
            plane=Plane.AXIAL,
            slice_index=5,
            spacing_mm=spacing,
            p0=(0, 10),
            vertex=(10, 10),
            p1=(10, 20),
        ).to_dict(),  # 90.0 degrees
        EllipseROI(
            plane=Plane.AXIAL,
            slice_index=5,
            spacing_mm=spacing,
            center=(31.5, 39.5),
            radii=(2.5, 2.5),
            label="lesion ROI",
        ).to_dict(),  # inside the 100 HU cube
        RectangleROI(
            plane=Plane.AXIAL,
            slice_index=5,
            spacing_mm=spacing,
            corner0=(34.5, 12.5),
            corner1=(44.5, 22.5),
            label="liver box",
        ).to_dict(),  # 10 x 10 px of the 60 HU liver: 64.0 mm²
    ]


def planted_work(volume: Volume, source: Path) -> SeriesWork:
    """The work the tests plant: labels, a measurement of every kind, two key images, a draft."""
    annotations = SeriesAnnotations(
        key_images=[
            KeyImage(plane=Plane.AXIAL, slice_index=5, center=40, width=400, note="lesion"),
            KeyImage(plane=Plane.CORONAL, slice_index=32, center=40, width=400),
        ],
        report_draft=ReportDraft("Draft findings <kept>.", "Draft impression."),
    )
    return SeriesWork(
        key=series_key(volume),
        uid=str(volume.metadata.get("SeriesInstanceUID", "")),
        description="Report phantom",
        source_paths=[str(source)],
        labelmap=_labels(volume),
        measurements=_measurements(),
        annotations=annotations.to_json(),
    )


@pytest.fixture
def planted(tmp_path) -> Planted:
    """The phantom as DICOM in tmp_path/dicom, loaded back (so it has a real header)."""
    folder = tmp_path / "dicom"
    write_dicom_series(_phantom(), folder, PATIENT)
    volume = load_volume(folder)
    return Planted(volume, planted_work(volume, folder), folder)


@pytest.fixture
def card():
    """A classifier's model card with planted validation metrics."""
    from medgui.ml.models.card import ModelCard

    return ModelCard(
        task="classify",
        model="small_cnn",
        classes=["normal", "lesion"],
        epochs=[
            {"epoch": 1, "val_accuracy": 0.5, "val_auc": 0.61},
            {"epoch": 2, "val_accuracy": 0.9375, "val_auc": 0.8765},
        ],
        best={"metric": "val_accuracy", "value": 0.9375, "epoch": 2},
        device="cpu",
        name="classify",
        model_version=3,
    )
