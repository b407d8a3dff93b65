"""Boxes and class tags: geometry, validation, tag-and-advance, JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medgui.core.annotations.model import Box2D, Box3D, ClassTagSet, SeriesAnnotations
from medgui.core.image.reformat import Plane, slice_pixel_to_voxel
from medgui.core.image.volume import Volume


def grid():
    return Volume(
        np.zeros((10, 20, 30), np.int16), (0.5, 0.5, 2.0), direction=np.diag([1.0, 1.0, -1.0])
    )


def test_box2d_sorts_corners_and_validates():
    box = Box2D(
        plane="axial", slice_index=3, row_min=8, col_min=9, row_max=2, col_max=1, label="nodule"
    )
    assert (box.row_min, box.col_min, box.row_max, box.col_max) == (2, 1, 8, 9)
    assert box.plane is Plane.AXIAL
    with pytest.raises(ValueError, match="finite"):
        Box2D(
            plane=Plane.AXIAL, slice_index=0, row_min=float("nan"), col_min=0, row_max=1, col_max=1
        )
    with pytest.raises(ValueError, match="slice_index"):
        Box2D(plane=Plane.AXIAL, slice_index=-1, row_min=0, col_min=0, row_max=1, col_max=1)
    with pytest.raises(ValueError, match="missing row_max"):
        Box2D.from_json(
            {"plane": "axial", "slice_index": 0, "row_min": 0, "col_min": 0, "col_max": 1}
        )


def test_box2d_on_coronal_maps_to_voxels_through_reformat():
    volume = grid()
    box = Box2D(
        plane=Plane.CORONAL, slice_index=7, row_min=1, col_min=2, row_max=4, col_max=6, label="x"
    )
    voxel = box.voxel_box(volume)
    corners = np.array(
        [slice_pixel_to_voxel(volume, Plane.CORONAL, 7, r, c) for r in (1, 4) for c in (2, 6)]
    )
    assert voxel.ijk_min == tuple(corners.min(axis=0))
    assert voxel.ijk_max == tuple(corners.max(axis=0))
    assert voxel.ijk_min[1] == voxel.ijk_max[1] == 7  # one coronal slice thick (j)
    assert voxel.label == "x"


def test_box3d_from_boxes_is_min_max_over_slices():
    volume = grid()
    boxes = [
        Box2D(
            plane=Plane.AXIAL,
            slice_index=2,
            row_min=5,
            col_min=5,
            row_max=8,
            col_max=9,
            label="lesion",
        ),
        Box2D(
            plane=Plane.AXIAL,
            slice_index=6,
            row_min=3,
            col_min=7,
            row_max=6,
            col_max=12,
            label="lesion",
        ),
    ]
    box = Box3D.from_boxes(volume, boxes)
    # Axial: rows are j, columns are i; slices k as given (the flip is in z only).
    assert box.ijk_min == (5, 3, 2) and box.ijk_max == (12, 8, 6)
    assert box.label == "lesion"
    assert Box3D.from_boxes(volume, boxes, label="other").label == "other"
    low, high = box.lps_bounds_mm(volume)
    assert np.allclose(low, (2.5, 1.5, -12.0)) and np.allclose(high, (6.0, 4.0, -4.0))
    with pytest.raises(ValueError, match="at least one"):
        Box3D.from_boxes(volume, [])


def test_class_tags_set_get_clear_and_validation():
    tags = ClassTagSet(["normal", "abnormal"], n_images=5)
    tags.set(None, "abnormal")
    tags.set(2, "normal")
    assert tags.get(None) == "abnormal" and tags.get(2) == "normal" and tags.get(3) is None
    tags.clear(2)
    tags.clear(None)
    assert tags.get(2) is None and tags.get(None) is None
    with pytest.raises(ValueError, match="not one of the classes"):
        tags.set(1, "unknown")
    with pytest.raises(ValueError, match="outside 0..4"):
        tags.set(5, "normal")
    with pytest.raises(ValueError, match="unique"):
        ClassTagSet(["a", "a"], 3)
    with pytest.raises(ValueError, match="non-empty"):
        ClassTagSet([], 3)


def test_tag_and_advance_walks_the_untagged_images_and_wraps():
    tags = ClassTagSet(["normal", "abnormal"], n_images=4)
    tags.set(1, "normal")
    assert tags.next_untagged(0) == 2
    assert tags.tag_and_advance(2, tags.class_for_key(2)) == 3
    assert tags.tag_and_advance(3, "normal") == 0  # wraps round
    assert tags.tag_and_advance(0, "normal") is None  # all tagged
    assert tags.counts() == {"normal": 3, "abnormal": 1}
    with pytest.raises(ValueError, match="no class on key 3"):
        tags.class_for_key(3)
    assert ClassTagSet(["a"], 0).n_images == 0


def test_json_round_trips():
    tags = ClassTagSet(
        ["normal", "abnormal"], 6, series_tag="normal", image_tags={4: "abnormal", 1: "normal"}
    )
    data = json.loads(json.dumps(tags.to_json()))
    assert data["image_tags"] == {"1": "normal", "4": "abnormal"}
    assert ClassTagSet.from_json(data) == tags
    with pytest.raises(ValueError, match="not one of"):
        ClassTagSet.from_json({**data, "image_tags": {"1": "cat"}})
    with pytest.raises(ValueError, match="bad class tags"):
        ClassTagSet.from_json({"classes": ["a"]})
    box2 = Box2D(
        plane=Plane.SAGITTAL, slice_index=4, row_min=1.5, col_min=2, row_max=3, col_max=4, label="a"
    )
    box3 = Box3D(ijk_min=(1, 2, 3), ijk_max=(0, 5, 6), label="b")
    assert box3.ijk_min == (0, 2, 3)
    series = SeriesAnnotations([box2], [box3], tags)
    again = SeriesAnnotations.from_json(json.loads(json.dumps(series.to_json())))
    assert again == series
    assert SeriesAnnotations.from_json({}) == SeriesAnnotations()
    with pytest.raises(ValueError, match="newer"):
        SeriesAnnotations.from_json({"format_version": 99})
