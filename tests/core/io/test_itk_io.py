"""NIfTI/NRRD/MetaImage I/O: geometry must survive exactly, and bad input must say why."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from dicom_testing import rotation

from medgui.core.image.volume import Volume
from medgui.core.io.itk import is_itk_file, read_itk_volume, write_itk_volume

# Not exactly representable in float32, so a reader that loses precision (NIfTI stores float32
# spacing/offset) shows up, while magnitudes stay where float32 is good to ~1e-5.
SPACING = (0.7123, 0.9371, 2.5013)
ORIGIN = (-91.337, 47.113, -63.271)


def _oblique_volume(dtype=np.int16) -> Volume:
    rng = np.random.default_rng(7)
    # Distinct sizes per axis, so a transposed read cannot pass.
    array = rng.integers(-1000, 2000, size=(5, 6, 7)).astype(dtype)
    return Volume(
        array=array, spacing_mm=SPACING, origin=ORIGIN, direction=rotation(20.0, -12.0, 33.0)
    )


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_oblique_anisotropic_round_trip(tmp_path, suffix):
    volume = _oblique_volume()
    path = write_itk_volume(volume, tmp_path / f"ct{suffix}")

    loaded = read_itk_volume(path)

    assert loaded.array.dtype == np.int16
    np.testing.assert_array_equal(loaded.array, volume.array)
    np.testing.assert_allclose(loaded.spacing_mm, SPACING, atol=1e-5)
    np.testing.assert_allclose(loaded.origin, ORIGIN, atol=1e-5)
    np.testing.assert_allclose(loaded.direction, volume.direction, atol=1e-5)
    assert loaded.warnings == []
    # The far corner exercises spacing, direction and axis order at once.
    corner = (6, 5, 4)
    image = sitk.ReadImage(str(path))
    np.testing.assert_allclose(
        loaded.voxel_to_world(corner), image.TransformIndexToPhysicalPoint(corner), atol=1e-6
    )
    np.testing.assert_allclose(
        loaded.voxel_to_world(corner), volume.voxel_to_world(corner), atol=1e-4
    )
    expected_format = {".nii.gz": "nifti", ".nrrd": "nrrd", ".mha": "mha"}[suffix]
    assert loaded.metadata["source_format"] == expected_format
    assert loaded.metadata["SeriesDescription"] == path.name
    assert isinstance(loaded.metadata["itk"], dict)


def test_write_leaves_no_temporary_files(tmp_path):
    write_itk_volume(_oblique_volume(), tmp_path / "ct.nrrd")
    write_itk_volume(_oblique_volume(), tmp_path / "ct.nrrd")
    assert [p.name for p in tmp_path.iterdir()] == ["ct.nrrd"]


def test_detached_header_round_trip(tmp_path):
    volume = _oblique_volume()
    loaded = read_itk_volume(write_itk_volume(volume, tmp_path / "ct.mhd"))
    np.testing.assert_array_equal(loaded.array, volume.array)
    np.testing.assert_allclose(loaded.direction, volume.direction, atol=1e-6)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_label_map_keeps_dtype(tmp_path, suffix):
    labels = Volume(array=np.array([0, 1, 2, 4] * 30, dtype=np.uint8).reshape(4, 5, 6))
    loaded = read_itk_volume(write_itk_volume(labels, tmp_path / f"labels{suffix}"))
    assert loaded.array.dtype == np.uint8
    np.testing.assert_array_equal(loaded.array, labels.array)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_rgb_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(3)
    rgb = Volume(
        array=rng.integers(0, 256, size=(3, 4, 5, 3), dtype=np.uint8),
        spacing_mm=(0.5, 0.6, 3.0),
        origin=(1.5, -2.5, 10.0),
    )
    loaded = read_itk_volume(write_itk_volume(rgb, tmp_path / f"rgb{suffix}"))
    assert loaded.is_color
    assert loaded.array.shape == (3, 4, 5, 3)
    np.testing.assert_array_equal(loaded.array, rgb.array)
    np.testing.assert_allclose(loaded.spacing_mm, rgb.spacing_mm, atol=1e-6)


def test_two_dimensional_image_becomes_one_slice(tmp_path):
    image = sitk.GetImageFromArray(np.arange(12, dtype=np.float32).reshape(3, 4))
    image.SetSpacing((0.25, 0.5))
    image.SetOrigin((10.0, -20.0))
    path = tmp_path / "xray.nrrd"
    sitk.WriteImage(image, str(path))

    loaded = read_itk_volume(path)

    assert loaded.array.shape == (1, 3, 4)
    np.testing.assert_array_equal(loaded.array[0], np.arange(12).reshape(3, 4))
    assert loaded.spacing_mm == (0.25, 0.5, 1.0)
    assert loaded.origin == (10.0, -20.0, 0.0)
    np.testing.assert_array_equal(loaded.direction, np.eye(3))
    assert len(loaded.warnings) == 1 and "2-D" in loaded.warnings[0]


def test_four_dimensional_image_keeps_first_volume(tmp_path):
    frames = np.arange(3 * 2 * 3 * 4, dtype=np.int16).reshape(3, 2, 3, 4)
    image = sitk.JoinSeries([sitk.GetImageFromArray(frame) for frame in frames])
    image.SetSpacing((0.8, 0.9, 2.0, 1.0))
    path = tmp_path / "dynamic.nii.gz"
    sitk.WriteImage(image, str(path))

    loaded = read_itk_volume(path)

    np.testing.assert_array_equal(loaded.array, frames[0])
    np.testing.assert_allclose(loaded.spacing_mm, (0.8, 0.9, 2.0), atol=1e-6)
    assert len(loaded.warnings) == 1
    assert "3 volumes" in loaded.warnings[0] and "2 dropped" in loaded.warnings[0]


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.nii.gz"
    with pytest.raises(ValueError, match="nowhere.nii.gz.*not found"):
        read_itk_volume(path)


def test_garbage_file_names_the_path_and_reason(tmp_path):
    path = tmp_path / "broken.nrrd"
    path.write_bytes(b"this is not an image\n" * 10)
    with pytest.raises(ValueError) as caught:
        read_itk_volume(path)
    message = str(caught.value)
    assert str(path) in message
    assert "cannot read image" in message
    assert "sitk::ERROR" not in message


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match="photo.png"):
        read_itk_volume(tmp_path / "photo.png")


def test_sheared_direction_is_refused(tmp_path):
    sheared = np.eye(3)
    sheared[1, 2] = 0.2  # slice normal tilted against the rows: a gantry-tilt grid
    volume = Volume(array=np.zeros((2, 3, 4), np.int16), direction=sheared)
    path = tmp_path / "tilted.nii.gz"
    with pytest.raises(ValueError, match="tilted.nii.gz.*resample"):
        write_itk_volume(volume, path)
    assert not path.exists()


def test_modality_survives_nrrd(tmp_path):
    volume = _oblique_volume()
    volume.metadata["Modality"] = "CT"
    loaded = read_itk_volume(write_itk_volume(volume, tmp_path / "ct.nrrd"))
    assert loaded.modality == "CT"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.nii", True),
        ("A.NII.GZ", True),
        ("scan.Nrrd", True),
        ("scan.nhdr", True),
        ("x.MHA", True),
        ("x.mhd", True),
        ("archive.gz", False),
        ("notes.txt", False),
        ("IM0001.dcm", False),
        ("nii", False),
    ],
)
def test_is_itk_file(name, expected):
    assert is_itk_file(name) is expected
    assert is_itk_file(f"/some/folder/{name}") is expected


def test_nii_gz_beside_nii_is_refused_not_misread(tmp_path):
    import numpy as np

    from medgui.core.image.volume import Volume
    from medgui.core.io.itk import read_itk_volume, write_itk_volume

    write_itk_volume(Volume(np.zeros((2, 3, 4), np.int16)), tmp_path / "x.nii")
    write_itk_volume(Volume(np.ones((2, 3, 4), np.int16)), tmp_path / "x.nii.gz")
    with pytest.raises(ValueError, match="lies beside it"):
        read_itk_volume(tmp_path / "x.nii.gz")
    assert read_itk_volume(tmp_path / "x.nii").metadata["source_path"].endswith("x.nii")
