"""Classification data: reading PNG/JPEG/DICOM, the ImageFolder and workspace sources, the
split by patient/series/file, and the network input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ml.classification.data import ClassificationDataset, stratified_group_split
from medgui.ml.classification.images import augment, read_image, to_network_input
from medgui.ml.classification.task import ClassificationTask
from medgui.ml.models.task import TrainConfig


def _png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def _ct(folder: Path, hu: np.ndarray, patient: str) -> Path:
    """One CT slice (HU) as a DICOM file in `folder`; returns its path."""
    volume = Volume(hu[None].astype(np.int16))
    return write_dicom_series(volume, folder, SeriesInfo(patient_id=patient), modality="CT")[0]


def test_png_jpeg_and_dicom_are_read_and_normalised(tmp_path):
    grey = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
    assert read_image(_png(tmp_path / "g.png", grey)) == pytest.approx(grey / 255.0)
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(tmp_path / "r.jpg", quality=100)
    assert read_image(tmp_path / "r.jpg").shape == (8, 8, 3)
    hu = np.full((8, 8), -1000.0)
    hu[:4] = 1000.0
    hu[4:, :4] = 0.0
    # CT: the modality LUT gives HU (stored values are offset by 1024), then the default
    # window (centre 0, width 2000) maps -1000..1000 HU to 0..1.
    image = read_image(_ct(tmp_path / "ct", hu, "P1"))
    assert image[:4] == pytest.approx(1.0) and image[4:, 4:] == pytest.approx(0.0)
    assert image[4:, :4] == pytest.approx(0.5)
    assert read_image(tmp_path / "ct" / "IM00001.dcm", ct_window=(0, 200))[4:, :4] == (
        pytest.approx(0.5)
    )
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match="broken.png: not a readable image"):
        read_image(tmp_path / "broken.png")


def test_network_input_resizes_and_matches_channels():
    grey = np.random.default_rng(0).random((40, 30)).astype(np.float32)
    assert to_network_input(grey, 1, 16).shape == (1, 16, 16)
    three = to_network_input(grey, 3, 16)
    assert three.shape == (3, 16, 16) and torch.equal(three[0], three[2])
    rgb = np.stack([grey, grey, grey], axis=-1)
    assert to_network_input(rgb, 1, 16) == pytest.approx(to_network_input(grey, 1, 16), abs=1e-5)


def test_augmentation_repeats_with_the_same_generator():
    x = torch.rand(1, 16, 16)
    a = augment(x, generator=torch.Generator().manual_seed(3))
    b = augment(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert torch.equal(augment(x, flip="none", rotate_deg=0, intensity=0), x)


def test_image_folder_with_png_and_dicom(tmp_path):
    root = tmp_path / "images"
    rng = np.random.default_rng(0)
    for i in range(4):
        _png(root / "normal" / f"n{i}.png", rng.integers(0, 80, (20, 24), dtype=np.uint8))
        _png(root / "lesion" / "scans" / f"l{i}.png", rng.integers(150, 255, (20, 24), np.uint8))
    # Two DICOM slices of one patient: they must stay on one side of the split.
    for name in ("a", "b"):
        _ct(root / "lesion" / f"patient7-{name}", rng.normal(0, 50, (20, 24)), "PATIENT-7")
    (root / "normal" / "notes.txt").write_text("not an image")
    (root / "normal" / "bad.png").write_bytes(b"garbage")
    (root / "empty").mkdir()
    config = TrainConfig(task="classify", val_split=0.34, seed=1, options={"size": 16})
    task = ClassificationTask()
    split = task.make_split(config, root)
    assert task.classes == ["lesion", "normal"] and task.channels == 1
    assert len(split.train) + len(split.val) == 10
    patients = [g for g in split.train_ids + split.val_ids if g.startswith("patient:")]
    assert len(patients) == 1 and "PATIENT-7" not in patients[0]  # a keyed hash
    assert not set(split.train_ids) & set(split.val_ids)
    sides = [split.train.refs, split.val.refs]
    dicom_sides = {i for i, refs in enumerate(sides) for r in refs if r.path.endswith(".dcm")}
    assert len(dicom_sides) == 1
    assert split.info["stratified"] and split.info["unit"] == "patients, series or files"
    assert split.info["val_counts"]["lesion"] >= 1 and split.info["val_counts"]["normal"] >= 1
    problems = "\n".join(split.info["problems"])
    assert "notes.txt: not a PNG, JPEG or DICOM" in problems and "bad.png" in problems
    assert "class 'empty' has no images" in problems
    x, y = split.train[0]
    assert x.shape == (1, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.long
    network = task.build_network(config)
    assert network(torch.stack([split.val[0][0]])).shape == (1, 2)


def test_colour_images_make_an_rgb_model(tmp_path):
    root = tmp_path / "images"
    for i in range(2):
        _png(root / "red" / f"{i}.png", np.full((8, 8, 3), (200, 0, 0), np.uint8))
        _png(root / "grey" / f"{i}.png", np.full((8, 8), 90, np.uint8))
    task = ClassificationTask()
    split = task.make_split(TrainConfig(task="classify", val_split=0.5, options={"size": 12}), root)
    assert task.channels == 3 and split.train[0][0].shape == (3, 12, 12)


def test_too_little_data_is_a_clear_error(tmp_path):
    _png(tmp_path / "only" / "a.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="at least two class folders"):
        ClassificationTask().make_split(TrainConfig(task="classify"), tmp_path)
    with pytest.raises(ValueError, match="val_split"):
        ClassificationTask().make_split(TrainConfig(task="classify", val_split=0), tmp_path)
    with pytest.raises(ValueError, match="classes are not known"):
        ClassificationTask().build_network(TrainConfig(task="classify"))


def test_stratified_group_split():
    groups = {f"a{i}": 0 for i in range(5)} | {f"b{i}": 1 for i in range(10)} | {"c0": 2}
    train, val, stratified = stratified_group_split(groups, 0.2, seed=0)
    assert sum(g.startswith("a") for g in val) == 1 and sum(g.startswith("b") for g in val) == 2
    assert "c0" in train and not stratified  # one group cannot be on both sides
    assert stratified_group_split(groups, 0.2, seed=0) == (train, val, stratified)


def test_workspace_tags_make_a_split_by_patient(tmp_path):
    workspace = Workspace(tmp_path / "workspace")
    rng = np.random.default_rng(0)
    for n, patient in enumerate(["P1", "P2", "P3", "P1"]):
        hu = rng.normal(0, 30, (6, 16, 16)).astype(np.int16)
        hu[3:] += 600  # the "bright" slices
        info = SeriesInfo(patient_id=patient, series_number=n + 1)
        write_dicom_series(Volume(hu), tmp_path / f"series{n}", info, modality="CT")
        tags = ClassTagSet(["dark", "bright"], 6)
        for k in range(6):
            tags.set(k, "bright" if k >= 3 else "dark")
        if n == 2:
            tags.clear(0)  # untagged slices are not used
        annotations = SeriesAnnotations(tags=tags).to_json()
        work = SeriesWork(
            info.series_instance_uid,
            info.series_instance_uid,
            source_paths=[str(tmp_path / f"series{n}")],
            annotations=annotations,
        )
        workspace.save_series(work)
    orphan = SeriesAnnotations(tags=ClassTagSet(["dark", "bright"], 6, series_tag="dark"))
    workspace.save_series(SeriesWork("1.2.3.4", "1.2.3.4", annotations=orphan.to_json()))
    moved = SeriesAnnotations(tags=ClassTagSet(["dark", "bright"], 6, image_tags={0: "dark"}))
    gone = [str(tmp_path / "moved")]
    workspace.save_series(
        SeriesWork("1.2.3.5", "1.2.3.5", "Moved", gone, None, [], moved.to_json())
    )
    config = TrainConfig(task="classify", val_split=0.34, seed=0, options={"size": 16})
    task = ClassificationTask()
    split = task.make_split(config, workspace)
    assert task.classes == ["dark", "bright"]
    assert len(split.train) + len(split.val) == 23
    assert {g.split(":")[0] for g in split.train_ids + split.val_ids} == {"patient"}
    assert not set(split.train_ids) & set(split.val_ids)
    problems = split.info["problems"]
    assert any("1.2.3.4" in p and "tagged as a whole" in p for p in problems)
    assert any("Moved: its images are not found" in p for p in problems)
    ref = split.train.refs[0]
    x, y = split.train[0]  # augmented
    expected = 1 if ref.frame >= 3 else 0
    assert int(y) == expected and x.shape == (1, 16, 16)
    # The slice in HU through the CT window (centre 0, width 2000): 0 HU → 0.5, 600 HU → 0.8.
    prepared = split.train.prepared(0)
    assert float(prepared.mean()) == pytest.approx(0.8 if expected else 0.5, abs=0.02)
    # Each volume is loaded once, however shuffled the order in which slices are asked for.
    loads = []

    def counting_load(target):
        loads.append(target)
        return load_volume(target)

    train = split.train
    dataset = ClassificationDataset(train.refs, 1, 16, series=train.series, load=counting_load)
    for index in np.random.default_rng(0).permutation(len(dataset)):
        dataset[int(index)]
    assert len(loads) == len({r.series for r in train.refs})


def test_default_augmentation_never_mirrors_an_image(tmp_path):
    """Left and right are anatomy: the default training transform must not flip. A digit-like,
    non-symmetric image goes through the default train transform (rotation and intensity off,
    so only a flip could change it) over many epochs and comes back unchanged every time."""
    from medgui.ml.classification.images import DEFAULT_AUGMENT

    assert DEFAULT_AUGMENT["flip"] == "none"
    seven = np.zeros((16, 16), np.uint8)
    seven[2, 3:13] = 255  # the bar of a "7" on top, its stroke going down to the left
    for row in range(3, 14):
        seven[row, 12 - (row - 3) * 9 // 11] = 255
    for i in range(2):
        _png(tmp_path / "seven" / f"{i}.png", seven)
        _png(tmp_path / "other" / f"{i}.png", seven.T.copy())
    task = ClassificationTask()
    config = TrainConfig(
        task="classify", val_split=0.5, options={"size": 16, "rotate_deg": 0, "intensity": 0}
    )
    split = task.make_split(config, tmp_path)
    assert split.train.augment["flip"] == "none"
    for epoch in range(20):
        split.train.set_epoch(epoch)
        for index in range(len(split.train)):
            assert torch.equal(split.train[index][0], split.train.prepared(index)), epoch


def test_tags_from_reports_train_like_hand_tags_and_are_counted(tmp_path):
    workspace = Workspace(tmp_path / "workspace")
    classes = ["Pleural Effusion", "No Pleural Effusion"]
    rng = np.random.default_rng(1)
    for n in range(4):
        image = rng.normal(0, 30, (1, 16, 16)).astype(np.int16) + (600 if n % 2 else 0)
        info = SeriesInfo(patient_id=f"P{n}", series_number=n + 1)
        write_dicom_series(Volume(image), tmp_path / f"cxr{n}", info, modality="CR")
        tags = ClassTagSet(classes, 1)
        name = classes[n % 2]
        if n < 3:  # three from report text, the last by hand
            origin = {"source": "report", "finding": "Pleural Effusion", "sentence": "..."}
            assert tags.set_from_report(None, name, origin)
        else:
            tags.set(None, name)
        work = SeriesWork(
            info.series_instance_uid,
            info.series_instance_uid,
            source_paths=[str(tmp_path / f"cxr{n}")],
            annotations=SeriesAnnotations(tags=tags).to_json(),
        )
        workspace.save_series(work)
    config = TrainConfig(task="classify", val_split=0.5, seed=0, options={"size": 16})
    task = ClassificationTask()
    split = task.make_split(config, workspace)
    assert len(split.train) + len(split.val) == 4
    assert split.info["tags_from_text"] == 3
    assert task.card_fields(config, split)["tags_from_text"] == 3
