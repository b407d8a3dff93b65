"""Training in the window: the Training dock trains on the workspace's saved labels with live
curves and a new registry version, the model runs on the series as a proposal layer, Accept all
is one undoable edit, and Cancel stops a run cleanly."""

from __future__ import annotations

import numpy as np
import pytest
from training_testing import LEFT, TRAIN_TIMEOUT_MS, classify_on_show, panel_train

from medgui.core.image.reformat import Plane
from medgui.workers.infer_worker import _versions

pytest.importorskip("torch")
pytest.importorskip("monai")


def test_one_series_says_why_in_the_dock_and_none_trains(qtbot, window, labelled_demo):
    """Validation by patient cannot be made from one series: the dock itself says why and what
    to choose; choosing none trains and the dock says that nothing validates the model."""
    training = window.training
    window.menu_actions["training_dock"].trigger()
    panel = training.panel
    assert panel.validation.currentData() == "patient" and panel.warning.isHidden()
    panel_train(qtbot, training, epochs=1, validation="patient")
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    assert not panel.warning.isHidden()
    assert "only one labelled series" in panel.warning.text()
    assert "without validation" in panel.warning.text()
    assert _versions(training.workspace_root, "segment") == []
    panel_train(qtbot, training, epochs=1, validation="none")
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    assert "training failed" not in panel.log.toPlainText().split("training started")[-1]
    assert not panel.warning.isHidden() and "last epoch" in panel.warning.text()
    assert len(_versions(training.workspace_root, "segment")) == 1


@pytest.mark.slow
def test_train_run_accept_undo(qtbot, window, labelled_demo):
    training = window.training
    window.menu_actions["training_dock"].trigger()
    assert training.train_dock.isVisible()
    shown = [training.panel.labels.item(i).text() for i in range(training.panel.labels.count())]
    table = labelled_demo.session.labelmap.table.labels
    assert shown == [f"{lb.value} {lb.name}" for lb in table] and len(shown) > 1
    root = training.workspace_root
    panel_train(qtbot, training, epochs=2)
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    log = training.panel.log.toPlainText()
    assert "training failed" not in log, log
    assert training.panel.curve_points()["train_loss"] == 2
    assert "Epoch 2/2" in training.panel.epoch_label.text()
    assert training.panel.device_label.text().startswith("Device: ")
    versions = _versions(root, "segment")
    assert [v.number for v in versions] == [1] and versions[0].active
    qtbot.waitUntil(lambda: len(training.model_panel.versions) == 1, timeout=10_000)
    assert training.panel.resume_button.isEnabled()  # the checkpoint is there

    # Run the active model on the series: the proposal layer appears over the image.
    panel = training.model_panel
    panel.threshold.setValue(1)  # 0.01: a barely trained model still proposes something
    qtbot.mouseClick(panel.run_button, LEFT)
    qtbot.waitUntil(lambda: training.proposal.proposal is not None, timeout=60_000)
    qtbot.waitUntil(lambda: training.job is None)
    layer = training.layers[Plane.AXIAL]
    layer.flush()
    layer.render()
    assert layer.pixels is not None and (layer.pixels >> 24).any()
    assert panel.accept_all_button.isEnabled()

    session = labelled_demo.session
    before = session.labelmap.layers[0].copy()
    qtbot.mouseClick(panel.accept_all_button, LEFT)
    qtbot.waitUntil(lambda: not window.labels.jobs.busy)
    assert training.proposal.proposal is None
    after = session.labelmap.layers[0]
    assert not np.array_equal(before, after)
    window.labels.actions.actions["undo"].trigger()
    assert np.array_equal(session.labelmap.layers[0], before)
    training.layers[Plane.AXIAL].render()
    assert training.layers[Plane.AXIAL].pixels is None  # rejected with the accept

    # Next most uncertain slice: ranks with the active model and jumps there.
    qtbot.mouseClick(panel.uncertain_button, LEFT)
    qtbot.waitUntil(lambda: training.job is None and bool(training.visited), timeout=60_000)
    (k,) = training.visited
    assert labelled_demo.state.slice_index(Plane.AXIAL) == k


def test_cancel_stops_training(qtbot, window, labelled_demo):
    training = window.training
    panel_train(qtbot, training, epochs=500)
    qtbot.waitUntil(lambda: "batch" in training.panel.epoch_label.text(), timeout=60_000)
    qtbot.mouseClick(training.panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not training.training, timeout=30_000)
    log = training.panel.log.toPlainText()
    assert "training failed" not in log, log
    assert training.panel.start_button.isEnabled()
    assert _versions(training.workspace_root, "segment") == []  # nothing saved when cancelled


def _write_nifti(path, image: np.ndarray) -> str:
    import SimpleITK as sitk

    itk = sitk.GetImageFromArray(image.astype(np.int16))
    itk.SetSpacing((1.0, 1.0, 2.0))
    sitk.WriteImage(itk, str(path))
    return str(path)


