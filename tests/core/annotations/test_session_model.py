"""The session's boxes, class tags, key images and report draft with no Qt: each change one undo
step in the label history (the report draft none), with the events the Qt adapter relays."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.annotations.model import Box2D, SeriesAnnotations
from medgui.core.annotations.session import DEFAULT_CLASSES, SessionModel
from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.labels.session import LabelSessionModel


def make_model() -> tuple[SessionModel, list]:
    volume = Volume(np.zeros((5, 8, 9), np.int16), (1.0, 1.0, 2.0))
    model = SessionModel(volume, "series-1")
    heard: list = []
    model.events.connect(lambda name, *args: heard.append(name))
    return model, heard


def box(slice_index=1, label="nodule") -> Box2D:
    return Box2D(
        plane=Plane.AXIAL, slice_index=slice_index, row_min=1.0, col_min=1.0,
        row_max=4.0, col_max=5.0, label=label,
    )  # fmt: skip


def test_boxes_are_undoable_steps_that_announce_themselves():
    model, heard = make_model()
    first, second = box(1), box(3)
    model.add_box(first)
    model.add_box(second)
    assert model.annotations.boxes_2d == [first, second] and len(model.history) == 2
    assert heard.count("annotations_changed") == 2 and "edited" in heard
    made = model.make_box_3d("nodule")
    assert model.annotations.boxes_3d == [made]
    model.remove_boxes({first.uid, made.uid})
    assert model.annotations.boxes_2d == [second] and model.annotations.boxes_3d == []
    assert model.undo() == "Delete boxes"
    assert [b.uid for b in model.annotations.boxes_2d] == [first.uid, second.uid]
    assert [b.uid for b in model.annotations.boxes_3d] == [made.uid]
    steps = len(model.history)
    model.remove_boxes({"no such box"})  # nothing to delete: no step
    assert len(model.history) == steps
    with pytest.raises(ValueError, match="no 2-D boxes"):
        model.make_box_3d("other")


def test_tags_and_the_class_list_are_undoable_and_follow_renames():
    model, _ = make_model()
    assert model.tags.classes == list(DEFAULT_CLASSES)
    model.tag(None, "abnormal")
    model.tag(2, "normal")
    model.set_classes(["healthy", "abnormal"], renamed={"normal": "healthy"})
    assert model.tags.get(2) == "healthy" and model.tags.get(None) == "abnormal"
    model.set_classes(["healthy"])  # "abnormal" is no longer listed: its tags go
    assert model.tags.get(None) is None and model.tags.get(2) == "healthy"
    assert model.undo() == "Class list"
    assert model.tags.get(None) == "abnormal"
    model.tag(2, None)
    assert model.tags.get(2) is None
    assert model.undo() == "Untag" and model.tags.get(2) == "healthy"


def test_a_refused_change_changes_nothing_and_records_nothing():
    model, _ = make_model()
    # The tag set is made on first use, inside the step: a refused first tag leaves none.
    with pytest.raises(ValueError):
        model.tag(99, "normal")
    assert model.annotations.tags is None and model.is_empty()
    model.tag(1, "normal")
    before, steps = model.annotations.to_json(), len(model.history)
    with pytest.raises(ValueError):
        model.tag(1, "no such class")
    with pytest.raises(ValueError):
        model.set_classes([])
    model.tag(1, "normal")  # already so: no step to undo
    assert model.annotations.to_json() == before and len(model.history) == steps


def test_key_images_are_undoable_but_the_report_draft_is_no_undo_step():
    model, heard = make_model()
    key = KeyImage(plane=Plane.AXIAL, slice_index=2, center=40.0, width=400.0)
    model.add_key_image(key)
    draft = ReportDraft("A nodule.", "Follow up.")
    heard.clear()
    model.set_report_draft(draft)
    assert model.annotations.report_draft == draft and heard == ["edited"]
    model.set_report_draft(ReportDraft("A nodule.", "Follow up."))  # the same text: no event
    assert heard == ["edited"]
    model.remove_key_images({key.uid})
    assert model.annotations.key_images == []
    # Undoing the key image's removal brings it back and keeps the typed report text.
    assert model.undo() == "Remove key images"
    assert model.annotations.key_images == [key] and model.annotations.report_draft == draft
    assert model.undo() == "Key image"
    assert model.annotations.key_images == [] and model.annotations.report_draft == draft


def test_is_empty_counts_every_annotation():
    model, _ = make_model()
    assert model.is_empty()
    model.set_report_draft(ReportDraft("x", ""))
    assert not model.is_empty()
    model.set_report_draft(ReportDraft())
    model.add_key_image(KeyImage(plane=Plane.AXIAL, slice_index=0, center=0.0, width=10.0))
    assert not model.is_empty()


def test_replace_installs_the_annotations_and_announces_them():
    model, heard = make_model()
    model.add_box(box())
    loaded = SeriesAnnotations(boxes_2d=[box(4, "cyst")])
    heard.clear()
    model.replace(None, loaded)
    assert model.annotations is loaded and not model.history.can_undo
    assert heard == list(SessionModel.RESET_EVENTS)
    assert set(LabelSessionModel.RESET_EVENTS) < set(heard)
    assert "annotations_changed" in heard
    model.replace(None)  # None keeps the annotations on show
    assert model.annotations is loaded


def test_a_tag_from_a_report_is_one_undo_step_and_survives_a_class_rename():
    model, _events = make_model()
    origin = {"source": "report", "finding": "Edema", "status": "positive", "sentence": "Edema."}
    assert model.tag_from_report(None, "Edema", ["Edema", "No Edema"], origin)
    assert model.tags.classes == [*DEFAULT_CLASSES, "Edema", "No Edema"]
    assert model.tags.series_tag == "Edema" and model.tags.from_report_count() == 1
    assert model.history.undo_description == "Tag from report"
    model.set_classes(["normal", "abnormal", "Oedema", "No Edema"], {"Edema": "Oedema"})
    assert model.tags.series_tag == "Oedema" and model.tags.origins[None] == origin
    model.tag(None, "normal")  # by hand: later report tags are refused, with no undo step
    assert not model.tag_from_report(None, "Edema", ["Edema", "No Edema"], origin)
    assert model.history.undo_description == "Tag"
    assert model.tags.series_tag == "normal" and model.tags.from_report_count() == 0
