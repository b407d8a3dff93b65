"""A classifier trained in the app ends up in its report: trained through the training
worker's own code (so saved where the app saves it), run on a slice through the Models dock's
worker code, and reported through the report worker's code; the report names the model and
its version and shows its validation metrics, the slice's class probabilities and Grad-CAM."""

from __future__ import annotations

import re

import numpy as np
import pytest
from report_testing import poppler

from medgui.core import Volume, load_volume
from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.annotations.store import series_key
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.workspace.store import SeriesWork, Workspace

pytest.importorskip("torch")
pytest.importorskip("monai")
CLASSES = ["normal", "abnormal"]


def _tagged_series(root, workspace: Workspace, patient: str, seed: int) -> Volume:
    """12 slices of 40 x 40: a dark disc on slices 0-5 ("normal"), a bright one on 6-11
    ("abnormal"); slices 0-2 and 6-8 tagged, saved in `workspace` as the app saves them."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:40, :40]
    disc = (y - 20) ** 2 + (x - 20) ** 2 < 12**2
    array = np.full((12, 40, 40), -1000, np.int16)
    for k in range(12):
        array[k][disc] = 20 if k < 6 else 400
    array += rng.integers(-5, 5, array.shape, dtype=np.int16)
    folder = root / patient
    info = SeriesInfo(patient_name=f"Class^{patient}", patient_id=patient)
    write_dicom_series(Volume(array, (1.0, 1.0, 3.0), metadata={"Modality": "CT"}), folder, info)
    volume = load_volume(folder)
    tags = {k: CLASSES[0] for k in (0, 1, 2)} | {k: CLASSES[1] for k in (6, 7, 8)}
    annotations = SeriesAnnotations(tags=ClassTagSet(CLASSES, 12, image_tags=tags))
    workspace.save_series(
        SeriesWork(
            key=series_key(volume),
            uid=str(volume.metadata.get("SeriesInstanceUID", "")),
            source_paths=[str(folder)],
            annotations=annotations.to_json(),
        )
    )
    return volume


def _train_as_the_app_does(root) -> str:
    """Run the training worker's generator to its end; the registry version it saved."""
    from medgui.workers.train_worker import TrainRequest, _train

    config = {"task": "classify", "model": "small_cnn", "epochs": 2, "batch_size": 4,
              "device": "cpu", "augment": False, "options": {"size": 32}}  # fmt: skip
    run = _train(TrainRequest(config, root))
    try:
        while True:
            next(run)
    except StopIteration as done:
        return done.value.version_id


@pytest.mark.slow
def test_a_classifier_trained_in_the_app_is_in_the_report(tmp_path):
    from medgui.reports.model_section import ModelRun
    from medgui.reports.write import write_report
    from medgui.ui.reporting.report_workbench import CLASSIFIER_NAME
    from medgui.workers.infer_worker import _classify_slice
    from medgui.workers.report_worker import ReportRequest, _build

    root = tmp_path / "workspace"
    workspace = Workspace(root)
    volume = _tagged_series(tmp_path, workspace, "CLS-1", 1)
    _tagged_series(tmp_path, workspace, "CLS-2", 2)
    assert _train_as_the_app_does(root) == "classify/v1"
    probabilities, heat = _classify_slice(root, volume, 7)  # "Classify this slice"
    run = ModelRun(CLASSIFIER_NAME, dict(probabilities), slice_index=7, heat_map=heat)
    work = workspace.load_series(series_key(volume))
    report = _build(ReportRequest(volume, work, root, runs=[run]))

    assert report.notes == []
    (section,) = report.models
    assert section.title == "classify v1 (small_cnn)"
    assert section.metrics is not None and section.metrics.title.startswith("Validation metrics")
    metrics = dict(section.metrics.rows)
    assert {"auc", "accuracy"} <= set(metrics)
    assert section.probabilities is not None
    assert dict(section.probabilities.rows) == {c: f"{probabilities[c]:.3f}" for c in CLASSES}
    assert section.figure is not None and section.figure.caption.startswith("Grad-CAM")
    html = write_report(report, tmp_path / "report.html").read_text(encoding="utf-8")
    for text in ("classify v1 (small_cnn)", "<td>auc</td>", "Class probabilities (axial slice 8)",
                 "Grad-CAM heat map over axial slice 8 of 12"):  # fmt: skip
        assert text in html
    pdf = write_report(report, tmp_path / "report.pdf")
    text = re.sub(r"[ \t]+", " ", poppler("pdftotext", "-layout", str(pdf), "-"))
    assert "classify v1 (small_cnn)" in text and f"auc {metrics['auc']}" in text
    assert f"abnormal {probabilities['abnormal']:.3f}" in text
    assert "Grad-CAM heat map over axial slice 8 of 12" in text


def test_the_model_section_says_how_many_tags_came_from_report_text(card):
    from medgui.reports.model_section import card_section

    assert "Tags from report text" not in [f.name for f in card_section(card).facts]
    card.extra["tags_from_text"] = 12
    facts = {f.name: f.value for f in card_section(card).facts}
    assert facts["Tags from report text"] == "12"
