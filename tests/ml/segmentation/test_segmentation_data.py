"""Segmentation data: sources, matching by name, the split, normalisation, resampling and the
per-sample augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ml_testing import disc_case, tiny_config, write_folders

from medgui.core.image.volume import Volume
from medgui.core.io.itk import write_itk_volume
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ml.segmentation.data import find_cases, load_cases, split_by_group
from medgui.ml.segmentation.task import SegmentationTask, patch_size
from medgui.ml.segmentation.transforms import (
    DEFAULT_CT_WINDOW,
    is_ct,
    normalisation_scheme,
    normalise,
    resample,
    resampled_shape,
)


def test_folders_pair_images_and_labels_by_name(tmp_path):
    images, labels = write_folders(tmp_path, n=2)
    volume, _ = disc_case(7)
    write_itk_volume(volume, images / "lonely.nii.gz")
    write_itk_volume(volume, labels / "orphan_seg.nii.gz")
    (images / "notes.txt").write_text("not an image")
    cases, problems = find_cases({"images": images, "labels": labels})
    assert [c.id for c in cases] == ["case0", "case1"]
    assert any("lonely.nii.gz: no label file" in p for p in problems)
    assert any("orphan_seg.nii.gz: no image" in p for p in problems)
    with pytest.raises(ValueError, match="--labels"):
        find_cases({"images": images})


def test_a_label_on_another_grid_is_reported_and_left_out(tmp_path):
    images, labels = write_folders(tmp_path, n=2)
    volume, labelmap = disc_case(0)
    shifted = Volume(labelmap.layers[0], volume.spacing_mm, (5.0, 0.0, 0.0))
    write_itk_volume(shifted, labels / "case1_seg.nii.gz")
    problems: list[str] = []
    loaded = load_cases(find_cases({"images": images, "labels": labels})[0], problems)
    assert [c.id for c in loaded] == ["case0"]
    assert "case1" in problems[0] and "grid" in problems[0]


def test_workspace_series_with_label_maps_are_the_cases(tmp_path):
    workspace = Workspace(tmp_path / "ws")
    for i in range(2):
        volume, labelmap = disc_case(i)
        path = write_itk_volume(volume, tmp_path / f"s{i}.nii.gz")
        workspace.save_series(SeriesWork(str(path), source_paths=[str(path)], labelmap=labelmap))
    workspace.save_series(SeriesWork("unlabelled", source_paths=[str(tmp_path / "s0.nii.gz")]))
    cases, problems = find_cases({"workspace": tmp_path / "ws"})
    assert len(cases) == 2 and not problems
    loaded = load_cases(cases, problems)
    assert loaded[0].volume.shape_zyx == loaded[0].labels.shape and not problems
    assert loaded[0].table.get(1).name == "disc"


def test_the_split_never_puts_a_patient_on_both_sides(disc_cases):
    problems: list[str] = []
    loaded = load_cases(find_cases(list(disc_cases))[0], problems)
    for case, patient in zip(loaded, ["p1", "p1", "p2", "p2", "p3", "p3"], strict=True):
        case.group = f"patient:{patient}"
    train, val, reason = split_by_group(loaded, 0.34, seed=0)
    assert {c.group for c in train}.isdisjoint({c.group for c in val})
    assert len(val) == 2 and len(train) == 4 and reason == ""
    alone, none, reason = split_by_group(loaded[:1], 0.2, seed=0)
    assert len(alone) == 1 and none == [] and "only one labelled series" in reason


def test_split_info_names_the_series_and_labels(disc_cases):
    task = SegmentationTask()
    split = task.make_split(tiny_config(options={"labels": ["square"]}), disc_cases)
    assert split.info["labels"] == ["square"] and task.classes == ["background", "square"]
    assert sorted(split.train_ids + split.val_ids) == [f"case{i}" for i in range(6)]
    assert split.info["spacing_mm"] == [1.0, 1.0]
    with pytest.raises(ValueError, match="not all are painted"):
        task.make_split(tiny_config(options={"labels": ["liver"]}), disc_cases)


def test_ct_uses_a_fixed_window_and_mr_its_percentiles():
    scheme = normalisation_scheme({})
    assert scheme["ct"]["window_hu"] == list(DEFAULT_CT_WINDOW)
    hu = np.array([[[-1000, -200, 50, 300, 2000]]], np.int16)
    ct = Volume(hu, metadata={"Modality": "CT"})
    np.testing.assert_allclose(normalise(ct, scheme), [[[0, 0, 0.5, 1, 1]]])
    assert is_ct(Volume(hu)) and not is_ct(Volume(hu + 1024))
    ramp = np.tile(np.linspace(0, 1000, 101, dtype=np.float32), (4, 10, 1))
    out = normalise(Volume(ramp, metadata={"Modality": "MR"}), scheme)
    assert out.min() == 0 and out.max() == 1 and 0.45 < out.mean() < 0.55
    assert (out == 0).sum() == (out == 1).sum() > 0  # clipped below p1 and above p99


def test_in_plane_resampling_keeps_the_field_of_view():
    shape = resampled_shape((4, 100, 60), (0.5, 0.5, 3.0), (1.0, 1.0))
    assert shape == (4, 50, 30)
    labels = torch.zeros(4, 100, 60, dtype=torch.uint8)
    labels[:, 20:60, 10:30] = 2
    down = resample(labels, shape, label=True)
    assert down.dtype == torch.uint8 and set(down.unique().tolist()) == {0, 2}
    assert int((down == 2).sum()) == 4 * 20 * 10
    image = torch.rand(3, 4, 50, 30)
    assert resample(image, (4, 100, 60), label=False).shape == (3, 4, 100, 60)


def test_augmentation_depends_on_seed_epoch_and_index_only(disc_cases):
    task = SegmentationTask()
    train = task.make_split(tiny_config(), disc_cases).train
    train.set_epoch(1)
    first = train[3]
    train[5]
    again = train[3]
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    train.set_epoch(2)
    assert not torch.equal(first[0], train[3][0])
    assert first[0].shape == (1, 64, 64) and first[1].dtype == torch.int64


def test_patch_sizes_must_fit_the_network():
    assert patch_size(tiny_config()) == (64, 64)
    with pytest.raises(ValueError, match="multiples of 4"):
        patch_size(tiny_config(options={"patch_size": 30}))
    with pytest.raises(ValueError, match="unknown segmentation model"):
        patch_size(tiny_config(model="vnet"))
