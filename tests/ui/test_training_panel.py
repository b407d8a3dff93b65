"""Training in the window: the Training dock trains on the workspace's saved labels with live
curves and a new registry version, the model runs on the series as a proposal layer, Accept all
is one undoable edit, and Cancel stops a run cleanly."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_label_support import ScriptedDialogs, open_labelled

from medgui.core.reformat import Plane
from medgui.workers.infer_worker import _versions

pytest.importorskip("torch")
pytest.importorskip("monai")

# A network and window small enough that an epoch takes a second or two on a CPU.
TINY_OPTIONS = '{"patch_size": 64, "channels": [8, 16], "res_units": 1}'
TRAIN_TIMEOUT_MS = 180_000
_LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def labelled_demo(qtbot, window, demo_study, wait_idle, tmp_path):
    """The demo CT open with its labels imported, in a workspace under tmp_path."""
    dialogs = ScriptedDialogs()
    assert window.labels.set_workspace(tmp_path / "workspace")
    lab = open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, dialogs)
    window.labels.files.import_labels(demo_study.labels_path)
    qtbot.waitUntil(lambda: lab.session.labelmap.layers[0].any(), timeout=20_000)
    assert not dialogs.warnings
    return lab


def _panel_train(qtbot, training, epochs: int) -> None:
    panel = training.panel
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(16)
    panel.augment.setChecked(False)
    panel.options.setText(TINY_OPTIONS)
    qtbot.mouseClick(panel.start_button, _LEFT)
    assert training.training


def test_train_run_accept_undo(qtbot, window, labelled_demo):
    training = window.training
    window.menu_actions["training_dock"].trigger()
    assert training.train_dock.isVisible()
    shown = [training.panel.labels.item(i).text() for i in range(training.panel.labels.count())]
    table = labelled_demo.session.labelmap.table.labels
    assert shown == [f"{lb.value} {lb.name}" for lb in table] and len(shown) > 1
    root = training.workspace_root
    _panel_train(qtbot, training, epochs=2)
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
    qtbot.mouseClick(panel.run_button, _LEFT)
    qtbot.waitUntil(lambda: training.proposal.proposal is not None, timeout=60_000)
    qtbot.waitUntil(lambda: training.job is None)
    layer = training.layers[Plane.AXIAL]
    layer.flush()
    layer.render()
    assert layer.pixels is not None and (layer.pixels >> 24).any()
    assert panel.accept_all_button.isEnabled()

    session = labelled_demo.session
    before = session.labelmap.layers[0].copy()
    qtbot.mouseClick(panel.accept_all_button, _LEFT)
    assert training.proposal.proposal is None
    after = session.labelmap.layers[0]
    assert not np.array_equal(before, after)
    window.labels.actions.actions["undo"].trigger()
    assert np.array_equal(session.labelmap.layers[0], before)
    training.layers[Plane.AXIAL].render()
    assert training.layers[Plane.AXIAL].pixels is None  # rejected with the accept

    # Next most uncertain slice: ranks with the active model and jumps there.
    qtbot.mouseClick(panel.uncertain_button, _LEFT)
    qtbot.waitUntil(lambda: training.job is None and bool(training.visited), timeout=60_000)
    (k,) = training.visited
    assert labelled_demo.state.slice_index(Plane.AXIAL) == k


def test_cancel_stops_training(qtbot, window, labelled_demo):
    training = window.training
    _panel_train(qtbot, training, epochs=500)
    qtbot.waitUntil(lambda: "batch" in training.panel.epoch_label.text(), timeout=60_000)
    qtbot.mouseClick(training.panel.cancel_button, _LEFT)
    qtbot.waitUntil(lambda: not training.training, timeout=30_000)
    log = training.panel.log.toPlainText()
    assert "training failed" not in log, log
    assert training.panel.start_button.isEnabled()
    assert _versions(training.workspace_root, "segment") == []  # nothing saved when cancelled
