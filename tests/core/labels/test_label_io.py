"""Label maps as NIfTI/NRRD: exact round trips, geometry checks, resampling and bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import SimpleITK as sitk
from dicom_testing import rotation

from medgui.core.image.volume import Volume
from medgui.core.labels.io import (
    GeometryMismatchError,
    load_label_map,
    save_label_map,
    table_path_for,
)
from medgui.core.labels.labelmap import LabelMap, LabelTable

SHAPE = (6, 7, 8)


def _image(spacing=(0.7, 0.8, 2.5), origin=(-11.0, 12.5, 30.0), direction=None, shape=SHAPE):
    direction = rotation(10, -5, 20) if direction is None else direction
    return Volume(np.zeros(shape, np.int16), spacing, origin, direction)


def _labelmap(image: Volume, layers: int = 1, dtype=np.uint8) -> LabelMap:
    labelmap = LabelMap.empty_like(image, LabelTable())
    labelmap.layers = [np.zeros(image.shape_zyx, dtype) for _ in range(layers)]
    rng = np.random.default_rng(1)
    for index in range(layers):
        label = labelmap.table.add(f"Structure {index}", layer=index)
        labelmap.layers[index][rng.random(image.shape_zyx) < 0.3] = label.value
    if dtype == np.uint16:
        big = labelmap.table.add("Many labels")
        big.value = 300
        labelmap.layers[0][0, 0, :3] = 300
    labelmap.table.labels[0].opacity = 0.8
    labelmap.table.labels[0].locked = True
    return labelmap


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".nii"])
@pytest.mark.parametrize(("layers", "dtype"), [(1, np.uint8), (2, np.uint16)])
def test_round_trip_is_exact(tmp_path, suffix, layers, dtype):
    image = _image()
    labelmap = _labelmap(image, layers, dtype)
    path = save_label_map(labelmap, tmp_path / f"seg{suffix}")
    assert table_path_for(path).name == "seg.labels.json"
    loaded = load_label_map(path, image)
    assert len(loaded.layers) == layers
    for got, want in zip(loaded.layers, labelmap.layers, strict=True):
        assert got.dtype == dtype and np.array_equal(got, want)
    assert loaded.table == labelmap.table
    assert loaded.matches(image, tolerance_mm=1e-5)


def test_uint16_is_kept_even_with_small_values(tmp_path):
    labelmap = LabelMap.empty_like(_image())
    labelmap.layers[0] = labelmap.layers[0].astype(np.uint16)
    labelmap.layers[0][1, 2, 3] = 4
    loaded = load_label_map(save_label_map(labelmap, tmp_path / "a.nrrd"))
    assert loaded.layers[0].dtype == np.uint16 and loaded.layers[0][1, 2, 3] == 4


def test_missing_sidecar_gives_default_names(tmp_path):
    image = _image()
    labelmap = _labelmap(image, layers=2)
    path = save_label_map(labelmap, tmp_path / "seg.nrrd", write_table=False)
    assert not table_path_for(path).exists()
    table = load_label_map(path).table
    assert [(lb.value, lb.name, lb.layer) for lb in table.labels] == [
        (1, "Label 1", 0),
        (2, "Label 2", 1),
    ]


def test_painted_values_missing_from_the_table_are_named(tmp_path):
    image = _image()
    labelmap = _labelmap(image)
    labelmap.layers[0][0, 0, 0] = 9
    given = LabelTable(list(labelmap.table.labels))
    loaded = load_label_map(save_label_map(labelmap, tmp_path / "a.nii.gz"), table=given)
    assert [lb.name for lb in loaded.table.labels] == ["Structure 0", "Label 9"]
    assert len(given.labels) == 1


def test_geometry_mismatch_states_both_grids(tmp_path):
    image = _image()
    path = save_label_map(_labelmap(image), tmp_path / "a.nii.gz")
    other = _image(spacing=(0.7, 0.8, 3.0), shape=(5, 7, 8))
    with pytest.raises(GeometryMismatchError) as caught:
        load_label_map(path, other)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and "a.nii.gz" in message
    assert "8×7×6 voxels, spacing 0.7, 0.8, 2.5 mm" in message
    assert "8×7×5 voxels, spacing 0.7, 0.8, 3 mm" in message


def test_direction_only_mismatch_is_named(tmp_path):
    path = save_label_map(_labelmap(_image(direction=np.eye(3))), tmp_path / "a.nrrd")
    flipped = _image(direction=np.diag([1.0, -1.0, -1.0]))
    with pytest.raises(GeometryMismatchError, match=r"axes \(1, 0, 0; 0, -1, 0; 0, 0, -1\)"):
        load_label_map(path, flipped)


def test_resample_nearest_onto_a_coarser_shifted_grid(tmp_path):
    fine = _image(spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=np.eye(3))
    fine.array = np.zeros((8, 8, 8), np.int16)
    labelmap = LabelMap.empty_like(fine)
    labelmap.table.add("a")
    labelmap.layers[0][...] = np.random.default_rng(5).integers(1, 250, (8, 8, 8))
    path = save_label_map(labelmap, tmp_path / "fine.nii.gz")
    coarse = _image(spacing=(2.0, 2.0, 2.0), origin=(1.4, 0.0, 0.0), direction=np.eye(3))
    coarse.array = np.zeros((4, 4, 4), np.int16)
    moved = load_label_map(path, coarse, resample=True)
    assert moved.matches(coarse)
    # Coarse voxel (i, j, k) has its centre at fine index (2i + 1.4, 2j, 2k): nearest 2i + 1.
    assert np.array_equal(moved.layers[0], labelmap.layers[0][::2, ::2, 1::2])
    assert moved.layers[0].dtype == np.uint8 and moved.table.labels[0].name == "a"


def test_resample_outside_the_source_is_background(tmp_path):
    grid = _image(spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=np.eye(3))
    labelmap = LabelMap.empty_like(grid)
    labelmap.layers[0][...] = 1
    path = save_label_map(labelmap, tmp_path / "a.nrrd")
    shifted = _image(spacing=(1.0, 1.0, 1.0), origin=(4.0, 0.0, 0.0), direction=np.eye(3))
    moved = load_label_map(path, shifted, resample=True).layers[0]
    assert moved[:, :, :4].all() and not moved[:, :, 4:].any()


@pytest.mark.parametrize(
    "content", [b"", b"not an image at all", gzip.compress(b"\x00" * 100)[:30]]
)
def test_corrupt_file_names_the_file(tmp_path, content):
    path = tmp_path / "broken.nii.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.nii.gz"):
        load_label_map(path, _image())


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(ValueError, match="nope.nrrd.*not found"):
        load_label_map(tmp_path / "nope.nrrd")
    with pytest.raises(ValueError, match="x.png: a label file must end in"):
        save_label_map(_labelmap(_image()), tmp_path / "x.png")
    with pytest.raises(ValueError, match="x.dcm.*saved as"):
        save_label_map(_labelmap(_image()), tmp_path / "x.dcm")


def test_mha_label_maps_round_trip(tmp_path):
    # MHA is one of the label formats `label_format` names: saved and read like NIfTI/NRRD.
    image = _image()
    labelmap = _labelmap(image)
    path = save_label_map(labelmap, tmp_path / "x.mha")
    back = load_label_map(path, image)
    assert np.array_equal(back.layers[0], labelmap.layers[0])
    assert [lb.name for lb in back.table.labels] == [lb.name for lb in labelmap.table.labels]


def test_non_integer_image_is_not_a_label_map(tmp_path):
    image = sitk.GetImageFromArray(np.full((2, 3, 4), 0.5, np.float32))
    sitk.WriteImage(image, str(tmp_path / "prob.nii.gz"))
    with pytest.raises(ValueError, match="prob.nii.gz: not a label map"):
        load_label_map(tmp_path / "prob.nii.gz")


def test_integral_float_image_is_accepted(tmp_path):
    image = sitk.GetImageFromArray(np.full((2, 3, 4), 2.0, np.float32))
    sitk.WriteImage(image, str(tmp_path / "f.nii.gz"))
    loaded = load_label_map(tmp_path / "f.nii.gz")
    assert loaded.layers[0].dtype == np.uint8 and (loaded.layers[0] == 2).all()


def test_corrupt_sidecar_names_the_sidecar(tmp_path):
    path = save_label_map(_labelmap(_image()), tmp_path / "a.nii.gz")
    table_path_for(path).write_text("{not json")
    with pytest.raises(ValueError, match="a.labels.json"):
        load_label_map(path)
    table_path_for(path).write_text('{"format": "medgui-labels", "version": 1, "labels": [{}]}')
    with pytest.raises(ValueError, match="a.labels.json: malformed"):
        load_label_map(path)


def test_uncompressed_twin_is_refused(tmp_path):
    path = save_label_map(_labelmap(_image()), tmp_path / "a.nii.gz")
    save_label_map(LabelMap.empty_like(_image()), tmp_path / "a.nii")
    with pytest.raises(ValueError, match="a.nii lies beside it"):
        load_label_map(path)


def test_4d_label_image_is_refused(tmp_path):
    volumes = [sitk.GetImageFromArray(np.zeros((2, 3, 4), np.uint8)) for _ in range(3)]
    sitk.WriteImage(sitk.JoinSeries(volumes), str(tmp_path / "t.nii"))
    with pytest.raises(ValueError, match="t.nii: a 4-D label image"):
        load_label_map(tmp_path / "t.nii")
