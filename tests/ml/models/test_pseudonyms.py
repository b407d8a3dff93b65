"""Patient IDs stay on this machine: the card and an exported bundle name training patients
by keyed hash, the key and the hash → ID table stay in the workspace, and the same data splits
the same way again (resume, retrain)."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile

import numpy as np
from ml_testing import tiny_config

from medgui.cli.ml import main
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume
from medgui.ml.models.card import read_card
from medgui.ml.models.pseudonyms import IDS_FILE, KEY_FILE, key_folder, pseudonymise
from medgui.ml.models.registry import ModelRegistry
from medgui.ml.models.safe_load import load_safetensors

PATIENTS = ("PAT-SECRET-1", "PAT-SECRET-2", "PAT-SECRET-3", "PAT-SECRET-4")


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def _dicom_classes(root) -> None:
    rng = np.random.default_rng(0)
    for n, patient in enumerate(PATIENTS):
        name = "dark" if n % 2 else "bright"
        hu = rng.normal(600 if name == "bright" else -600, 50, (1, 12, 12)).astype(np.int16)
        info = SeriesInfo(patient_id=patient)
        write_dicom_series(Volume(hu), root / name / patient, info, modality="CT")


def test_card_and_bundle_hold_no_patient_id_and_resume_keeps_the_split(tmp_path):
    _dicom_classes(tmp_path / "images")
    out = tmp_path / "model"
    common = [
        "train",
        "--task",
        "classify",
        "--images",
        str(tmp_path / "images"),
        "--out",
        str(out),
        "--device",
        "cpu",
        "--val-split",
        "0.5",
        "--option",
        "size=12",
    ]
    status, _, err = _run([*common, "--epochs", "1"])
    assert status == 0, err
    card_text = (out / "card.json").read_text()
    assert not any(p in card_text for p in PATIENTS)
    card = read_card(out / "card.json")
    groups = card.split["train"] + card.split["val"]
    assert len(groups) == 4 and all(g.startswith("patient:") for g in groups)
    # The key and the table are local: in the checkpoint folder, not in the model's files.
    local = out / "checkpoint"
    table = json.loads((local / IDS_FILE).read_text())
    assert sorted(table.values()) == sorted(PATIENTS)
    assert {f"patient:{h}" for h in table} == set(groups)
    key = (local / KEY_FILE).read_text().strip()
    # Resume: the same hashes, so the checkpoint's split is recognised.
    status, _, err = _run([*common, "--epochs", "2", "--resume"])
    assert status == 0 and "differ" not in err, err
    assert read_card(out / "card.json").split["train"] == card.split["train"]

    registry = ModelRegistry(tmp_path / "workspace")
    version = registry.save_version("m", load_safetensors(out / "weights.safetensors"), card)
    bundle = registry.export_bundle(version, tmp_path / "m.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        content = b"".join(archive.read(n) for n in names)
    assert sorted(names) == ["card.json", "weights.safetensors"]
    assert not any(p.encode() in content for p in PATIENTS) and key.encode() not in content


def test_segmentation_groups_are_hashed_with_the_workspace_key(tmp_path, disc_cases):
    from dataclasses import replace

    from medgui.ml.segmentation.task import SegmentationTask

    cases = [
        (i, replace(v, metadata={**v.metadata, "PatientID": f"PAT-SECRET-{n % 3}"}), m)
        for n, (i, v, m) in enumerate(disc_cases)
    ]
    config = tiny_config(out_dir=str(tmp_path / "model"))
    first = SegmentationTask().make_split(config, cases)
    again = SegmentationTask().make_split(config, cases)
    groups = first.info["train_groups"] + first.info["val_groups"]
    assert len(groups) == 3 and not any("SECRET" in g for g in groups)
    assert again.info["train_groups"] == first.info["train_groups"]
    other = pseudonymise(["patient:PAT-SECRET-0"], tmp_path / "elsewhere")
    assert other["patient:PAT-SECRET-0"] not in groups  # another key, another name
    assert key_folder({"images": "x"}, str(tmp_path / "model")) == tmp_path / "model/checkpoint"
