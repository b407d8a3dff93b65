"""Key images and the report draft: saved with the series' annotations, and files written
before they existed still read."""

from __future__ import annotations

import pytest

from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.image.reformat import Plane


def test_round_trip_through_json():
    key = KeyImage(plane="coronal", slice_index=7, center=40, width=400, note="nodule")
    notes = SeriesAnnotations(key_images=[key], report_draft=ReportDraft("Findings.", "Fine."))
    back = SeriesAnnotations.from_json(notes.to_json())
    assert back.key_images == [key] and back.key_images[0].plane is Plane.CORONAL
    assert back.report_draft == ReportDraft("Findings.", "Fine.")


def test_annotations_without_key_images_still_read():
    old = {"format_version": 1, "boxes_2d": [], "boxes_3d": [], "tags": None}
    notes = SeriesAnnotations.from_json(old)
    assert notes.key_images == [] and notes.report_draft.is_empty()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"plane": "axial", "slice_index": 1, "center": 40}, "missing width"),
        ({"plane": "axial", "slice_index": 1, "center": 40, "width": 0.5}, "width"),
        ({"plane": "oblique", "slice_index": 1, "center": 40, "width": 400}, "oblique"),
        ({"plane": "axial", "slice_index": -1, "center": 40, "width": 400}, ">= 0"),
    ],
)
def test_bad_key_images_are_named(data, message):
    with pytest.raises(ValueError, match=message):
        KeyImage.from_json(data)


def test_draft_must_be_text():
    with pytest.raises(ValueError, match="must be text"):
        ReportDraft.from_json({"findings": 3})
