"""The beat learning loop in the real main window, on a 5-minute synthetic WFDB record with V
beats: label the first 2 minutes, train from the Training dock (live curves, the model's beats
of the page on show drawn as ghosts after each epoch), Label the rest (a proposal of the beats
the labels lack), Accept (one undo step, saved), undo, redo; Cancel and Resume of a beats run;
Label the rest cancelled, and without a model."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import SimpleITK as sitk
from PySide6.QtCore import Qt
from signal_testing import synthetic_ecg, write_wfdb_record
from training_testing import LEFT, TRAIN_TIMEOUT_MS

from medgui.core.signals.beat_session import Beat
from medgui.core.signals.signal import Annotation
from medgui.core.workspace.beats import beats_path
from medgui.ml.signals.metrics import BeatCounts
from medgui.workers.infer_worker import _versions

pytest.importorskip("torch")

FS = 250.0
LABELLED_S = 120.0
TINY = '{"window_s": 4, "width": 8, "hidden": 16}'


@pytest.fixture
def holter(qtbot, window, wait_idle, tmp_path):
    """A 5-minute record (a V beat every 7) open in `window`, with no labels of its own; its
    first 2 minutes labelled through the session. Returns (window, the truth)."""
    assert window.labels.set_workspace(tmp_path / "ws")
    ecg = synthetic_ecg(300.0, FS, rr_s=0.8, ectopic=tuple(range(4, 1000, 7)), seed=3)
    header = write_wfdb_record(tmp_path, "holter", ecg)
    header.with_suffix(".atr").unlink()
    panel = window.signals.panel
    window.open_path(header)
    qtbot.waitUntil(lambda: panel.view is not None and bool(panel.view.cells), timeout=15_000)
    wait_idle(window)
    first = [
        Annotation(s, y) for s, y in zip(ecg.beats, ecg.symbols, strict=True)
        if s < LABELLED_S * FS
    ]  # fmt: skip
    panel.session.replace_annotations(first, "Label the first 2 minutes")
    assert {"N", "V"} <= {a.symbol for a in first}
    return window, ecg


def replace_ns(ns: SimpleNamespace, **changes) -> SimpleNamespace:
    return SimpleNamespace(**(vars(ns) | changes))


def _train(qtbot, window, epochs: int, resume: bool = False) -> None:
    training = window.training
    panel = training.panel
    window.menu_actions["training_dock"].trigger()
    assert panel.task.currentData() == "beats"  # a record on show: its beats are what trains
    panel.validation.setCurrentIndex(panel.validation.findData("series"))  # split by time
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(8)
    panel.learning_rate.setValue(0.005)
    panel.augment.setChecked(False)
    panel.options.setText(TINY)
    qtbot.mouseClick(panel.resume_button if resume else panel.start_button, LEFT)
    assert training.training


def _scores(truth, samples, symbols, after_s: float) -> dict[str, float]:
    keep = [(s, y) for s, y in zip(truth.beats, truth.symbols, strict=True) if s >= after_s * FS]
    counts = BeatCounts()
    counts.add(np.array([s for s, _ in keep]), [y for _, y in keep], np.asarray(samples),
               list(symbols), FS)  # fmt: skip
    return counts.metrics()


@pytest.mark.slow
def test_label_train_label_the_rest_accept_undo_redo(qtbot, holter, artifacts):
    window, truth = holter
    training, learning = window.training, window.beat_learning
    view, session = window.signals.panel.view, window.signals.panel.session
    labelled = session.beats
    saved = json.loads(beats_path(training.workspace_root, session.signal).read_text())
    assert len(saved["beats"]) == len(labelled)  # the labels train from the workspace
    view.scroll_to(200.0)  # a page the labels do not cover
    _train(qtbot, window, epochs=3)

    # After each epoch the model of the moment labels the page on show: grey ghost marks.
    marks = learning.marks
    qtbot.waitUntil(lambda: any(k == "preview" for k, *_ in marks.drawn), timeout=60_000)
    start, end = training.request.preview_samples
    assert start == 200 * FS
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    log = training.panel.log.toPlainText()
    assert "training failed" not in log, log
    assert training.panel.curve_points() == {"train_loss": 3, "metric": 3}
    ghosts = {(s, y) for k, s, y in marks.drawn if k == "preview"}  # on each row drawn
    assert view.grab().save(str(artifacts / "beat_preview.png"))
    page = [s for s in truth.beats if start <= s < end]
    assert len(ghosts) == pytest.approx(len(page), abs=1)
    versions = _versions(training.workspace_root, "beats")
    assert [v.number for v in versions] == [1] and versions[0].active

    # Label the rest: the whole record, in the Models dock's job (Cancel leaves nothing).
    window.menu_actions["beats_rest"].trigger()
    assert training.job is not None
    qtbot.mouseClick(training.model_panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: training.job is None, timeout=30_000)
    assert learning.proposal is None and training.model_panel.status.text() == "Cancelled"
    window.menu_actions["beats_rest"].trigger()
    qtbot.waitUntil(lambda: learning.proposal is not None, timeout=60_000)
    qtbot.waitUntil(lambda: training.job is None)
    proposal = learning.proposal
    assert proposal.model == "beats/v1"
    assert min(b.sample for b in proposal.beats) > LABELLED_S * FS - 0.15 * FS
    drawn = {(s, y) for k, s, y in marks.drawn if k == "proposal"}
    assert drawn and not any(k == "preview" for k, *_ in marks.drawn)
    assert all(start <= s < end for s, _ in drawn)
    assert "proposes" in training.model_panel.status.text()
    assert view.grab().save(str(artifacts / "beat_proposal.png"))
    scores = _scores(truth, [b.sample for b in proposal.beats],
                     [b.symbol for b in proposal.beats], LABELLED_S + 0.5)  # fmt: skip
    print("label the rest:", json.dumps({k: round(v, 4) for k, v in scores.items()}))
    assert scores["qrs_sensitivity"] > 0.9 and scores["qrs_ppv"] > 0.9, scores
    assert scores["f1_V"] > 0.8, scores

    # Accept: one undo step, saved; Ctrl+Z over the ECG takes it all back, Ctrl+Shift+Z redoes.
    window.menu_actions["accept_beats"].trigger()
    assert learning.proposal is None and not marks.drawn
    accepted = set(labelled) | set(proposal.beats)
    assert set(session.beats) == accepted
    assert len(json.loads(beats_path(training.workspace_root, session.signal).read_text())[
        "beats"]) == len(accepted)  # fmt: skip
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.beats == labelled
    qtbot.keyClick(
        view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert set(session.beats) == accepted
    assert Beat(proposal.beats[0].sample, proposal.beats[0].symbol) in session.beats


@pytest.mark.slow
def test_cancel_and_resume_a_beats_run(qtbot, holter):
    window, _truth = holter
    training = window.training
    _train(qtbot, window, epochs=500)
    qtbot.waitUntil(lambda: training.panel.curve_points()["train_loss"] >= 1, timeout=60_000)
    window.signals.panel.view.scroll_to(100.0)  # the next epoch's preview is of this page
    assert training.request.preview_samples[0] == 100 * FS
    qtbot.mouseClick(training.panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not training.training, timeout=30_000)
    assert _versions(training.workspace_root, "beats") == []  # nothing saved when cancelled
    assert training.panel.resume_button.isEnabled()  # the last complete epoch's checkpoint
    done = training.panel.curve_points()["train_loss"]
    _train(qtbot, window, epochs=done + 1, resume=True)
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    log = training.panel.log.toPlainText()
    assert f"resuming after epoch {done}" in log and "training failed" not in log, log
    assert training.panel.curve_points()["train_loss"] == done + 1
    assert [v.number for v in _versions(training.workspace_root, "beats")] == [1]


def test_label_the_rest_needs_a_model_and_a_record(qtbot, holter, wait_idle, tmp_path):
    window, _truth = holter
    training, learning = window.training, window.beat_learning
    # A record on show: the beat actions are not put aside with the image-only ones.
    assert learning.actions["beats_rest"].isEnabled()
    window.menu_actions["beats_rest"].trigger()
    qtbot.waitUntil(lambda: training.job is None, timeout=30_000)
    assert "train one first" in training.model_panel.status.text()
    assert learning.proposal is None and not learning.actions["accept_beats"].isEnabled()
    # A run that finds only labelled beats offers no empty proposal, and says so.
    session = learning.session
    labelled = [b.sample for b in session.beats]
    found = SimpleNamespace(source=session.signal.source, model="beats/v1", samples=labelled,
                            symbols=[b.symbol for b in session.beats])  # fmt: skip
    learning._on_found(found)
    assert learning.proposal is None and "finds no beat" in window.statusBar().currentMessage()
    # A real proposal's line goes with its record when an image series opens.
    learning._on_found(replace_ns(found, samples=[s + FS // 2 for s in labelled[-3:-1]],
                                  symbols=["N", "N"]))  # fmt: skip
    assert (
        learning.proposal is not None and "proposes 2 beats" in training.model_panel.status.text()
    )
    # An image series opens: the dock trains images again, and there is no record to label.
    image = tmp_path / "ct.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((4, 16, 16), np.int16)), str(image))
    window.open_path(image)
    qtbot.waitUntil(lambda: not window.signals.showing_record, timeout=15_000)
    wait_idle(window)
    assert training.panel.task.currentData() == "segment"
    assert not learning.actions["beats_rest"].isEnabled()
    assert learning.proposal is None and training.model_panel.status.text() == ""
