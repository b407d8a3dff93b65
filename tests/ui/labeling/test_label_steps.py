"""One user action, one undo step, and only what the user asked for: accepting a model's
proposal that adds a label undoes and redoes its table row with its voxels; accepting grown
seeds never changes another label (locked or not)."""

from __future__ import annotations

import numpy as np
import pytest
from label_testing import CTRL, K, make_proposal
from PySide6.QtCore import Qt
from view_testing import at, drag

from medgui.ui.labeling.grow_tool import BACKGROUND_NAME
from medgui.ui.labeling.panel import NAME


def _table(session) -> list:
    return session.labelmap.table.to_json()


def test_undoing_an_accepted_proposal_takes_back_its_new_label_too(qtbot, lab):
    session, training = lab.session, lab.window.training
    layer = session.labelmap.layers[0]
    layer[5, 10:20, 10:20] = 1  # an earlier label the proposal partly covers
    table_before, voxels_before = _table(session), layer.copy()
    assert [lb.value for lb in session.labelmap.table.labels] == [1]
    box = np.s_[3:8, 15:30, 12:28]
    training.proposal.set_proposal(make_proposal(session, box, 7, "Kidney"))
    training.model_panel.set_proposal([(7, "Kidney")])
    qtbot.mouseClick(training.model_panel.accept_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    accepted = session.labelmap.layers[0].copy()
    assert (accepted[box] == 7).all()
    assert [lb.name for lb in session.labelmap.table.labels] == ["Label 1", "Kidney"]
    table_after = _table(session)

    qtbot.keyClick(lab.view, K.Key_Z, CTRL)
    assert _table(session) == table_before
    assert np.array_equal(session.labelmap.layers[0], voxels_before)
    assert _panel_names(lab) == ["Label 1"]
    qtbot.keyClick(lab.view, K.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert _table(session) == table_after
    assert np.array_equal(session.labelmap.layers[0], accepted)
    assert _panel_names(lab) == ["Label 1", "Kidney"]


def _panel_names(lab) -> list[str]:
    """The names in the label dock's table, as shown."""
    model = lab.bench.panel.model
    return [model.data(model.index(row, NAME)) for row in range(model.rowCount())]


@pytest.mark.parametrize("locked", [False, True])
def test_grown_seeds_never_change_another_label(qtbot, lab, locked):
    session, index = lab.session, lab.index
    aorta = session.add_label("Aorta")
    layer = session.labelmap.layers[0]
    # Inside the bright ellipse the seeds of label 1 grow into, beside them.
    layer[index, 9:12, 18:22] = aorta.value
    session.set_label(aorta.value, locked=locked)
    session.set_active(1)
    aorta_before = session.labelmap.layers[0] == aorta.value

    qtbot.keyClick(lab.view, K.Key_G, CTRL)
    grow = lab.window.smart_labels.grow
    background = next(lb for lb in session.labelmap.table.labels if lb.name == BACKGROUND_NAME)
    lab.bench.tools.set_radius(1.6)
    drag(lab.view, at(lab.view, 20, 16), at(lab.view, 20, 24))
    session.set_active(background.value)
    drag(lab.view, at(lab.view, 2, 2), at(lab.view, 2, 37))
    drag(lab.view, at(lab.view, 37, 2), at(lab.view, 37, 37))
    qtbot.waitUntil(lambda: session.proposal is not None and not grow.busy, timeout=10_000)
    qtbot.keyClick(lab.view, K.Key_Return, CTRL)
    assert not grow.active

    after = session.labelmap.layers[0]
    assert np.array_equal(after == aorta.value, aorta_before)  # not one voxel more or less
    ellipse = session.volume.array[index] > -500
    grown = after[index] == 1
    assert np.count_nonzero(grown & ellipse) > 0.8 * np.count_nonzero(
        ellipse & ~aorta_before[index]
    )
