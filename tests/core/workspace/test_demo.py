"""The demo phantom: deterministic, anatomically plausible, and its files match it exactly."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest

from medgui.core.io.itk import read_itk_volume
from medgui.core.workspace.demo import NOMINAL_HU, make_phantom, write_demo_study


@pytest.fixture(scope="module")
def phantom():
    return make_phantom(seed=0)


def _roi_mean(phantom, centre_lps_mm, half_voxels=(0, 3, 3)) -> float:
    """Mean HU in a small box of voxels around an LPS point."""
    i, j, k = np.rint(phantom.ct.world_to_voxel(centre_lps_mm)).astype(int)
    dk, dj, di = half_voxels
    box = phantom.ct.array[k - dk : k + dk + 1, j - dj : j + dj + 1, i - di : i + di + 1]
    return float(box.mean())


def _interior(mask: np.ndarray) -> np.ndarray:
    """Voxels whose four in-plane neighbours are also in `mask` (edges are blurred on purpose)."""
    inner = mask.copy()
    inner[:, 1:, :] &= mask[:, :-1, :]
    inner[:, :-1, :] &= mask[:, 1:, :]
    inner[:, :, 1:] &= mask[:, :, :-1]
    inner[:, :, :-1] &= mask[:, :, 1:]
    return inner


def test_same_seed_same_phantom_other_seed_other_noise(phantom):
    again = make_phantom(seed=0)
    np.testing.assert_array_equal(again.ct.array, phantom.ct.array)
    np.testing.assert_array_equal(again.labels.array, phantom.labels.array)
    assert again.lesions == phantom.lesions

    other = make_phantom(seed=1)
    assert not np.array_equal(other.ct.array, phantom.ct.array)
    np.testing.assert_array_equal(other.labels.array, phantom.labels.array)


def test_types_and_grid(phantom):
    assert phantom.ct.array.dtype == np.int16
    assert phantom.labels.array.dtype == np.uint8
    nz, ny, nx = phantom.ct.shape_zyx
    assert (ny, nx) == (256, 256) and 60 <= nz <= 100
    np.testing.assert_array_equal(phantom.ct.direction, np.eye(3))
    assert phantom.ct.modality == "CT"
    # The body is centred on x = y = 0: the in-plane centre of the grid is the world origin.
    centre = phantom.ct.voxel_to_world(((nx - 1) / 2, (ny - 1) / 2, 0))
    np.testing.assert_allclose(centre[:2], (0.0, 0.0), atol=1e-6)


def test_labels_share_ct_geometry(phantom):
    ct, labels = phantom.ct, phantom.labels
    assert labels.shape_zyx == ct.shape_zyx
    assert labels.spacing_mm == ct.spacing_mm
    assert labels.origin == ct.origin
    np.testing.assert_array_equal(labels.direction, ct.direction)


def test_label_table_covers_the_labels(phantom):
    values = {entry["value"] for entry in phantom.label_table}
    present = set(np.unique(phantom.labels.array).tolist()) - {0}
    assert present == values
    for entry in phantom.label_table:
        assert entry["name"] and len(entry["color"]) == 3
        assert all(0 <= c <= 255 for c in entry["color"])


def test_hu_plausibility(phantom):
    ct = phantom.ct.array
    corner = ct[:, :16, :16]
    assert abs(float(corner.mean()) - NOMINAL_HU["air"]) < 5
    # Noise is about 12 HU, as on a routine abdominal CT.
    assert 8 < float(corner.std()) < 16

    liver = next(e["value"] for e in phantom.label_table if e["name"] == "liver")
    liver_hu = ct[_interior(phantom.labels.array == liver)].mean()
    assert abs(float(liver_hu) - NOMINAL_HU["liver"]) <= 15

    top = phantom.ct.voxel_to_world((0, 0, phantom.ct.shape_zyx[0] - 1))[2]
    for side in (-1.0, 1.0):
        assert _roi_mean(phantom, (80.0 * side, 10.0, top)) < -700

    aorta_hu = _roi_mean(phantom, (8.0, 15.0, 0.0), half_voxels=(2, 2, 2))
    assert abs(aorta_hu - NOMINAL_HU["aorta"]) < 20
    # Somewhere in the vertebral column there is bone.
    spine = ct[:, 140:170, 120:136]
    assert float(spine.max()) > 500


@pytest.mark.parametrize("index", range(4))
def test_lesion_labelled_volume_matches_its_diameter(phantom, index):
    lesion = phantom.lesions[index]
    radius = lesion["diameter_mm"] / 2
    ct = phantom.ct
    # Only a box around the lesion: other lesions share its label value.
    reach = radius + 4.0
    low = np.floor(ct.world_to_voxel(np.asarray(lesion["center_lps_mm"]) - reach)).astype(int)
    high = np.ceil(ct.world_to_voxel(np.asarray(lesion["center_lps_mm"]) + reach)).astype(int)
    (i0, j0, k0), (i1, j1, k1) = np.maximum(low, 0), high + 1
    kk, jj, ii = np.meshgrid(np.arange(k0, k1), np.arange(j0, j1), np.arange(i0, i1), indexing="ij")
    world = ct.voxel_to_world(np.stack([ii, jj, kk], axis=-1).reshape(-1, 3)).reshape(
        (*kk.shape, 3)
    )
    near = np.linalg.norm(world - np.asarray(lesion["center_lps_mm"]), axis=-1) <= reach
    labelled = near & (phantom.labels.array[k0:k1, j0:j1, i0:i1] == lesion["label"])

    measured_mm3 = labelled.sum() * np.prod(ct.spacing_mm)
    expected_mm3 = 4.0 / 3.0 * np.pi * radius**3
    assert abs(measured_mm3 - expected_mm3) <= 0.15 * expected_mm3
    # The lesion is visible in the CT too: hypodense in the liver, soft tissue in the lung.
    centre_hu = _roi_mean(phantom, lesion["center_lps_mm"], (0, 1, 1))
    if "lung" in lesion["name"]:
        assert -200 < centre_hu < 100
    else:
        assert centre_hu < NOMINAL_HU["liver"] - 20


def test_lesions_are_described(phantom):
    diameters = sorted(lesion["diameter_mm"] for lesion in phantom.lesions)
    assert diameters == [8.0, 10.0, 15.0, 20.0]
    for lesion in phantom.lesions:
        assert len(lesion["center_lps_mm"]) == 3 and lesion["name"]


def test_write_demo_study_files_match_the_phantom(tmp_path, phantom):
    calls = []
    study = write_demo_study(tmp_path / "demo", seed=0, progress=lambda d, t: calls.append((d, t)))

    files = sorted(study.dicom_dir.iterdir())
    assert len(files) == phantom.ct.shape_zyx[0]
    datasets = sorted((pydicom.dcmread(f) for f in files), key=lambda ds: int(ds.InstanceNumber))
    stack = np.stack(
        [ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in datasets]
    )
    np.testing.assert_array_equal(stack, phantom.ct.array)
    first = datasets[0]
    assert str(first.PatientName) == "Demo^Phantom"
    assert "phantom" in first.SeriesDescription.lower()
    assert float(first.WindowCenter) == 40 and float(first.WindowWidth) == 400
    np.testing.assert_allclose(
        [float(v) for v in first.ImagePositionPatient], phantom.ct.origin, atol=1e-3
    )

    labels = read_itk_volume(study.labels_path)
    np.testing.assert_array_equal(labels.array, phantom.labels.array)
    np.testing.assert_allclose(labels.spacing_mm, phantom.labels.spacing_mm, atol=1e-5)
    np.testing.assert_allclose(labels.origin, phantom.labels.origin, atol=1e-4)

    info = json.loads(study.label_table_path.read_text(encoding="utf-8"))
    assert info["label_table"] == phantom.label_table
    assert [tuple(lesion["center_lps_mm"]) for lesion in info["lesions"]] == [
        tuple(lesion["center_lps_mm"]) for lesion in phantom.lesions
    ]
    assert calls[-1][0] == calls[-1][1] and len(calls) > 2


def test_write_demo_study_twice_replaces_cleanly(tmp_path):
    folder = tmp_path / "demo"
    first = write_demo_study(folder, seed=0)
    first_uids = {pydicom.dcmread(f).SeriesInstanceUID for f in first.dicom_dir.iterdir()}
    second = write_demo_study(folder, seed=1)

    files = list(second.dicom_dir.iterdir())
    assert len(files) == make_phantom(seed=1).ct.shape_zyx[0]
    uids = {pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID for f in files}
    assert len(uids) == 1 and uids.isdisjoint(first_uids)
    expected = ["dicom", "labels.json", "labels.labels.json", "labels.nii.gz"]
    assert sorted(p.name for p in folder.iterdir()) == expected


def test_write_demo_study_refuses_a_foreign_dicom_folder(tmp_path):
    (tmp_path / "dicom").mkdir()
    precious = tmp_path / "dicom" / "patient.dcm"
    precious.write_bytes(b"real data")
    with pytest.raises(ValueError, match="not written by the demo"):
        write_demo_study(tmp_path)
    assert precious.read_bytes() == b"real data"
