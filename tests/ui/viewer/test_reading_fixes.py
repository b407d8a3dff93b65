"""Issue 13, reading: each test drives the real views the way a reader does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from view_testing import anisotropic_volume, at, click, drag, make_view, move, wheel

from medgui.core.annotations.measurements import Angle
from medgui.core.annotations.store import MeasurementStore
from medgui.ui.measure.context import MeasurementContext, Tool


@pytest.fixture
def context():
    return MeasurementContext(MeasurementStore())


def test_a_drag_after_a_finished_angle_starts_the_next_one(qtbot, context):
    view = make_view(qtbot, anisotropic_volume(), measurements=context, size=(480, 480))
    context.set_tool(Tool.ANGLE)
    click(view, at(view, 10, 20))
    click(view, at(view, 10, 40))
    click(view, at(view, 30, 40))
    assert len(context.measurements()) == 1
    # The next angle drawn by dragging its first arm, then one click for the second end.
    drag(view, at(view, 40, 20), at(view, 40, 60))
    click(view, at(view, 20, 60))
    angles = [m for m in context.measurements() if isinstance(m, Angle)]
    assert len(angles) == 2
    second = angles[-1]
    assert second.p0 == pytest.approx((40, 20), abs=1e-6)
    assert second.vertex == pytest.approx((40, 60), abs=1e-6)
    assert second.degrees == pytest.approx(90.0, abs=1e-4)


def test_the_readout_follows_slices_scrolled_by_wheel_and_keys(qtbot):
    volume = anisotropic_volume()
    view = make_view(qtbot, volume, size=(480, 480))
    move(view, at(view, 55, 7))  # on the ramp: every slice has its own value there
    k = view.shown_index
    assert view.overlay.corner_text("bottom_right")[1] == f"Voxel (7, 55, {k})"

    def readout_shows(k):
        lps = volume.voxel_to_world((7, 55, k))
        return view.overlay.corner_text("bottom_right") == [
            f"{int(volume.array[k, 55, 7])} HU",
            f"Voxel (7, 55, {k})",
            "LPS ({:.1f}, {:.1f}, {:.1f}) mm".format(*lps),
        ]

    wheel(view, at(view, 55, 7), notches=-1)
    qtbot.waitUntil(lambda: readout_shows(k + 1))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: readout_shows(k + 2))
    view.state.set_slice(view.plane, 0)  # what cine does
    qtbot.waitUntil(lambda: readout_shows(0))
