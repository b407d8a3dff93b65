"""The Training and Models docks' remaining controls on the real window: Resume continues a
cancelled run from its checkpoint, Set active chooses the version "Run model" uses, Accept
label takes only that label's voxels as one undoable edit, and cancelling a running inference
leaves no proposal and the window usable."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from training_testing import TRAIN_TIMEOUT_MS, panel_train

from medgui.core.workspace.audit import read_audit
from medgui.ml.models.registry import ModelRegistry
from medgui.workers.infer_worker import _versions
from medgui.workers.train_worker import can_resume

pytest.importorskip("torch")
pytest.importorskip("monai")

_LEFT = Qt.MouseButton.LeftButton
INFER_TIMEOUT_MS = 180_000  # the demo CT on a busy CPU


def _epochs_logged(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^epoch (\d+):", text, flags=re.MULTILINE)]


def _train_cancel_resume(qtbot, training) -> int:
    """Train until an epoch is done, cancel, then Resume to one epoch more; returns the
    epoch the cancelled run had completed."""
    panel = training.panel
    panel_train(qtbot, training, epochs=500)
    qtbot.waitUntil(lambda: bool(_epochs_logged(panel.log.toPlainText())), timeout=120_000)
    qtbot.mouseClick(panel.cancel_button, _LEFT)
    qtbot.waitUntil(lambda: not training.training, timeout=60_000)
    assert _versions(training.workspace_root, "segment") == []  # cancelled: no version
    assert can_resume(training.workspace_root, "segment") and panel.resume_button.isEnabled()
    done = max(h["epoch"] for h in panel.history)
    panel.epochs.setValue(done + 1)
    panel.log.clear()
    qtbot.mouseClick(panel.resume_button, _LEFT)
    assert training.training
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    return done


def _run_model(qtbot, training) -> None:
    panel = training.model_panel
    qtbot.mouseClick(panel.run_button, _LEFT)
    qtbot.waitUntil(lambda: training.proposal.proposal is not None, timeout=INFER_TIMEOUT_MS)
    qtbot.waitUntil(lambda: training.job is None)


@pytest.mark.slow
def test_resume_set_active_and_accept_label(qtbot, window, labelled_demo, tmp_path):
    training = window.training
    root = training.workspace_root
    done = _train_cancel_resume(qtbot, training)
    log = training.panel.log.toPlainText()
    assert "training failed" not in log, log
    # The resumed run went on from the checkpoint: only the next epoch, numbered on.
    assert f"resuming after epoch {done}" in log
    assert _epochs_logged(log) == [done + 1]
    assert [h["epoch"] for h in training.panel.history] == list(range(1, done + 2))
    (v1,) = _versions(root, "segment")
    assert v1.active and v1.summary["epochs"] == done + 1

    # A second version (the first one's bundle imported back): not active yet.
    registry = ModelRegistry(root)
    bundle = registry.export_bundle(registry.version("segment", 1), tmp_path / "v1.zip")
    assert registry.import_bundle(bundle, "segment").id == "segment/v2"
    models = training.model_panel
    window.menu_actions["models_dock"].trigger()
    training.refresh_versions()
    qtbot.waitUntil(lambda: len(models.versions) == 2, timeout=10_000)
    assert [models.table.item(r, 0).text() for r in range(2)] == [
        "segment/v1 (active)",
        "segment/v2",
    ]
    models.threshold.setValue(1)  # 0.01: a barely trained model still proposes something
    _run_model(qtbot, training)
    assert models.status.text() == "Proposal of segment v1"
    training.reject()

    models.table.selectRow(1)
    assert '"version": "segment/v2"' in models.card.toPlainText()
    assert models.set_active_button.isEnabled()
    qtbot.mouseClick(models.set_active_button, _LEFT)
    qtbot.waitUntil(lambda: models.table.item(1, 0).text() == "segment/v2 (active)", timeout=10_000)
    assert models.table.item(0, 0).text() == "segment/v1"
    assert registry.active("segment").number == 2
    assert not models.set_active_button.isEnabled()  # v2, still selected, is the active one
    _run_model(qtbot, training)
    assert models.status.text() == "Proposal of segment v2"
    assert training.proposal.proposal.model["version"] == 2

    # Accept label: that label's proposed voxels only, one undoable edit.
    session = labelled_demo.session
    proposal, threshold = training.proposal.proposal, training.proposal.threshold
    values = [models.label_choice.itemData(i) for i in range(models.label_choice.count())]
    counts = {v: int((proposal.to_labelmap(threshold, [v]).layers[0] > 0).sum()) for v in values}
    value = max(counts, key=counts.get)
    proposed = proposal.to_labelmap(threshold, [value]).layers[0] > 0
    before = session.labelmap.layers[0].copy()
    everything = proposal.to_labelmap(threshold).layers[0]
    # Accept all would change voxels of other labels too: the test tells the two apart.
    assert counts[value] > 0 and np.any((everything > 0) & (everything != before) & ~proposed)
    models.label_choice.setCurrentIndex(values.index(value))
    qtbot.mouseClick(models.accept_label_button, _LEFT)
    qtbot.waitUntil(lambda: not window.labels.jobs.busy)
    after = session.labelmap.layers[0]
    assert training.proposal.proposal is None
    assert np.all(after[proposed] == value)
    assert np.array_equal(after[~proposed], before[~proposed])  # nothing else touched
    assert not np.array_equal(after, before)
    window.labels.actions.actions["undo"].trigger()
    assert np.array_equal(session.labelmap.layers[0], before)  # one undo takes it all back

    # The audit log has the training (once: the cancelled run made no version), the bundle
    # round trip and both runs, with the version each used.
    window.audit.flush()
    logged = [(e.action, e.details) for e in read_audit(root / "audit.jsonl").entries]
    models_logged = [
        (a, d.get("version") or d.get("model")) for a, d in logged if a != "series_opened"
    ]
    assert models_logged == [
        ("model_trained", "segment/v1"),
        ("model_exported", "segment/v1"),
        ("model_imported", "segment/v2"),
        ("model_run", "segment/v1"),
        ("model_run", "segment/v2"),
    ]


@pytest.mark.slow
def test_cancel_a_running_inference(qtbot, window, labelled_demo):
    training = window.training
    panel_train(qtbot, training, epochs=1)
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    assert "training failed" not in training.panel.log.toPlainText()
    models = training.model_panel
    window.menu_actions["models_dock"].trigger()
    reported = []

    def cancel_on_progress(done: int, total: int) -> None:
        reported.append((done, total))
        if len(reported) == 1:
            qtbot.mouseClick(models.cancel_button, _LEFT)

    qtbot.mouseClick(models.run_button, _LEFT)
    assert training.job is not None and models.cancel_button.isEnabled()
    training.job.progressed.connect(cancel_on_progress)
    qtbot.waitUntil(lambda: training.job is None, timeout=INFER_TIMEOUT_MS)
    assert reported and reported[-1][0] < reported[-1][1]  # stopped part-way
    assert training.proposal.proposal is None
    assert models.status.text() == "Cancelled"
    assert models.run_button.isEnabled() and not models.cancel_button.isEnabled()
    assert not models.accept_all_button.isEnabled()
    assert not models.progress.isVisible()
    # The window goes on: slices change, and the model runs again to the end.
    plane = labelled_demo.plane
    labelled_demo.state.set_slice(plane, 3)
    assert labelled_demo.state.slice_index(plane) == 3
    _run_model(qtbot, training)
    assert models.accept_all_button.isEnabled()
