"""Issue 13, reading: each test drives the real views the way a reader does."""

from __future__ import annotations

import pytest
from test_slice_view_support import anisotropic_volume, at, click, drag, make_view

from medgui.core.measurement_store import MeasurementStore
from medgui.core.measurements import Angle
from medgui.ui.measurement_tools import MeasurementContext, Tool


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
