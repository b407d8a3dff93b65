"""Smart labelling on the real window: seeds painted with the mouse grow into a preview, Accept
writes it as one edit that Ctrl+Z undoes, Cancel leaves the map as it was; Propagate puts its
result into the proposal layer."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from label_testing import CTRL, K
from view_testing import at, drag

from medgui.ui.labeling.grow_tool import BACKGROUND_NAME
from medgui.workers import smart_label_workers

RADIUS_MM = 1.6
DICE_MIN = 0.9  # the ellipse stands ~1000 HU above the air: its edge is unmistakable


def _ellipse_of(session, k: int) -> np.ndarray:
    """The bright ellipse of slice `k` (the series' object: > -500 HU)."""
    return session.volume.array[k] > -500


def _ellipse(lab) -> np.ndarray:
    """The ellipse of the slice on show."""
    return _ellipse_of(lab.session, lab.index)


def _paint_seeds(qtbot, lab):
    """Ctrl+G, a stroke of label 1 inside the ellipse and one of Background in the air."""
    view, session = lab.view, lab.session
    qtbot.keyClick(view, K.Key_G, CTRL)
    grow = lab.window.smart_labels.grow
    assert grow.active
    background = next(lb for lb in session.labelmap.table.labels if lb.name == BACKGROUND_NAME)
    lab.bench.tools.set_radius(RADIUS_MM)
    drag(view, at(view, 20, 16), at(view, 20, 24))
    session.set_active(background.value)
    drag(view, at(view, 2, 2), at(view, 2, 37))
    drag(view, at(view, 37, 2), at(view, 37, 37))
    qtbot.waitUntil(lambda: session.proposal is not None and not grow.busy, timeout=10_000)
    return background.value


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_seeds_grow_into_a_preview_that_accept_writes_and_undo_takes_back(qtbot, lab, artifacts):
    session, plane, index = lab.session, lab.plane, lab.index
    background = _paint_seeds(qtbot, lab)
    preview = session.proposal.preview_slice(session.labelmap, plane, index)
    strokes = session.labelmap.layers[0][index]
    assert not preview[strokes != 0].any()  # seeds are never proposed over
    assert _dice((preview == 1) | (strokes == 1), _ellipse(lab)) > DICE_MIN
    lab.flush()
    lab.window.grab().save(str(artifacts / "grow_from_seeds_preview.png"))

    qtbot.keyClick(lab.view, K.Key_Return, CTRL)
    layer = session.labelmap.layers[0]
    assert session.proposal is None and not lab.window.smart_labels.grow.active
    assert _dice(layer[index] == 1, _ellipse(lab)) > DICE_MIN
    assert not (layer == background).any()  # the background is left unlabelled
    assert BACKGROUND_NAME not in [lb.name for lb in session.labelmap.table.labels]
    assert session.history.undo_description == "Grow from seeds"
    lab.flush()
    lab.window.grab().save(str(artifacts / "grow_from_seeds_accepted.png"))

    qtbot.keyClick(lab.view, K.Key_Z, CTRL)
    assert not session.labelmap.layers[0].any()  # as before the seeds
    assert not session.history.can_undo


def test_a_3d_preview_floods_the_edge_strength_computed_at_start(qtbot, lab, monkeypatch):
    """Start computes the whole volume's edge strength in a worker; the first preview of seeds
    on two slices (a 3-D region) waits for it and only floods."""
    from medgui.ui.labeling import grow_tool

    given = []
    real = grow_tool.grow_worker

    def recording(image, seeds, spacing, background, edges):
        given.append((seeds.shape, edges))
        return real(image, seeds, spacing, background, edges)

    monkeypatch.setattr(grow_tool, "grow_worker", recording)
    session, plane, first = lab.session, lab.plane, lab.index
    background = _paint_seeds(qtbot, lab)
    assert given[-1][1] is None  # one slice: its own 2-D gradient
    lab.window.view_layout.state.set_slice(plane, first + 2)
    lab.flush()
    session.set_active(1)
    drag(lab.view, at(lab.view, 20, 16), at(lab.view, 20, 24))
    session.set_active(background)
    drag(lab.view, at(lab.view, 2, 2), at(lab.view, 2, 37))
    grow = lab.window.smart_labels.grow

    def three_d_shown() -> bool:
        # The 2-D preview of the first slice may still be on show: wait for the 3-D one.
        proposal = session.proposal
        if grow.busy or proposal is None:
            return False
        return proposal.bbox[0].stop - proposal.bbox[0].start > 1

    qtbot.waitUntil(three_d_shown, timeout=15_000)
    shape, edges = next(call for call in given if min(call[0]) > 1)  # the first 3-D preview
    assert edges is not None and edges.shape == shape and edges.dtype == np.uint8


def test_cancel_leaves_the_map_unchanged(qtbot, lab):
    session = lab.session
    session.labelmap.layers[0][0, 5:8, 5:8] = 1  # drawn before: must survive the cancel
    before = session.labelmap.layers[0].copy()
    _paint_seeds(qtbot, lab)
    assert not np.array_equal(session.labelmap.layers[0], before)  # the seeds are in
    qtbot.keyClick(lab.view, K.Key_Escape)
    assert session.proposal is None and not lab.window.smart_labels.grow.active
    assert np.array_equal(session.labelmap.layers[0], before)
    assert BACKGROUND_NAME not in [lb.name for lb in session.labelmap.table.labels]


def test_a_preview_of_seeds_that_changed_meanwhile_is_never_shown(qtbot, lab, monkeypatch):
    grow, session, view = lab.window.smart_labels.grow, lab.session, lab.view
    _paint_seeds(qtbot, lab)
    real, seeds, release = smart_label_workers._grow, [], threading.Event()

    def first_held(image, layer, *args):
        seeds.append(layer.copy())
        if len(seeds) == 1:  # the first preview still runs while the user paints on
            release.wait(10)
        return real(image, layer, *args)

    monkeypatch.setattr(smart_label_workers, "_grow", first_held)
    shown = []
    session.proposal_changed.connect(lambda: shown.append(session.proposal))
    grow.request()
    qtbot.waitUntil(lambda: len(seeds) == 1)
    drag(view, at(view, 5, 2), at(view, 35, 2))  # one more Background stroke: a newer request
    release.set()
    qtbot.waitUntil(lambda: len(seeds) == 2 and not grow.busy, timeout=10_000)
    assert not np.array_equal(seeds[0], seeds[1])
    # The first result arrived after the stroke: dropped, only the newest seeds' preview shows.
    assert len(shown) == 1 and shown[0] is session.proposal is not None


@pytest.mark.slow
def test_propagate_puts_its_labels_into_the_proposal_layer(qtbot, lab):
    pytest.importorskip("torch")
    session, smart = lab.session, lab.window.smart_labels
    layer = session.labelmap.layers[0]
    for k in (3, 12):
        layer[k][_ellipse_of(session, k)] = 1
    given = layer.copy()
    smart.minutes = 0.02  # a second of training: this checks the plumbing, not the model
    smart.actions["propagate"].trigger()
    assert smart.job is not None and not smart.actions["propagate"].isEnabled()
    training = lab.window.training
    qtbot.waitUntil(lambda: smart.job is None, timeout=120_000)
    proposal = training.proposal.proposal
    assert proposal is not None
    assert np.array_equal(proposal.labels.layers[0][[3, 12]], given[[3, 12]])
    assert np.array_equal(session.labelmap.layers[0], given)  # a proposal writes nothing
    assert training.accept()
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    assert session.history.undo_description.startswith("Accept model proposal")
