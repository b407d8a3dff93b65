"""Whole-volume label work runs in workers, from the real window: clean-up of the active label
(keep largest component, fill holes in 3-D, grow), interpolation (preview and accept),
accepting a model's two-label proposal and grow from seeds' edge strength. Each computation is
recorded on the thread it ran on (a timer-gap bound is too noisy on a shared CI machine; the
benchmark bench_label_jobs.py measures the gaps), the result is the core op's, it is one undo
step, progress shows in the status bar, Cancel drops the result and a result computed from
labels that changed meanwhile is dropped."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from label_testing import CTRL, K, expected, make_proposal, same_copy
from PySide6.QtCore import Qt

from medgui.core import Volume
from medgui.core.labels.cleanup import fill_holes, grow_shrink, keep_largest_component
from medgui.core.labels.interpolate import accept_interpolation, propose_interpolation
from medgui.core.labels.undo import EditHistory
from medgui.ui.labeling import actions as label_actions
from medgui.ui.models import training_workbench
from medgui.workers import label_workers, smart_label_workers

SHAPE = (40, 96, 96)


def _volume() -> Volume:
    z, y, x = np.mgrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    inside = (y - 48) ** 2 + (x - 48) ** 2 < 30**2
    array = np.where(inside, 60, -1000).astype(np.int16)
    meta = {"Modality": "CT", "SeriesInstanceUID": "1.2.3.99", "SeriesDescription": "jobs"}
    return Volume(array, spacing_mm=(1.0, 1.0, 2.0), metadata=meta)


@pytest.fixture
def lab(qtbot, window, dialogs):
    """The window with a 40×96×96 volume open (as the loader opens it) and its label session:
    here in place of the conftest's `lab` (the single series)."""
    dialogs.install(window.labels.dialogs)
    volume = _volume()
    window.jobs.volume_opened.emit(volume)
    window.jobs.volume_loaded.emit(volume, "jobs", "", 0.1)
    qtbot.waitUntil(lambda: window.labels.context.session is not None)
    qtbot.waitUntil(lambda: window.labels.context.session.volume is volume)
    return window


def _session(window):
    return window.labels.context.session


def _threads(monkeypatch, module, name: str) -> list[threading.Thread]:
    """Record the thread every call of `module.name` runs on."""
    calls: list[threading.Thread] = []
    original = getattr(module, name)

    def recorded(*args, **kwargs):
        calls.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)
    return calls


def _off_gui_thread(calls) -> bool:
    return bool(calls) and all(t is not threading.main_thread() for t in calls)


def _blobs(session) -> np.ndarray:
    """Label 1: a big ball with a hole, and a small separate blob."""
    layer = session.labelmap.layers[0]
    z, y, x = np.mgrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    ball = ((z - 20) * 2) ** 2 + (y - 48) ** 2 + (x - 48) ** 2 < 20**2
    hole = ((z - 20) * 2) ** 2 + (y - 48) ** 2 + (x - 48) ** 2 < 5**2
    layer[ball & ~hole] = 1
    layer[30:34, 80:86, 80:86] = 1
    return layer.copy()


def _run(qtbot, window, trigger) -> None:
    """Trigger a job: the status bar shows it while it runs; wait until it is over."""
    jobs = window.labels.jobs
    trigger()
    assert jobs.busy and jobs.progress.isVisible()
    qtbot.waitUntil(lambda: not jobs.busy, timeout=30_000)
    assert not jobs.progress.isVisible()


@pytest.mark.parametrize(
    "action, op, args, description",
    [
        ("keep_largest", keep_largest_component, (), "Keep largest component"),
        ("fill_holes", fill_holes, (), "Fill holes"),
        ("grow", grow_shrink, (2.0,), "Grow 2 mm"),
    ],
)
def test_clean_up_runs_in_a_worker_as_one_undo_step(
    qtbot, lab, dialogs, monkeypatch, action, op, args, description
):
    session = _session(lab)
    before = _blobs(session)
    start = same_copy(session.labelmap)
    want = expected(start, op, 1, *args, start=start).layers[0]
    assert not np.array_equal(want, before)
    calls = _threads(monkeypatch, label_actions, op.__name__)
    dialogs.numbers = list(args)
    _run(qtbot, lab, lab.labels.actions.actions[action].trigger)
    assert _off_gui_thread(calls)
    assert np.array_equal(session.labelmap.layers[0], want)
    assert session.history.undo_description == description
    session.undo()
    assert np.array_equal(session.labelmap.layers[0], before)
    session.redo()
    assert np.array_equal(session.labelmap.layers[0], want)


