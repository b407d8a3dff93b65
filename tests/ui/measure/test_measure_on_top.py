"""Measurements are read on top of everything drawn on the slice: the label overlay, its
preview and boxes, and the crosshair share the slice's item group with them, and at equal
heights the one added last wins (after a restart the labels came after the measurements and
tinted their value boxes)."""

from __future__ import annotations

from view_testing import at, drag

from medgui.ui.measure.context import Tool


def test_measurements_stack_above_labels_and_crosshair(qtbot, window, labelled_demo):
    layout = window.view_layout
    view = layout.views[layout.state.active_plane]
    window.measurements.set_tool(Tool.RECTANGLE)
    drag(view, at(view, 100, 60), at(view, 140, 100))
    window.measurements.set_tool(Tool.RULER)
    drag(view, at(view, 180, 60), at(view, 200, 120))
    window.measurements.set_tool(Tool.NAVIGATE)
    drawn = view.measurements.items
    assert len(drawn) == 2
    mine = {id(part) for item in drawn.values() for part in (item.roi, item.label)}
    others = [child for child in view.slice_group.childItems() if id(child) not in mine]
    assert others, "the image, the label overlay and the crosshair are in the group too"
    ceiling = max(child.zValue() for child in others)
    for item in drawn.values():
        assert item.roi.zValue() > ceiling and item.label.zValue() > ceiling
