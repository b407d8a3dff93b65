"""The label session's state and rules with no Qt: the table, removals, worker results and the
grow merge as one undo step each, previews, and the events the Qt adapter relays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from medgui.core.image.volume import Volume
from medgui.core.labels.interpolate import InterpolationProposal
from medgui.core.labels.io import GeometryMismatchError
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.labels.session import LabelSessionModel
from medgui.core.labels.undo import make_edit


def make_model(shape=(6, 10, 12)) -> tuple[LabelSessionModel, list]:
    """A model of a zero volume, and the list its events land in as (name, *args)."""
    model = LabelSessionModel(Volume(np.zeros(shape, np.int16), (1.0, 1.0, 2.0)))
    heard: list = []
    model.events.connect(lambda name, *args: heard.append((name, *args)))
    return model, heard


def names(heard) -> list[str]:
    return [event[0] for event in heard]


def paint(model: LabelSessionModel, value: int, box, description="Paint") -> None:
    """One undoable edit writing `value` into `box` of layer 0."""
    with model.history.edit(model.labelmap, 0, description, box) as region:
        region.view[...] = value


BOX = (slice(1, 3), slice(2, 5), slice(3, 7))


def test_a_new_model_has_one_label_active_and_no_history():
    model, heard = make_model()
    assert [lb.name for lb in model.labelmap.table.labels] == ["Label 1"]
    assert model.active_value == model.labelmap.table.labels[0].value
    assert not model.history.can_undo and model.is_empty() and heard == []


def test_added_labels_get_unique_values_and_become_active():
    model, heard = make_model()
    first = model.active_value
    a, b = model.add_label(), model.add_label("Liver", layer=1)
    assert len({first, a.value, b.value}) == 3
    assert a.name == "Label 2" and b.name == "Liver" and b.layer == 1
    assert len(model.labelmap.layers) >= 2  # the label's layer exists to paint on
    assert model.active_value == b.value
    assert ("active_changed", b.value) in heard and "edited" in names(heard)
    with pytest.raises(KeyError):
        model.set_active(999)


def test_set_label_validates_and_announces_the_table():
    model, heard = make_model()
    value = model.active_value
    model.set_label(value, name="  Tumour ", opacity=0.25, color=(1, 2, 3), locked=1)
    label = model.labelmap.table.get(value)
    assert (label.name, label.opacity, label.color) == ("Tumour", 0.25, (1, 2, 3))
    assert label.locked is True
    assert names(heard) == ["table_changed", "edited"]
    for bad in ({"name": " "}, {"opacity": 1.5}, {"layer": 16}, {"size": 3}):
        with pytest.raises(ValueError):
            model.set_label(value, **bad)
    paint(model, value, BOX)  # the lock keeps this from writing: unlock first
    model.set_label(value, locked=False)
    paint(model, value, BOX)
    with pytest.raises(ValueError, match="has voxels"):
        model.set_label(value, layer=1)


def test_locked_labels_are_refused_and_the_last_label_stays():
    model, _ = make_model()
    only = model.active_value
    with pytest.raises(ValueError, match="last label"):
        model.remove_label(only)
    other = model.add_label().value
    paint(model, other, BOX)
    model.set_label(other, locked=True)
    with pytest.raises(ValueError, match="locked"):
        model.remove_label(other)
    # The lock rule holds for edits too: painting over a locked label leaves it.
    paint(model, only, BOX)
    assert (model.labelmap.layers[0][BOX] == other).all()
    assert [lb.value for lb in model.labelmap.table.labels] == [only, other]


def test_removing_a_label_is_one_undo_step_for_table_and_voxels():
    model, heard = make_model()
    keep = model.active_value
    gone = model.add_label("gone").value
    paint(model, gone, BOX)
    paint(model, keep, (slice(4, 5), slice(0, 2), slice(0, 2)))
    before_map = model.labelmap.layers[0].copy()
    steps = len(model.history)
    heard.clear()
    model.remove_label(gone)
    assert len(model.history) == steps + 1
    assert not (model.labelmap.layers[0] == gone).any()
    assert [lb.value for lb in model.labelmap.table.labels] == [keep]
    assert model.active_value == keep
    assert {"voxels_changed", "table_changed", "history_changed", "edited"} <= set(names(heard))

    assert model.undo() == "Remove label"
    assert [lb.name for lb in model.labelmap.table.labels] == ["Label 1", "gone"]
    np.testing.assert_array_equal(model.labelmap.layers[0], before_map)
    assert model.redo() == "Remove label"
    assert not (model.labelmap.layers[0] == gone).any()
    assert [lb.value for lb in model.labelmap.table.labels] == [keep]


def test_a_result_with_its_table_is_one_undo_step():
    model, heard = make_model()
    original = model.labelmap.table.to_json()
    table = LabelTable.from_json(original)
    new = table.add("from the model").value
    layer = model.labelmap.layers[0]
    after = layer[BOX].copy()
    after[...] = new
    edit = make_edit(0, BOX, layer[BOX].copy(), after, "Accept model proposal")
    revision = model.revision
    model.apply_result("Accept model proposal", edit, table)
    assert (model.labelmap.layers[0][BOX] == new).all()
    assert model.labelmap.table.get(new).name == "from the model"
    assert len(model.history) == 1 and model.revision > revision
    assert {"table_changed", "voxels_changed", "edited"} <= set(names(heard))

    assert model.undo() == "Accept model proposal"
    assert model.labelmap.table.to_json() == original
    assert not model.labelmap.layers[0].any()
    assert model.redo() == "Accept model proposal"
    assert (model.labelmap.layers[0][BOX] == new).all()
    assert model.labelmap.table.get(new).name == "from the model"
    same_table = LabelTable.from_json(model.labelmap.table.to_json())
    assert model.apply_result("Nothing", None, same_table) is None
    assert len(model.history) == 1


def test_a_restored_table_without_the_active_label_moves_the_active_label():
    model, _ = make_model()
    table = LabelTable.from_json(model.labelmap.table.to_json())
    added = table.add("new").value
    model.apply_result("Table", None, table)
    model.set_active(added)
    model.undo()
    assert model.active_value == model.labelmap.table.labels[0].value != added


def test_the_grow_merge_is_one_undo_step_that_keeps_locked_labels():
    model, _ = make_model()
    obj = model.active_value
    background = model.add_label("Background").value
    barrier = model.add_label("barrier").value
    region = (slice(2, 3), slice(0, 10), slice(0, 12))
    paint(model, barrier, (slice(2, 3), slice(0, 10), slice(11, 12)))
    model.set_label(barrier, locked=True)
    start = model.labelmap.layers[0].copy()
    steps = len(model.history)
    # The seeds as painted (two strokes, already taken back by the tool) and the grown labels.
    seeded = model.labelmap.layers[0][region].copy()
    seeded[0, 1, 1], seeded[0, 8, 8] = obj, background
    grown = np.zeros_like(seeded)  # the worker's preview: grown labels only, never background
    grown[0, :5] = obj
    grown[0, :, 11] = obj  # growing into the locked barrier is refused
    model.merge_grown(0, region, seeded, grown, background)
    written = model.labelmap.layers[0][region][0]
    assert (written[:5, :11] == obj).all()
    assert (written[5:, :11] == 0).all()  # the background is left unlabelled
    assert (written[:, 11] == barrier).all()
    assert len(model.history) == steps + 1
    assert model.undo() == "Grow from seeds"
    np.testing.assert_array_equal(model.labelmap.layers[0], start)
    # A label locked since its seeds were painted: neither its seeds nor its growth are written.
    model.set_label(obj, locked=True)
    model.merge_grown(0, region, seeded, grown, background)
    np.testing.assert_array_equal(model.labelmap.layers[0], start)


def test_a_tool_label_is_discarded_without_an_undo_step_only_when_empty():
    model, heard = make_model()
    first = model.active_value
    helper = model.add_label("Background").value
    heard.clear()
    model.discard_label(helper)
    assert [lb.value for lb in model.labelmap.table.labels] == [first]
    assert model.active_value == first and not model.history.can_undo
    assert names(heard) == ["active_changed", "table_changed"]
    busy = model.add_label("busy").value
    paint(model, busy, BOX)
    with pytest.raises(ValueError, match="has voxels"):
        model.discard_label(busy)


def test_previews_call_the_tool_hooks_and_announce_themselves():
    model, heard = make_model()
    values = np.zeros((1, 2, 2), np.uint8)
    box = (slice(0, 1), slice(0, 2), slice(0, 2))
    proposal = InterpolationProposal(0, 0, box, values, {1: [0]})
    accepted, cancelled = [], []
    model.show_proposal(proposal, accepted.append, lambda: cancelled.append(True))
    assert model.proposal is proposal and model.tool_proposal
    model.accept_proposal()
    assert accepted == [proposal] and model.proposal is None and not model.tool_proposal
    model.show_proposal(proposal, accepted.append, lambda: cancelled.append(True))
    model.cancel_proposal()
    assert cancelled == [True] and model.proposal is None
    model.show_interpolation(proposal)
    assert model.proposal is proposal and not model.tool_proposal
    model.accept_proposal()  # an interpolation is accepted in a worker, not here
    assert model.proposal is proposal
    assert names(heard) == ["proposal_changed"] * 5


def test_undo_waits_while_a_stroke_is_drawn():
    model, _ = make_model()
    paint(model, model.active_value, BOX)
    model.stroking = True
    assert model.undo() is None and model.labelmap.layers[0].any()
    model.stroking = False
    assert model.undo() == "Paint" and not model.labelmap.layers[0].any()


def test_replace_checks_the_grid_clears_history_and_announces_everything():
    model, heard = make_model()
    paint(model, model.active_value, BOX)
    heard.clear()
    with pytest.raises(GeometryMismatchError):
        model.replace(LabelMap.empty_like(Volume(np.zeros((2, 2, 2), np.int16))))
    assert model.history.can_undo and heard == []
    model.replace(None)
    assert not model.history.can_undo and model.is_empty()
    assert names(heard) == list(LabelSessionModel.RESET_EVENTS)
    assert ("voxels_changed", -1, None) in heard


def test_the_session_models_import_no_qt():
    code = (
        "import sys, medgui.core.labels.session, medgui.core.annotations.session;"
        "sys.exit('PySide6' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
