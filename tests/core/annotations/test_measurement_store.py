"""MeasurementStore: per-series add/update/remove, change callbacks, and JSON round trips."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from medgui.core import Volume
from medgui.core.annotations.measurements import Angle, EllipseROI, RectangleROI, Ruler
from medgui.core.annotations.store import MeasurementStore, series_key
from medgui.core.image.reformat import Plane

WHERE = {"plane": Plane.AXIAL, "slice_index": 2, "spacing_mm": (0.5, 2.0)}


def sample():
    return [
        Ruler(p0=(1, 1), p1=(4, 5), **WHERE),
        Angle(p0=(0, 0), vertex=(1, 1), p1=(2, 0), label="knee", **WHERE),
        EllipseROI(
            center=(5, 5), radii=(2, 3), plane=Plane.CORONAL, slice_index=0, spacing_mm=(1, 1)
        ),
        RectangleROI(corner0=(1, 2), corner1=(3, 4), **WHERE),
    ]


def test_add_update_remove_and_events():
    store = MeasurementStore()
    events = []
    store.connect(lambda action, key, m: events.append((action, key, m.uid)))
    ruler, angle, ellipse, rect = sample()
    for m in (ruler, angle, ellipse):
        store.add("A", m)
    store.add("B", rect)
    assert store.list("A") == [ruler, angle, ellipse]
    assert store.list("A", Plane.AXIAL) == [ruler, angle]
    assert store.list("A", Plane.CORONAL, 0) == [ellipse]
    assert store.list("A", Plane.AXIAL, 3) == []
    assert store.series_keys() == ["A", "B"]

    moved = dataclasses.replace(ruler, p1=(7, 9))
    store.update("A", moved)
    store.update("A", moved)  # unchanged: no second event
    assert store.get("A", ruler.uid) == moved
    assert store.remove("B", rect.uid) == rect
    assert store.series_keys() == ["A"]
    assert events == [
        ("added", "A", ruler.uid),
        ("added", "A", angle.uid),
        ("added", "A", ellipse.uid),
        ("added", "B", rect.uid),
        ("updated", "A", ruler.uid),
        ("removed", "B", rect.uid),
    ]


def test_errors_are_specific():
    store = MeasurementStore()
    ruler = sample()[0]
    store.add("A", ruler)
    with pytest.raises(ValueError, match="already"):
        store.add("A", ruler)
    with pytest.raises(KeyError):
        store.update("B", ruler)
    with pytest.raises(KeyError):
        store.remove("A", "nope")
    assert store.get("A", "nope") is None


def test_json_round_trip():
    store = MeasurementStore()
    for n, m in enumerate(sample()):
        store.add("AB"[n % 2], m)
    again = MeasurementStore.from_json(store.to_json())
    assert again.to_dict() == store.to_dict()
    assert again.list("A") == store.list("A") and again.list("B") == store.list("B")


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"version": 1}', '{"version": 99, "series": {}}',
             '{"version": 1, "series": {"A": [{"type": "blob"}]}}'],
)  # fmt: skip
def test_bad_json_raises_value_error(text):
    with pytest.raises(ValueError):
        MeasurementStore.from_json(text)


def test_series_key():
    array = np.zeros((1, 2, 2))
    assert series_key(Volume(array, metadata={"SeriesInstanceUID": "1.2"})) == "1.2"
    assert series_key(Volume(array, slice_sources=[("/a/b.dcm", 0)])) == "/a/b.dcm"
    assert series_key(Volume(array, metadata={"SeriesDescription": "x.nii"})) == "x.nii"
    assert series_key(Volume(array)) == "unnamed series"
