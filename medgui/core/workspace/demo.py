"""A synthetic but realistic abdominal CT study with known ground truth.

The phantom lets a new user try every feature (and the tests check them) without real patient
data: organs with plausible HU, a label map of them, and lesions of known size. Anatomy is fixed;
the seed only drives the noise, so each seed is the same "patient" scanned again and lesion
sizes stay exactly as documented.

World coordinates are LPS millimetres: +x is the patient's left, +y posterior, +z superior. With
the identity direction, image columns run to the patient's left and rows run posterior, which is
the radiological display convention.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume
from medgui.core.io.itk import write_itk_volume
from medgui.core.labels.io import table_path_for, table_to_document
from medgui.core.labels.labelmap import Label, LabelTable
from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json

SHAPE_ZYX = (80, 256, 256)
SPACING_MM = (1.4, 1.4, 2.5)  # (x, y, z)
FIRST_SLICE_Z_MM = -100.0
NOISE_SIGMA_HU = 12.0

NOMINAL_HU = {
    "air": -1000.0,
    "lung": -850.0,
    "fat": -100.0,
    "soft_tissue": 40.0,
    "liver": 60.0,
    "spleen": 50.0,
    "kidney_medulla": 30.0,
    "kidney_cortex": 110.0,
    "aorta": 200.0,
    "cortical_bone": 700.0,
    "cancellous_bone": 300.0,
    "disc": 80.0,
    "csf": 10.0,
    "liver_lesion": 20.0,
    "lung_nodule": -50.0,
}

LIVER, SPLEEN, KIDNEY, LESION = 1, 2, 3, 4
LABEL_TABLE = [
    {"value": LIVER, "name": "liver", "color": [221, 130, 101]},
    {"value": SPLEEN, "name": "spleen", "color": [157, 108, 162]},
    {"value": KIDNEY, "name": "kidney", "color": [185, 102, 83]},
    {"value": LESION, "name": "lesion", "color": [255, 230, 0]},
]

# (name, centre LPS mm, diameter mm, HU). Centres sit well inside their organ, so every lesion is
# completely surrounded by liver or lung and its labelled volume is the whole sphere.
_LESIONS = [
    ("liver lesion 20 mm", (-70.0, -20.0, 20.0), 20.0, NOMINAL_HU["liver_lesion"]),
    ("liver lesion 15 mm", (-40.0, 10.0, 0.0), 15.0, NOMINAL_HU["liver_lesion"]),
    ("liver lesion 10 mm", (-90.0, -10.0, 40.0), 10.0, NOMINAL_HU["liver_lesion"]),
    ("lung nodule 8 mm", (90.0, 0.0, 85.0), 8.0, NOMINAL_HU["lung_nodule"]),
]

_GENERATOR = "medgui.core.workspace.demo"
_Vec3 = tuple[float, float, float]


@dataclass
class Phantom:
    """The CT, its label map (same geometry), what the labels mean, and the lesions' truth."""

    ct: Volume
    labels: Volume
    label_table: list[dict]
    lesions: list[dict]


@dataclass
class DemoStudy:
    """Where `write_demo_study` put things."""

    dicom_dir: Path
    labels_path: Path
    label_table_path: Path
    lesions: list[dict]


