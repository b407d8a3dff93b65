"""A full disk (fault injection: the write functions raise ENOSPC) during `medgui infer`,
`medgui train` and a bundle import: the command exits 1 with the file and the reason, no
traceback, and the failed write leaves nothing behind."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import zipfile

import numpy as np
import pytest
from ml_testing import classify_model, disc_case, segment_model
from PIL import Image
from safetensors import SafetensorError

from medgui.cli.ml import main
from medgui.core.io.itk import write_itk_volume
from medgui.core.util.atomic import TEMPORARY_PREFIX
from medgui.ml.models.card import ModelCard
from medgui.ml.models.registry import ModelRegistry

FULL = "No space left on device"


def _full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, FULL)


def _safetensors_full(*_args, **_kwargs):
    # What safetensors raises on a full disk: the OS's reason buried in Rust's debug text.
    raise SafetensorError(
        "Error while serializing: IoError(Os { code: 28, kind: StorageFull, "
        f'message: "{FULL}" }})'
    )


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def _left(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_infer_segmentation_on_a_full_disk_leaves_no_output(tmp_path, monkeypatch):
    model = segment_model(tmp_path / "model")
    volume, _ = disc_case(0, shape=(2, 32, 32))
    write_itk_volume(volume, tmp_path / "image.nii.gz")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # The label map is written, then its table sidecar hits the full disk.
    monkeypatch.setattr("medgui.core.labels.io.atomic_write_json", _full)
    status, _, err = _run(
        [
            "infer",
            "--model",
            str(model),
            str(tmp_path / "image.nii.gz"),
            str(out_dir / "labels.nii.gz"),
        ]
    )
    assert status == 1 and "Traceback" not in err
    assert f"{out_dir / 'labels.nii.gz'}: cannot write: {FULL}" in err, err
    assert _left(out_dir) == []


def test_infer_classification_on_a_full_disk_leaves_no_output(tmp_path, monkeypatch):
    model = classify_model(tmp_path / "model")
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "image.png")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.setattr("medgui.core.util.atomic.os.replace", _full)
    status, _, err = _run(
        ["infer", "--model", str(model), str(tmp_path / "image.png"), str(out_dir / "classes.json")]
    )
    assert status == 1 and f"{out_dir / 'classes.json'}: cannot write: {FULL}" in err, err
    assert _left(out_dir) == []


@pytest.fixture
def digits(tmp_path):
    root = tmp_path / "images"
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(
                root / name / f"{i}.png"
            )
    return root


@pytest.mark.parametrize(
    ("target", "fault"),
    [("safetensors.torch.save_file", _safetensors_full), ("torch.save", _full)],
)
def test_train_on_a_full_disk_names_the_file_and_reason(
    digits, tmp_path, monkeypatch, target, fault
):
    monkeypatch.setattr(target, fault)
    out = tmp_path / "model"
    status, stdout, err = _run(
        [
            "train",
            "--task",
            "classify",
            "--images",
            str(digits),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--val-split",
            "0.5",
            "--option",
            "size=12",
        ]
    )
    assert status == 1 and "Traceback" not in err and stdout == ""
    assert f": cannot write: {FULL}" in err and str(out / "checkpoint") in err, err
    assert _left(out) == []  # no half-written temporary, no weights without a card


def _bundle(path, weights: bytes) -> None:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("weights.safetensors", weights)
        bundle.writestr("card.json", json.dumps(ModelCard(task="segment", name="m").to_json()))


def test_a_refused_bundle_import_leaves_no_folder(tmp_path):
    _bundle(tmp_path / "bad.zip", b"not safetensors at all")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    with pytest.raises(ValueError, match=r"bad.zip: weights.safetensors refused") as caught:
        ModelRegistry(workspace).import_bundle(tmp_path / "bad.zip")
    assert TEMPORARY_PREFIX not in str(caught.value)
    assert list(workspace.iterdir()) == []


def test_a_bundle_import_on_a_full_disk_leaves_no_folder(tmp_path, monkeypatch):
    from safetensors.torch import save

    _bundle(tmp_path / "good.zip", save({}))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    monkeypatch.setattr("medgui.ml.models.registry._extract", _full)
    with pytest.raises(ValueError, match=f"v1/weights.safetensors: cannot write: {FULL}"):
        ModelRegistry(workspace).import_bundle(tmp_path / "good.zip")
    assert list(workspace.iterdir()) == []