def test_next_most_uncertain_series(qtbot, window, labelled_demo, wait_idle, tmp_path):
    """The unlabelled series of the scan are ranked by the model's entropy (the labelled demo
    is left out) and the action opens the most uncertain one."""
    from medgui.core import scan
    from medgui.ui.browser.series_ranking import scanned_candidates
    from medgui.workers.infer_worker import _uncertain_series

    training = window.training
    panel_train(qtbot, training, epochs=1)  # saves the demo's labels first
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    assert "training failed" not in training.panel.log.toPlainText()
    root = training.workspace_root
    demo = scanned_candidates(window)
    assert len(demo) == 1
    folder = tmp_path / "unlabelled"
    folder.mkdir()
    rng = np.random.default_rng(0)
    quiet = _write_nifti(folder / "quiet.nii.gz", np.full((10, 48, 48), -1000))
    noisy = _write_nifti(folder / "noisy.nii.gz", rng.normal(0, 600, (12, 56, 56)))
    ranking = _uncertain_series(root, "segment", [*demo, quiet, noisy], progress=lambda *_: None)
    assert sorted(str(c) for c, _ in ranking) == sorted([noisy, quiet])
    assert all(h >= 0 for _, h in ranking) and ranking[0][1] >= ranking[1][1]
    top = ranking[0][0]

    # The action ranks the series the window's scan lists and opens the most uncertain.
    window.scan = scan(folder)
    window.menu_actions["next_uncertain_series"].trigger()
    qtbot.waitUntil(lambda: bool(training.series_ranking.opened), timeout=60_000)
    wait_idle(window)
    ranked = training.series_ranking.ranking
    assert [s.path for s, _ in ranked] == [str(c) for c, _ in ranking]
    shape = (12, 56, 56) if top == noisy else (10, 48, 48)
    qtbot.waitUntil(lambda: tuple(window.view_layout.volume.shape_zyx) == shape, timeout=30_000)


def test_classify_slice_with_heat_map(qtbot, window, labelled_demo):
    """The active "classify" model gives the slice's class probabilities in the Models dock
    and its Grad-CAM heat map over the axial view; the checkbox hides the map."""
    from medgui.core.image.reformat import extract_slice, plane_for_axis
    from medgui.ml.classification.networks import build_classifier
    from medgui.ml.models.card import ModelCard
    from medgui.ml.models.registry import ModelRegistry

    training = window.training
    network = build_classifier("small_cnn", 1, 2, 64)  # untrained weights are enough
    card = ModelCard(
        task="classify",
        model="small_cnn",
        classes=["normal", "abnormal"],
        input_size=[64, 64],
        input_channels=1,
    )
    ModelRegistry(training.workspace_root).save_version("classify", network.state_dict(), card)

    window.menu_actions["models_dock"].trigger()
    classify = training.classifier
    item = classify_on_show(qtbot, classify, ["normal", "abnormal"])
    volume = window.view_layout.volume
    k = labelled_demo.state.slice_index(plane_for_axis(volume, 2))
    assert item.pixels.shape == extract_slice(volume, plane_for_axis(volume, 2), k).shape[:2]

    classify.panel.show_heat_map.setChecked(False)
    assert not item.isVisible()
    classify.panel.show_heat_map.setChecked(True)
    assert item.isVisible()


def test_the_form_offers_the_catalogues_tasks_and_networks(window):
    from medgui.workers.catalogue import task_entry, task_names

    panel = window.training.panel
    tasks = [panel.task.itemData(i) for i in range(panel.task.count())]
    assert tasks == [name for name in task_names() if task_entry(name).in_training_dock]
    assert "table" in task_names() and "table" not in tasks  # the Cases dock trains it
    panel.flip.setChecked(True)
    for index, name in enumerate(tasks):
        panel.task.setCurrentIndex(index)
        entry = task_entry(name)
        networks = [
            (panel.model.itemData(i), panel.model.itemText(i)) for i in range(panel.model.count())
        ]
        assert networks == [(n.name, n.label) for n in entry.networks]
        assert panel.config()["options"]["flip"] == entry.flip_on
        assert entry.curve_label in panel.metric_plot.plotItem.titleLabel.text


def test_each_training_event_reaches_the_dock(window):
    from medgui.ml.training.events import (
        BatchDone,
        DeviceChosen,
        EpochDone,
        EpochStarted,
        Message,
    )

    training, panel = window.training, window.training.panel
    panel.reset()
    training._on_update(DeviceChosen("cpu: no GPU found"))
    assert panel.device_label.text() == "Device: cpu: no GPU found"
    training._on_update(EpochStarted(epoch=1, epochs=3, batch_size=4, n_batches=5))
    assert panel.epoch_label.text() == "Epoch 1/3"
    training._on_update(BatchDone(epoch=1, batch=2, n_batches=5, loss=0.5, samples_per_s=1.0))
    assert panel.epoch_label.text() == "Epoch 1/3 · batch 2/5"
    metrics = {"train_loss": 0.4, "val_loss": 0.6, "dice": 0.3}
    training._on_update(EpochDone(epoch=1, metrics=metrics, lr=1e-3, best=True, eta_s=90.0))
    assert panel.curve_points() == {"train_loss": 1, "metric": 1}
    assert panel.eta_label.text() == "ETA 1:30"
    assert (
        "epoch 1: train_loss 0.4000, val_loss 0.6000, dice 0.3000 (best)" in panel.log.toPlainText()
    )
    training._on_update(Message("resuming after epoch 1"))
    assert panel.warning.isHidden() and "resuming after epoch 1" in panel.log.toPlainText()
    training._on_update(Message("no validation data", warning=True))
    assert not panel.warning.isHidden() and panel.warning.text() == "no validation data"
    with pytest.raises(TypeError, match="not a training event"):
        training._on_update({"kind": "epoch"})