class _Grid:
    """World coordinates of voxel centres, as broadcastable (z,1,1), (1,y,1), (1,1,x) arrays."""

    def __init__(self) -> None:
        nz, ny, nx = SHAPE_ZYX
        sx, sy, sz = SPACING_MM
        # Centre the body (the x/y origin of world space) in the field of view.
        self.origin = (-(nx - 1) / 2 * sx, -(ny - 1) / 2 * sy, FIRST_SLICE_Z_MM)
        self.x = (self.origin[0] + sx * np.arange(nx, dtype=np.float32))[None, None, :]
        self.y = (self.origin[1] + sy * np.arange(ny, dtype=np.float32))[None, :, None]
        self.z = (self.origin[2] + sz * np.arange(nz, dtype=np.float32))[:, None, None]

    def ellipsoid(self, centre: _Vec3, semi_axes: _Vec3) -> np.ndarray:
        """Boolean mask of an axis-aligned ellipsoid (centre and semi-axes in mm, x/y/z)."""
        (cx, cy, cz), (ax, ay, az) = centre, semi_axes
        return (
            ((self.x - cx) / ax) ** 2 + ((self.y - cy) / ay) ** 2 + ((self.z - cz) / az) ** 2
        ) <= 1.0

    def ellipse(self, centre_xy: tuple[float, float], semi_xy: tuple) -> np.ndarray:
        """Boolean mask of an elliptic cylinder running through all slices; semi-axes may be
        (z,1,1) arrays so the cross-section changes smoothly along z."""
        (cx, cy), (ax, ay) = centre_xy, semi_xy
        mask = (((self.x - cx) / ax) ** 2 + ((self.y - cy) / ay) ** 2) <= 1.0
        return np.broadcast_to(mask, SHAPE_ZYX)


def _paint(ct: np.ndarray, labels: np.ndarray, mask: np.ndarray, hu: float, label: int) -> None:
    ct[mask] = hu
    labels[mask] = label


def _paint_trunk(grid: _Grid, ct: np.ndarray, labels: np.ndarray) -> None:
    """Body wall, fat, lungs, organs and the aorta."""
    # The trunk is widest mid-volume and narrows smoothly towards both ends; the back is
    # flattened where the patient lies on the table.
    zeta = (grid.z - FIRST_SLICE_Z_MM) / (SHAPE_ZYX[0] * SPACING_MM[2])
    semi_x = 150.0 + 10.0 * np.sin(np.pi * zeta)
    semi_y = 105.0 + 5.0 * np.sin(np.pi * zeta)
    back = 0.92 * semi_y
    body = grid.ellipse((0.0, 0.0), (semi_x, semi_y)) & (grid.y <= back)
    _paint(ct, labels, body, NOMINAL_HU["fat"], 0)
    fat_mm = 14.0
    muscle = grid.ellipse((0.0, 0.0), (semi_x - fat_mm, semi_y - fat_mm)) & (
        grid.y <= back - fat_mm
    )
    _paint(ct, labels, muscle, NOMINAL_HU["soft_tissue"], 0)
    # Organs stay inside the abdominal wall (a muscle layer under the fat).
    cavity = grid.ellipse((0.0, 0.0), (semi_x - fat_mm - 10.0, semi_y - fat_mm - 10.0))

    # Lung bases fill the upper slices; the liver and spleen domes painted next push them up
    # like a diaphragm.
    for side in (-1.0, 1.0):
        lung = grid.ellipsoid((80.0 * side, 10.0, 120.0), (50.0, 60.0, 90.0)) & cavity
        _paint(ct, labels, lung, NOMINAL_HU["lung"], 0)

    liver = grid.ellipsoid((-55.0, -5.0, 10.0), (70.0, 65.0, 65.0)) & cavity
    _paint(ct, labels, liver, NOMINAL_HU["liver"], LIVER)
    spleen = grid.ellipsoid((80.0, 25.0, 35.0), (30.0, 42.0, 45.0)) & cavity
    _paint(ct, labels, spleen, NOMINAL_HU["spleen"], SPLEEN)
    for side in (-1.0, 1.0):
        centre = (65.0 * side, 45.0, -45.0)
        kidney = grid.ellipsoid(centre, (28.0, 22.0, 55.0)) & cavity
        _paint(ct, labels, kidney, NOMINAL_HU["kidney_cortex"], KIDNEY)
        ct[grid.ellipsoid(centre, (20.0, 14.0, 47.0)) & kidney] = NOMINAL_HU["kidney_medulla"]
    _paint(ct, labels, grid.ellipse((8.0, 15.0), (11.0, 11.0)), NOMINAL_HU["aorta"], 0)


