"""Measurements drawn, edited and deleted with the mouse and keys, checked in millimetres."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from view_testing import anisotropic_volume, at, click, drag, make_view, move

from medgui.core.annotations.measurements import Angle, EllipseROI, RectangleROI, Ruler
from medgui.core.annotations.store import MeasurementStore
from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.measure.context import MeasurementContext, Tool
from medgui.ui.measure.panel import MeasurementPanel

K = Qt.Key
ROW_MM, COL_MM = 2.0, 0.5  # the anisotropic volume's axial pixels


@pytest.fixture
def volume():
    return anisotropic_volume(value_of_block=123)


@pytest.fixture
def context():
    return MeasurementContext(MeasurementStore())


@pytest.fixture
def view(qtbot, volume, context):
    # 480 px: 4 px/mm, so slice pixel centres fall on whole viewport pixels (Qt rounds mouse
    # positions to whole pixels), and the test's points are exactly the ones drawn.
    return make_view(qtbot, volume, measurements=context, size=(480, 480))


def only(context):
    (m,) = context.measurements()
    return m


def test_ruler_reports_millimetres_on_anisotropic_pixels(qtbot, view, context):
    view.setFocus()
    qtbot.keyClick(view, K.Key_M)
    assert context.tool is Tool.RULER
    drag(view, at(view, 10, 10), at(view, 13, 26))
    ruler = only(context)
    assert isinstance(ruler, Ruler)
    assert ruler.p0 == pytest.approx((10, 10), abs=1e-6)
    assert ruler.p1 == pytest.approx((13, 26), abs=1e-6)
    # 3 rows × 2 mm and 16 columns × 0.5 mm: a 6-8-10 triangle.
    assert ruler.length_mm == pytest.approx(10.0, abs=1e-5)
    item = view.measurements.items[ruler.uid]
    assert item.label.toPlainText() == "10.0 mm"
    assert ruler.plane is Plane.AXIAL and ruler.slice_index == view.state.slice_index(Plane.AXIAL)


def test_dragging_an_endpoint_updates_the_length(qtbot, view, context):
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 13, 26))
    uid = only(context).uid
    context.set_tool(Tool.NAVIGATE)
    drag(view, at(view, 13, 26), at(view, 30, 26))
    ruler = only(context)
    assert ruler.uid == uid
    assert ruler.p0 == pytest.approx((10, 10), abs=1e-6)
    assert ruler.p1 == pytest.approx((30, 26), abs=1e-6)
    assert ruler.length_mm == pytest.approx(math.hypot(20 * ROW_MM, 16 * COL_MM), abs=1e-5)
    assert view.measurements.items[uid].label.toPlainText() == f"{ruler.length_mm:.1f} mm"


def test_ellipse_on_a_constant_region(qtbot, view, context):
    view.setFocus()
    qtbot.keyClick(view, K.Key_E)
    drag(view, at(view, 20, 40), at(view, 40, 80))  # inside the 123 HU block
    roi = only(context)
    assert isinstance(roi, EllipseROI)
    assert roi.center == pytest.approx((30, 60), abs=1e-6)
    assert roi.radii == pytest.approx((10, 20), abs=1e-6)
    # Pixel centres inside the ellipse, counted here independently.
    rows, cols = np.mgrid[0:60, 0:120]
    inside = ((rows - 30) / 10) ** 2 + ((cols - 60) / 20) ** 2 <= 1
    area = inside.sum() * ROW_MM * COL_MM
    assert area == pytest.approx(math.pi * 10 * ROW_MM * 20 * COL_MM, rel=0.03)
    label = view.measurements.items[roi.uid].label.toPlainText()
    assert label == f"123.0 ± 0.0 HU\n{area:.1f} mm²"
    assert context.describe(roi, full=True) == f"123.0 ± 0.0 HU, min 123, max 123, {area:.1f} mm²"


def test_rectangle_and_angle(qtbot, view, context):
    context.set_tool(Tool.RECTANGLE)
    drag(view, at(view, 12, 22), at(view, 21, 41))
    rect = only(context)
    assert isinstance(rect, RectangleROI)
    assert context.describe(rect).endswith(f"{10 * 20 * ROW_MM * COL_MM:.1f} mm²")
    context.remove(rect.uid)

    context.set_tool(Tool.ANGLE)
    click(view, at(view, 10, 20))
    click(view, at(view, 10, 40))  # vertex
    move(view, at(view, 30, 40))  # the draft follows the mouse
    assert view.measurements._draft is not None
    click(view, at(view, 30, 40))
    angle = only(context)
    assert isinstance(angle, Angle)
    assert angle.degrees == pytest.approx(90.0, abs=1e-4)


def test_delete_key_and_escape(qtbot, view, context):
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 20, 30))
    assert context.selected_uid == only(context).uid
    view.setFocus()
    qtbot.keyClick(view, K.Key_Delete)
    assert context.measurements() == []
    assert view.measurements.items == {}
    qtbot.keyClick(view, K.Key_Escape)
    assert context.tool is Tool.NAVIGATE


def test_a_tiny_drag_makes_nothing(view, context):
    context.set_tool(Tool.ELLIPSE)
    drag(view, at(view, 10, 10), at(view, 10.2, 30))
    assert context.measurements() == []


def test_measurements_show_only_on_their_slice(qtbot, view, context):
    state = view.state
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 20, 30))
    uid = only(context).uid
    here = state.slice_index(Plane.AXIAL)
    state.set_slice(Plane.AXIAL, here + 1)
    view.flush()
    assert view.measurements.items == {}
    state.set_slice(Plane.AXIAL, here)
    view.flush()
    assert list(view.measurements.items) == [uid]


def test_measurements_stay_with_their_series(qtbot, context):
    first, second = anisotropic_volume(), anisotropic_volume()
    second.metadata["SeriesInstanceUID"] = "9.9.9"
    view = make_view(qtbot, first, measurements=context)
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 20, 30))
    view.set_volume(None)
    assert context.measurements() == []
    other = make_view(qtbot, second, measurements=context)
    assert context.measurements() == [] and other.measurements.items == {}
    other.set_volume(None)
    again = make_view(qtbot, first, measurements=context)
    assert len(context.measurements()) == 1
    assert len(again.measurements.items) == 1
    assert context.store.series_keys() == ["1.2.3.4"]


def test_panel_lists_jumps_and_deletes(qtbot, volume, context):
    state = ViewerState(volume)
    view = make_view(qtbot, volume, state=state, measurements=context)
    panel = MeasurementPanel(context)
    qtbot.addWidget(panel)
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 13, 26))
    state.set_slice(Plane.AXIAL, 0)
    drag(view, at(view, 30, 10), at(view, 30, 50))
    assert panel.table.rowCount() == 2
    assert panel.row_texts(0) == ["Ruler", f"axial {volume.shape_zyx[0] // 2 + 1}/8", "10.0 mm"]
    assert panel.row_texts(1)[1:] == ["axial 1/8", "20.0 mm"]
    # Selecting the first row jumps back to its slice and selects it in the view.
    panel.table.selectRow(0)
    first = panel.uids()[0]
    assert state.slice_index(Plane.AXIAL) == volume.shape_zyx[0] // 2
    assert context.selected_uid == first
    view.flush()
    assert list(view.measurements.items) == [first]
    # Editing in the view updates the panel.
    context.set_tool(Tool.NAVIGATE)
    drag(view, at(view, 13, 26), at(view, 13, 46))
    assert panel.row_texts(0)[2] == f"{math.hypot(3 * ROW_MM, 36 * COL_MM):.1f} mm"
    panel.delete_button.click()
    assert panel.uids() == [context.measurements()[0].uid] != [first]
    assert view.measurements.items == {}
    # The tool buttons follow the context both ways.
    panel.tools.buttons[Tool.ELLIPSE].click()
    assert context.tool is Tool.ELLIPSE
    context.set_tool(Tool.ANGLE)
    assert panel.tools.buttons[Tool.ANGLE].isChecked()


def test_measurements_follow_flips_and_rotation(qtbot, view, context):
    context.set_tool(Tool.RULER)
    drag(view, at(view, 10, 10), at(view, 13, 26))
    ruler = only(context)
    view.state.set_rotate(90)
    view.state.set_flip_h(True)
    # Stored points never change with the display; drawn handles move with the image.
    assert only(context) == ruler
    item = view.measurements.items[ruler.uid]
    handle = item.roi.getHandles()[1]
    scene = handle.mapToScene(QPointF(0, 0))
    expected = view.slice_group.mapToScene(QPointF(26, 13))
    assert (scene.x(), scene.y()) == pytest.approx((expected.x(), expected.y()), abs=1e-6)


def test_remove_from_the_roi_menu_and_the_panel_delete_key(qtbot, view, context):
    panel = MeasurementPanel(context)
    qtbot.addWidget(panel)
    context.set_tool(Tool.ELLIPSE)
    drag(view, at(view, 20, 40), at(view, 40, 80))
    drag(view, at(view, 45, 10), at(view, 55, 30))
    first, second = (m.uid for m in context.measurements())
    # "Remove ROI" in the ROI's right-click menu asks for removal.
    item = view.measurements.items[first]
    item.roi.sigRemoveRequested.emit(item.roi)
    assert [m.uid for m in context.measurements()] == [second]
    panel.table.setFocus()
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, K.Key_Delete)
    assert context.measurements() == [] and panel.table.rowCount() == 0
