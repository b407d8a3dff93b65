"""`medgui train` and `medgui infer` end to end on a tiny generated folder."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from ml_testing import disc_case, write_folders

from medgui.cli.ml import main
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume

TINY = ["--option", "channels=[8,16,32]", "--option", "res_units=1", "--option", "patch_size=64"]


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_folders(tmp_path_factory.mktemp("data"), n=4)


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def trained(folders, tmp_path_factory):
    """`medgui train` for 2 epochs, then `--resume` to 3: the model folder and both outputs."""
    images, labels = folders
    out = tmp_path_factory.mktemp("model")
    common = ["train", "--images", str(images), "--labels", str(labels), "--out", str(out)]
    common += ["--device", "cpu", "--lr", "0.01", "--val-split", "0.25", *TINY]
    first = _run([*common, "--epochs", "2"])
    resumed = _run([*common, "--epochs", "3", "--resume"])
    return out, first, resumed


@pytest.fixture(scope="module")
def model(trained):
    return trained[0]


@pytest.mark.slow
def test_train_prints_the_final_metrics_as_json_and_resumes(trained):
    out, (status, stdout, stderr), (resumed_status, resumed_out, resumed_err) = trained
    assert status == 0 and resumed_status == 0
    summary = _last_json(stdout)
    assert summary["epochs_run"] == 2 and summary["task"] == "segment"
    assert {"dice", "dice_label_1", "dice_label_2", "val_loss"} <= set(summary)
    assert "device: CPU: requested" in stderr and "epoch 2:" in stderr
    assert (out / "weights.safetensors").is_file() and (out / "card.json").is_file()
    assert _last_json(resumed_out)["epochs_run"] == 3
    assert "resuming after epoch 2" in resumed_err


@pytest.mark.slow
def test_infer_writes_a_label_map_with_the_input_geometry(model, folders, tmp_path, capsys):
    images, _ = folders
    out = tmp_path / "labels.nii.gz"
    assert main(["infer", "--model", str(model), str(images / "case3.nii.gz"), str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    source, written = sitk.ReadImage(str(images / "case3.nii.gz")), sitk.ReadImage(str(out))
    assert written.GetSize() == source.GetSize()
    np.testing.assert_allclose(written.GetSpacing(), source.GetSpacing())
    np.testing.assert_allclose(written.GetOrigin(), source.GetOrigin())
    np.testing.assert_allclose(written.GetDirection(), source.GetDirection())
    assert sitk.GetArrayFromImage(written).max() >= 1


@pytest.mark.slow
def test_infer_writes_a_dicom_seg_for_a_dicom_series(model, tmp_path):
    volume, _ = disc_case(3)
    mr = Volume(np.rint(volume.array).astype(np.int16), volume.spacing_mm, volume.origin)
    info = SeriesInfo(series_description="disc MR", window_center=None, window_width=None)
    write_dicom_series(mr, tmp_path / "dicom", info, modality="MR")
    out = tmp_path / "seg.dcm"
    assert main(["infer", "--model", str(model), str(tmp_path / "dicom"), str(out)]) == 0
    seg = pydicom.dcmread(out)
    assert seg.Modality == "SEG" and seg.SegmentationType == "BINARY"
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"AUTOMATIC"}
    assert seg.SegmentSequence[0].SegmentAlgorithmName == "unet2d"


@pytest.mark.slow
def test_bad_input_is_a_clear_error(folders, model, tmp_path, capsys):
    images, _ = folders
    assert main(["train", "--images", str(images), "--out", str(tmp_path)]) == 1
    assert "--labels" in capsys.readouterr().err
    out = str(tmp_path / "seg.dcm")
    assert main(["infer", "--model", str(model), str(images / "case0.nii.gz"), out]) == 1
    assert "error:" in capsys.readouterr().err
    assert main(["infer", "--model", str(tmp_path), str(images / "case0.nii.gz"), out]) == 1
    assert "not a model folder" in capsys.readouterr().err


def test_classification_goes_through_the_same_commands(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, corner in (("bright_left", slice(0, 8)), ("bright_right", slice(24, 32))):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(12):
            image = rng.normal(60, 10, (32, 32))
            image[8:24, corner] += 150
            array = np.clip(image, 0, 255).astype(np.uint8)
            Image.fromarray(array).save(tmp_path / "images" / name / f"{i}.png")
    out = tmp_path / "model"
    status, stdout, _ = _run(
        [
            "train",
            "--task",
            "classify",
            "--images",
            str(tmp_path / "images"),
            "--out",
            str(out),
            "--epochs",
            "2",
            "--device",
            "cpu",
            "--val-split",
            "0.25",
            "--option",
            "size=32",
            "--option",
            "flip=none",
        ]
    )
    assert status == 0 and _last_json(stdout)["task"] == "classify"
    result = tmp_path / "probabilities.json"
    status, _, _ = _run(["infer", "--model", str(out), str(tmp_path / "images"), str(result)])
    assert status == 0
    found = json.loads(result.read_text(encoding="utf-8"))
    assert len(found) == 24
    assert set(next(iter(found.values()))) == {"bright_left", "bright_right"}


def test_train_on_a_workspace(tmp_path):
    from medgui.core.io.itk import write_itk_volume
    from medgui.core.workspace.store import SeriesWork, Workspace

    workspace = Workspace(tmp_path / "ws")
    for i in range(3):
        volume, labelmap = disc_case(i)
        path = write_itk_volume(volume, tmp_path / f"series{i}.nii.gz")
        workspace.save_series(SeriesWork(str(path), source_paths=[str(path)], labelmap=labelmap))
    out = tmp_path / "model"
    args = ["train", "--workspace", str(tmp_path / "ws"), "--out", str(out), "--epochs", "1"]
    status, stdout, stderr = _run([*args, "--device", "cpu", "--val-split", "0.34", *TINY])
    assert status == 0, stderr
    assert {"dice_disc", "dice_square"} <= set(_last_json(stdout))
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert len(card["series"]) == 3 and all(len(s["sha256"]) == 64 for s in card["series"])
    assert _run(["train", "--workspace", str(tmp_path), "--out", str(out)])[0] == 1