def _paint_spine(grid: _Grid, ct: np.ndarray, labels: np.ndarray) -> None:
    """Vertebral bodies with discs between them, neural arch, spinal canal, spinous process."""
    # 30 mm per level, of which 6 mm is disc.
    is_disc = ((grid.z - FIRST_SLICE_Z_MM) % 30.0) < 6.0
    vertebra = grid.ellipse((0.0, 45.0), (22.0, 18.0))
    _paint(ct, labels, vertebra, NOMINAL_HU["disc"], 0)
    ct[vertebra & ~is_disc] = NOMINAL_HU["cortical_bone"]
    ct[grid.ellipse((0.0, 45.0), (19.0, 15.0)) & ~is_disc] = NOMINAL_HU["cancellous_bone"]
    arch = grid.ellipse((0.0, 77.0), (17.0, 14.0)) | grid.ellipse((0.0, 91.0), (3.5, 5.0))
    _paint(ct, labels, arch, NOMINAL_HU["cortical_bone"], 0)
    _paint(ct, labels, grid.ellipse((0.0, 75.0), (9.0, 9.0)), NOMINAL_HU["csf"], 0)


def _index_range(coords: np.ndarray, centre: float, radius: float, spacing: float) -> slice:
    """Voxel indices along one axis whose voxels can touch [centre - radius, centre + radius]."""
    start = float(coords.flat[0])
    first = int(np.floor((centre - radius - start) / spacing))
    last = int(np.ceil((centre + radius - start) / spacing)) + 1
    return slice(max(first, 0), min(last, coords.size))


def _paint_lesion(
    grid: _Grid, ct: np.ndarray, labels: np.ndarray, centre: _Vec3, diameter_mm: float, hu: float
) -> None:
    """Paint a sphere with partial-volume edges: each voxel's covered fraction is estimated on a
    4×4×4 sub-grid, blended into the HU, and the voxel is labelled where it is at least half
    covered. That keeps the labelled volume close to the true sphere even at 8 mm."""
    radius = diameter_mm / 2.0
    sub = (np.arange(4, dtype=np.float32) + 0.5) / 4.0 - 0.5
    zs = _index_range(grid.z, centre[2], radius, SPACING_MM[2])
    ys = _index_range(grid.y, centre[1], radius, SPACING_MM[1])
    xs = _index_range(grid.x, centre[0], radius, SPACING_MM[0])
    z = grid.z[zs, :, :, None, None, None] + sub[None, None, None, :, None, None] * SPACING_MM[2]
    y = grid.y[:, ys, :, None, None, None] + sub[None, None, None, None, :, None] * SPACING_MM[1]
    x = grid.x[:, :, xs, None, None, None] + sub[None, None, None, None, None, :] * SPACING_MM[0]
    inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= radius**2
    fraction = inside.mean(axis=(3, 4, 5))
    box = (zs, ys, xs)
    ct[box] = ct[box] * (1.0 - fraction) + hu * fraction
    labels[box][fraction >= 0.5] = LESION


