"""`SeriesLink`: two series scrolled together by position in patient coordinates (with an
offset), sharing window/level and zoom."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.image.compare import SeriesLink, slice_positions
from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume


def _pair():
    # Current: 2 mm slices from z = -50; prior: 5 mm slices from z = -40 (a different scan).
    current = Volume(np.zeros((50, 8, 8), np.int16), spacing_mm=(1, 1, 2.0), origin=(0, 0, -50))
    prior = Volume(np.zeros((20, 8, 8), np.int16), spacing_mm=(1, 1, 5.0), origin=(0, 0, -40))
    return current, prior


def test_scrolling_either_series_moves_the_other_to_the_same_position():
    current, prior = _pair()
    a, b = ViewerState(current), ViewerState(prior)
    link = SeriesLink(a, current, b, prior, Plane.AXIAL)
    a.set_slice(Plane.AXIAL, 25)  # z = 0
    assert b.slice_index(Plane.AXIAL) == 8  # z = 0 in the prior
    a.set_slice(Plane.AXIAL, 26)  # z = 2: the prior's nearest is z = 0
    assert b.slice_index(Plane.AXIAL) == 8
    a.set_slice(Plane.AXIAL, 29)  # z = 8: nearest 10
    assert b.slice_index(Plane.AXIAL) == 10
    b.set_slice(Plane.AXIAL, 4)  # z = -20
    assert a.slice_index(Plane.AXIAL) == 15
    link.close()
    a.set_slice(Plane.AXIAL, 40)
    assert b.slice_index(Plane.AXIAL) == 4


def test_the_offset_shifts_the_second_series_and_relinking_keeps_the_alignment():
    current, prior = _pair()
    a, b = ViewerState(current), ViewerState(prior)
    link = SeriesLink(a, current, b, prior, Plane.AXIAL)
    seen = []
    link.events.connect(lambda name, value: seen.append((name, value)))
    a.set_slice(Plane.AXIAL, 25)  # z = 0
    link.set_offset_mm(15.0)  # the prior's anatomy lies 15 mm higher
    assert link.position(1) == pytest.approx(15.0)
    link.set_linked(False)
    b.set_slice(Plane.AXIAL, 10)  # z = 10: scrolled alone
    assert a.slice_index(Plane.AXIAL) == 25
    link.set_linked(True)
    assert link.offset_mm == pytest.approx(10.0)
    a.set_slice(Plane.AXIAL, 30)  # z = 10 → prior at 20
    assert link.position(1) == pytest.approx(20.0)
    assert seen == [("offset_mm", 15.0), ("linked", False), ("offset_mm", 10.0), ("linked", True)]
    with pytest.raises(ValueError, match="finite"):
        link.set_offset_mm(float("nan"))


def test_window_level_zoom_and_slab_are_shared_both_ways():
    current, prior = _pair()
    a, b = ViewerState(current), ViewerState(prior)
    a.set_window(40, 400)
    SeriesLink(a, current, b, prior, Plane.AXIAL)
    assert (b.window.center, b.window.width) == (40, 400)  # the current series' at the start
    b.set_window(-600, 1500)
    assert (a.window.center, a.window.width) == (-600, 1500)
    a.set_zoom(2.5)
    assert b.zoom == 2.5
    b.set_invert(True)
    assert a.invert
    a.set_projection("mip")
    a.set_slab_mm(20.0)
    assert (b.projection, b.slab_mm) == ("mip", 20.0)


def test_slice_positions_follow_the_geometry():
    current, _ = _pair()
    z = slice_positions(current, Plane.AXIAL)
    assert z[0] == pytest.approx(-50) and z[1] - z[0] == pytest.approx(2.0)
    x = slice_positions(current, Plane.SAGITTAL)
    assert x[3] == pytest.approx(3.0)