def test_interpolation_previews_and_accepts_in_workers(qtbot, lab, monkeypatch):
    session = _session(lab)
    layer = session.labelmap.layers[0]
    layer[2, 30:60, 30:60] = 1
    layer[37, 40:70, 40:66] = 1
    before = layer.copy()
    state = lab.labels.context.state
    plane = state.active_plane
    proposal = propose_interpolation(same_copy(session.labelmap), plane, 0, [1])
    want = same_copy(session.labelmap)
    accept_interpolation(want, EditHistory(), proposal)
    proposing = _threads(monkeypatch, label_workers, "propose_interpolation")
    accepting = _threads(monkeypatch, label_actions, "accept_interpolation")
    view = lab.view_layout.views[plane]
    _run(qtbot, lab, lambda: qtbot.keyClick(view, K.Key_I, CTRL))
    assert _off_gui_thread(proposing)
    assert session.proposal is not None and np.array_equal(layer, before)
    assert session.proposal.filled == proposal.filled
    _run(qtbot, lab, lambda: qtbot.keyClick(view, K.Key_Return, CTRL))
    assert _off_gui_thread(accepting)
    assert session.proposal is None
    assert np.array_equal(session.labelmap.layers[0], want.layers[0])
    assert session.undo() == "Interpolate slices"
    assert np.array_equal(session.labelmap.layers[0], before)


def test_accepting_a_two_label_proposal_runs_in_a_worker(qtbot, lab, monkeypatch):
    session, training = _session(lab), lab.training
    first = make_proposal(session, np.s_[5:30, 20:50, 20:50], 4, "Liver")
    second = make_proposal(session, np.s_[10:35, 55:80, 50:80], 5, "Spleen")
    first.probabilities = np.concatenate(
        [np.minimum(first.probabilities[:1], second.probabilities[:1]),
         first.probabilities[1:], second.probabilities[1:]]
    )  # fmt: skip
    first.label_values = [4, 5]
    first.labels.table.labels.append(second.labels.table.labels[0])
    want = first.to_labelmap(training.proposal.threshold).layers[0]
    calls = _threads(monkeypatch, training_workbench, "write_proposal")
    training.proposal.set_proposal(first)
    training.model_panel.set_proposal([(4, "Liver"), (5, "Spleen")])
    button = training.model_panel.accept_all_button
    _run(qtbot, lab, lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert _off_gui_thread(calls)
    assert np.array_equal(session.labelmap.layers[0], want)
    assert [lb.name for lb in session.labelmap.table.labels] == ["Label 1", "Liver", "Spleen"]
    assert training.proposal.proposal is None


def test_grow_from_seeds_hands_the_volume_itself_to_its_worker(qtbot, lab, monkeypatch):
    session = _session(lab)
    received = []
    calls = _threads(monkeypatch, smart_label_workers, "edge_strength")
    original = smart_label_workers._edges

    def edges(image, spacing_mm):
        received.append(image)
        return original(image, spacing_mm)

    monkeypatch.setattr(smart_label_workers, "_edges", edges)
    grow = lab.smart_labels.grow
    lab.smart_labels.start_grow()
    qtbot.waitUntil(lambda: grow._edges_job is None, timeout=30_000)
    assert _off_gui_thread(calls)
    (image,) = received
    assert image is session.volume.array  # no float32 copy made on the GUI thread
    grow.cancel()


def test_cancel_drops_the_result_and_a_stale_result_is_dropped(qtbot, lab):
    session = _session(lab)
    before = _blobs(session)
    jobs, actions = lab.labels.jobs, lab.labels.actions.actions
    actions["keep_largest"].trigger()
    jobs.cancel()  # before the result can arrive: it is queued to this thread
    assert not jobs.busy and not jobs.progress.isVisible()
    qtbot.waitUntil(lambda: lab.statusBar().currentMessage().endswith("cancelled"))
    # A second job may start at once; the labels change while it runs: its result is dropped.
    actions["fill_holes"].trigger()
    session.remove_label(session.add_label("Other").value)
    qtbot.waitUntil(lambda: not jobs.busy, timeout=30_000)
    assert "changed meanwhile" in lab.statusBar().currentMessage()
    assert np.array_equal(session.labelmap.layers[0], before)
    assert session.history.undo_description == "Remove label"
