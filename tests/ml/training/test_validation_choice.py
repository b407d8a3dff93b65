"""Data of one patient (or one series) cannot be validated by patient: the split says why and
what to choose, training refuses until the user chooses, and "none" trains explicitly, keeping
the last epoch and recording `validation: none` in the card and the CLI's JSON."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace

import numpy as np
import pytest
from ml_testing import disc_case, tiny_config, write_folders

from medgui.cli.ml import main
from medgui.ml.classification.task import ClassificationTask
from medgui.ml.models.task import TrainConfig
from medgui.ml.segmentation.data import load_cases, split_by_group
from medgui.ml.segmentation.task import SegmentationTask
from medgui.ml.training.trainer import Finished, Message, Trainer

TINY = ["--option", "channels=[8,16]", "--option", "res_units=1", "--option", "patch_size=32"]


def _one_patient(n: int = 3) -> list:
    """`n` series of the same patient, as (id, Volume, LabelMap) sources."""
    cases = []
    for i in range(n):
        volume, labels = disc_case(i, shape=(2, 32, 32))
        volume = replace(volume, metadata={**volume.metadata, "PatientID": "P-1"})
        cases.append((f"s{i}", volume, labels))
    return cases


def test_split_by_group_says_why_and_the_choices_work():
    from medgui.ml.segmentation.data import find_cases

    raw, problems = find_cases(_one_patient())
    cases = load_cases(raw, problems)
    train, val, reason = split_by_group(cases, 0.34, 0)
    assert val == [] and "one patient" in reason and "by series" in reason
    assert "without validation" in reason
    train, val, reason = split_by_group(cases, 0.34, 0, "series")
    assert reason == "" and len(val) == 1 and len(train) == 2
    train, val, reason = split_by_group(cases, 0.34, 0, "none")
    assert reason == "" and val == [] and len(train) == 3
    _, _, reason = split_by_group(cases[:1], 0.34, 0, "series")
    assert "only one labelled series" in reason and "by series" not in reason


def test_segmentation_refuses_one_patient_until_the_user_chooses():
    with pytest.raises(ValueError, match="one patient"):
        SegmentationTask().make_split(tiny_config(), _one_patient())
    config = tiny_config(validation="none", epochs=2, options={"channels": [8, 16]})
    events = list(Trainer(SegmentationTask(), config).run(_one_patient(2)))
    warnings = [e.text for e in events if isinstance(e, Message)]
    assert any("without validation" in text for text in warnings)
    result = events[-1].result
    assert isinstance(events[-1], Finished) and result.best_epoch == 2  # the last, not a loss
    card = result.model.card
    assert card.split["info"]["validation"] == "none" and card.split["val"] == []
    assert card.hyperparameters["validation"] == "none"


def test_classification_offers_the_same_choices(tmp_path):
    from medgui.core.dicom.write import SeriesInfo, write_dicom_series
    from medgui.core.image.volume import Volume

    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        for i in range(2):  # every image is of one patient
            hu = rng.normal(0, 50, (1, 12, 12)).astype(np.int16)
            info = SeriesInfo(patient_id="P-1")
            write_dicom_series(Volume(hu), tmp_path / name / f"s{i}", info, modality="CT")
    task = ClassificationTask()
    config = TrainConfig(task="classify", val_split=0.5, options={"size": 12})
    with pytest.raises(ValueError, match="one patient.*by series"):
        task.make_split(config, tmp_path)
    split = task.make_split(replace(config, validation="series"), tmp_path)
    assert len(split.val) and len(split.train)
    split = task.make_split(replace(config, validation="none", val_split=0), tmp_path)
    assert len(split.val) == 0 and len(split.train) == 4
    assert split.info["validation"] == "none"


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def test_cli_says_why_and_records_the_choice(tmp_path):
    images, labels = write_folders(tmp_path / "data", n=1, shape=(2, 32, 32))
    common = [
        "train",
        "--images",
        str(images),
        "--labels",
        str(labels),
        "--device",
        "cpu",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "model"),
        *TINY,
    ]
    status, out, err = _run(common)
    assert status == 1 and "only one labelled series" in err and "without validation" in err
    assert out == ""
    status, out, err = _run([*common, "--validation", "none"])
    assert status == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["validation"] == "none" and summary["best_epoch"] == 2
    assert "training without validation" in err
    card = json.loads((tmp_path / "model" / "card.json").read_text())
    assert card["split"]["info"]["validation"] == "none"
