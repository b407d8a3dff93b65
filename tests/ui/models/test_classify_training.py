"""Classification in the window, end to end: slices of two generated series (two patients, so
the split has a validation side) are tagged with Alt+1 / Alt+2, a classifier is trained from
the Training panel on those tags (live curves, a new "classify" version listed in the Models
dock with its task), and "Classify this slice" shows the class probabilities and the Grad-CAM
heat map over the axial view."""

from __future__ import annotations

import numpy as np
import pytest
from label_testing import ALT, K, ScriptedDialogs, open_labelled
from PySide6.QtCore import Qt
from training_testing import TRAIN_TIMEOUT_MS, classify_on_show

from medgui.core import Volume
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.workers.infer_worker import _versions

pytest.importorskip("torch")
pytest.importorskip("monai")

_LEFT_BUTTON = Qt.MouseButton.LeftButton


def _series(folder, patient_id: str, seed: int):
    """12 slices of 40 × 40: slices 0-5 a dark disc ("normal"), 6-11 a bright one."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:40, :40]
    disc = (y - 20) ** 2 + (x - 20) ** 2 < 12**2
    array = np.full((12, 40, 40), -1000, np.int16)
    for k in range(12):
        array[k][disc] = 20 if k < 6 else 400
    array += rng.integers(-5, 5, array.shape, dtype=np.int16)
    info = SeriesInfo(
        patient_name=f"Class^{patient_id}",
        patient_id=patient_id,
        series_description=f"Tags {patient_id}",
    )
    write_dicom_series(
        Volume(array, spacing_mm=(1.0, 1.0, 3.0), metadata={"Modality": "CT"}), folder, info=info
    )
    return folder


def _tag_slices(qtbot, lab) -> None:
    """Alt+1 on slices 0-2 and Alt+2 on slices 6-8 (each key moves to the next image)."""
    plane, view = lab.plane, lab.view
    lab.state.set_slice(plane, 0)
    for _ in range(3):
        qtbot.keyClick(view, K.Key_1, ALT)
    lab.state.set_slice(plane, 6)
    for _ in range(3):
        qtbot.keyClick(view, K.Key_2, ALT)
    tags = lab.session.tags
    assert {k: tags.get(k) for k in (0, 1, 2, 6, 7, 8)} == {
        **dict.fromkeys((0, 1, 2), "normal"),
        **dict.fromkeys((6, 7, 8), "abnormal"),
    }


@pytest.mark.slow
def test_train_a_classifier_on_tags_and_classify(qtbot, window, wait_idle, tmp_path, monkeypatch):
    assert window.labels.set_workspace(tmp_path / "workspace")
    dialogs = ScriptedDialogs()
    first = _series(tmp_path / "p1", "CLS-1", 1)
    second = _series(tmp_path / "p2", "CLS-2", 2)
    lab = open_labelled(qtbot, window, first, wait_idle, dialogs)
    _tag_slices(qtbot, lab)
    saved = []
    window.labels.autosave.saved.connect(lambda key, explicit, _f: saved.append((key, explicit)))
    window.labels.actions.actions["save_labels"].trigger()  # training reads saved work
    qtbot.waitUntil(lambda: (lab.session.key, True) in saved, timeout=10_000)
    lab = open_labelled(qtbot, window, second, wait_idle, dialogs)
    assert "CLS-2" in window.windowTitle()
    _tag_slices(qtbot, lab)

    training = window.training
    panel = training.panel
    window.menu_actions["training_dock"].trigger()
    panel.task.setCurrentIndex(panel.task.findData("classify"))
    assert panel.model.currentData() == "small_cnn"
    assert panel.metric_plot.plotItem.titleLabel.text == "Validation AUC / accuracy"
    panel.epochs.setValue(2)
    panel.batch_size.setValue(4)
    panel.augment.setChecked(False)
    panel.options.setText('{"size": 32}')
    points_after_each_epoch = []
    epoch_done = panel.on_epoch_done

    def spy(event) -> None:
        epoch_done(event)
        points_after_each_epoch.append(panel.curve_points())

    monkeypatch.setattr(panel, "on_epoch_done", spy)
    qtbot.mouseClick(panel.start_button, _LEFT_BUTTON)
    assert training.training
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    log = panel.log.toPlainText()
    assert "training failed" not in log, log
    # The curves grew by a point after each epoch, while training ran.
    assert [p["train_loss"] for p in points_after_each_epoch] == [1, 2]
    assert panel.curve_points() == {"train_loss": 2, "metric": 2}  # loss and AUC per epoch
    assert "classify/v1" in log

    # The registry holds the classifier, active; the Models dock lists it with its task.
    root = training.workspace_root
    (version,) = _versions(root, "classify")
    assert version.active and version.summary["task"] == "classify"
    assert _versions(root, "segment") == []
    window.menu_actions["models_dock"].trigger()
    models = training.model_panel
    qtbot.waitUntil(lambda: len(models.versions) == 1, timeout=10_000)
    assert models.table.item(0, 0).text() == "classify/v1 (active)"
    assert models.table.item(0, 1).text() == "classify"

    # Classify the slice on show: probabilities of the tagged classes, and the heat map.
    item = classify_on_show(qtbot, training.classifier, ["normal", "abnormal"])
    assert item.pixels.shape == (40, 40)