def _smooth_in_plane(image: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1]/4 blur along x and y (edge voxels replicated): edges span two or
    three voxels as on a real reconstruction, and white noise becomes CT-like correlated noise."""
    for axis in (1, 2):
        padded = np.concatenate(
            [np.take(image, [0], axis=axis), image, np.take(image, [-1], axis=axis)], axis=axis
        )
        n = image.shape[axis]
        image = (
            np.take(padded, range(0, n), axis=axis)
            + 2.0 * np.take(padded, range(1, n + 1), axis=axis)
            + np.take(padded, range(2, n + 2), axis=axis)
        ) / 4.0
    return image


def make_phantom(seed: int = 0) -> Phantom:
    """Generate the demo abdominal CT (int16 HU), its uint8 label map and the lesion truth.

    Deterministic for a given `seed`, which only changes the noise. Labels: 1 liver, 2 spleen,
    3 kidney, 4 lesion (see `LABEL_TABLE`); `NOMINAL_HU` lists the tissue values.
    """
    grid = _Grid()
    ct = np.full(SHAPE_ZYX, NOMINAL_HU["air"], dtype=np.float32)
    labels = np.zeros(SHAPE_ZYX, dtype=np.uint8)
    _paint_trunk(grid, ct, labels)
    _paint_spine(grid, ct, labels)
    lesions = []
    for name, centre, diameter, hu in _LESIONS:
        _paint_lesion(grid, ct, labels, centre, diameter, hu)
        lesions.append(
            {"name": name, "center_lps_mm": centre, "diameter_mm": diameter, "label": LESION}
        )

    # The [1, 2, 1]/4 blur in two axes scales white-noise sigma by 6/16, so noise is added
    # before it at sigma / (6/16) to end at the nominal sigma.
    rng = np.random.default_rng(seed)
    ct += rng.standard_normal(SHAPE_ZYX, dtype=np.float32) * np.float32(NOISE_SIGMA_HU * 16 / 6)
    ct = _smooth_in_plane(ct)
    # -1024 is the lowest value the DICOM writer can store (intercept -1024, unsigned pixels).
    ct_hu = np.clip(np.rint(ct), -1024, 3071).astype(np.int16)

    geometry = {"spacing_mm": SPACING_MM, "origin": grid.origin, "direction": np.eye(3)}
    ct_volume = Volume(
        array=ct_hu,
        metadata={"Modality": "CT", "SeriesDescription": "Demo CT abdomen phantom"},
        **geometry,
    )
    label_volume = Volume(
        array=labels, metadata={"SeriesDescription": "Demo phantom labels"}, **geometry
    )
    return Phantom(
        ct=ct_volume,
        labels=label_volume,
        label_table=[dict(entry) for entry in LABEL_TABLE],
        lesions=lesions,
    )


def _is_demo_folder(folder: Path) -> bool:
    try:
        info = read_json(folder / "labels.json")
    except ValueError:
        return False
    return isinstance(info, dict) and info.get("generator") == _GENERATOR


def write_demo_study(
    folder: str | Path,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> DemoStudy:
    """Write the phantom into `folder`: a CT DICOM series in ``dicom/``, ``labels.nii.gz`` and
    ``labels.json`` (label table and lesion truth).

    Re-running on a demo folder replaces the study: the new series is written beside the old one
    and swapped in, so a crash never leaves a half-written series. A ``dicom/`` folder that a
    previous demo did not write raises `ValueError` instead of being deleted. `progress` is
    called as ``progress(done, total)``.
    """
    folder = Path(folder)
    dicom_dir = folder / "dicom"
    if dicom_dir.exists() and not _is_demo_folder(folder):
        raise ValueError(
            f"{dicom_dir} exists and was not written by the demo generator; refusing to replace it"
        )
    folder.mkdir(parents=True, exist_ok=True)
    phantom = make_phantom(seed)
    total = phantom.ct.shape_zyx[0] + 2

    def slice_written(done: int, _n: int) -> None:
        if progress:
            progress(1 + done, total)

    if progress:
        progress(1, total)
    staging = folder / f".dicom-{uuid.uuid4().hex}"
    info = SeriesInfo(
        patient_name="Demo^Phantom",
        study_description="medgui demo study",
        series_description="Demo CT abdomen phantom",
        window_center=40.0,
        window_width=400.0,
    )
    try:
        write_dicom_series(phantom.ct, staging, info=info, modality="CT", progress=slice_written)
        retired = folder / f".dicom-old-{uuid.uuid4().hex}"
        if dicom_dir.exists():
            dicom_dir.rename(retired)
        staging.rename(dicom_dir)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    labels_path = write_itk_volume(phantom.labels, folder / "labels.nii.gz")
    # The label table also as the sidecar every label-map reader looks for (labels.labels.json).
    table = LabelTable(
        [Label(d["value"], d["name"], tuple(d["color"])) for d in phantom.label_table]
    )
    atomic_write_json(table_path_for(labels_path), table_to_document(table))
    label_table_path = folder / "labels.json"
    atomic_write_json(
        label_table_path,
        {
            "generator": _GENERATOR,
            "seed": seed,
            "label_table": phantom.label_table,
            "lesions": phantom.lesions,
        },
    )
    if progress:
        progress(total, total)
    return DemoStudy(
        dicom_dir=dicom_dir,
        labels_path=labels_path,
        label_table_path=label_table_path,
        lesions=phantom.lesions,
    )
