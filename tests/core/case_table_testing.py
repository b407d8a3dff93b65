"""A workspace of small labelled, tagged CT series with known lesions (for the case-table,
table-model and Cases dock tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import Label, LabelMap, LabelTable
from medgui.core.workspace.store import SeriesWork, Workspace

SHAPE_ZYX = (12, 40, 40)
SPACING_XYZ = (1.0, 1.0, 2.0)
CLASSES = ["benign", "malignant"]


def lesion_radius_mm(index: int) -> float:
    """Malignant lesions (odd patients) are larger: the feature a model must find."""
    return (10.0 if index % 2 else 6.0) + (index % 3)


def make_case_workspace(root: Path, patients: int = 8, seed: int = 0) -> Workspace:
    """`patients` patients (P00, P01, ...), each with one CT series holding one spherical
    "lesion" of `lesion_radius_mm` (HU 60 if malignant, 30 if not, plus noise) and its series
    tagged benign/malignant; saved into a workspace at root/"workspace"."""
    rng = np.random.default_rng(seed)
    workspace = Workspace(root / "workspace")
    z, y, x = np.mgrid[: SHAPE_ZYX[0], : SHAPE_ZYX[1], : SHAPE_ZYX[2]]
    for index in range(patients):
        malignant = index % 2 == 1
        radius = lesion_radius_mm(index)
        distance = np.sqrt(((x - 20) * SPACING_XYZ[0]) ** 2 + ((y - 20) * SPACING_XYZ[1]) ** 2
                           + ((z - 6) * SPACING_XYZ[2]) ** 2)  # fmt: skip
        inside = distance <= radius
        hu = np.where(inside, 60.0 if malignant else 30.0, -50.0)
        array = (hu + rng.normal(0, 5, SHAPE_ZYX)).astype(np.int16)
        volume = Volume(array, SPACING_XYZ, (0.0, 0.0, 0.0))
        info = SeriesInfo(
            patient_name=f"Case^{index:02d}",
            patient_id=f"P{index:02d}",
            patient_birth_date=f"{1950 + index}0101",
            patient_sex="MF"[(index // 2) % 2],  # unrelated to the class
            accession_number=f"A{index:02d}",
            study_date="20240601",
        )
        folder = root / "dicom" / f"P{index:02d}"
        write_dicom_series(volume, folder, info)
        table = LabelTable([Label(1, "lesion", (255, 230, 0))])
        labelmap = LabelMap([inside.astype(np.uint8)], SPACING_XYZ, (0.0, 0.0, 0.0), np.eye(3),
                            table)  # fmt: skip
        tags = ClassTagSet(list(CLASSES), SHAPE_ZYX[0], CLASSES[int(malignant)])
        work = SeriesWork(
            key=info.series_instance_uid,
            uid=info.series_instance_uid,
            description=f"lesion CT {index}",
            source_paths=[str(folder)],
            labelmap=labelmap,
            annotations=SeriesAnnotations(tags=tags).to_json(),
        )
        workspace.save_series(work)
    return workspace
