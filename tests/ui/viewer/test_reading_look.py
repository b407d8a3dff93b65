"""Issue 13, reading: what the eye needs to see (screenshots in tests/ui/artifacts/)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton, QVBoxLayout, QWidget
from view_testing import anisotropic_volume, at, drag, make_view

from medgui.core.annotations.store import MeasurementStore
from medgui.ui.common.theme import BACKGROUND, DarkStyle, dark_palette
from medgui.ui.measure.context import MeasurementContext, Tool


def _grey(image, rect) -> np.ndarray:
    """Mean of R, G, B of the pixels of `rect` in `image` (a QImage)."""
    return np.array(
        [
            [
                sum(QColor(image.pixel(x, y)).getRgb()[:3]) / 3
                for x in range(rect.left(), rect.right() + 1)
            ]
            for y in range(rect.top(), rect.bottom() + 1)
        ]
    )


def test_checkboxes_show_on_the_dark_theme(qtbot, artifacts):
    panel = QWidget()
    style = DarkStyle()
    panel.setStyle(style)
    panel.setPalette(dark_palette())
    panel.setAutoFillBackground(True)
    layout = QVBoxLayout(panel)
    boxes = [QCheckBox("Unchecked"), QCheckBox("Checked")]
    boxes[1].setChecked(True)
    for box in boxes:
        box.setStyle(style)
        layout.addWidget(box)
    qtbot.addWidget(panel)
    panel.resize(200, 80)
    panel.show()
    qtbot.waitExposed(panel)
    image = panel.grab().toImage()
    image.save(str(artifacts / "dark_checkboxes.png"))
    background = sum(BACKGROUND.getRgb()[:3]) / 3
    for box in boxes:
        option = QStyleOptionButton()
        box.initStyleOption(option)
        indicator = style.subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        indicator.translate(box.pos())
        # The box's edge stands out from the panel (the old Fusion edge was 10 grey levels off).
        assert _grey(image, indicator).max() - background > 80


def test_roi_labels_stay_inside_the_view_and_apart(qtbot, artifacts):
    context = MeasurementContext(MeasurementStore())
    view = make_view(qtbot, anisotropic_volume(), measurements=context, size=(480, 480))
    context.set_tool(Tool.RECTANGLE)
    # Two boxes sharing a top-right corner (their labels would sit on each other) and one
    # against the top-right corner of the image (its label would leave the view).
    drag(view, at(view, 20, 30), at(view, 30, 60))
    drag(view, at(view, 45, 40), at(view, 21, 61))
    drag(view, at(view, 0, 100), at(view, 8, 119))
    context.set_tool(Tool.RULER)
    drag(view, at(view, 50, 80), at(view, 58, 119))
    layer = view.measurements
    assert len(context.measurements()) == 4

    def rects():
        return [item.label.sceneBoundingRect() for item in layer.items.values()]

    def check():
        box = view.box.mapRectToScene(view.box.boundingRect())
        found = rects()
        assert len(found) == 4
        assert all(box.contains(rect) for rect in found), (box, found)
        for n, rect in enumerate(found):
            assert not any(rect.intersects(other) for other in found[n + 1 :]), found

    check()
    view.grab().save(str(artifacts / "roi_labels.png"))
    view.state.set_zoom(2.5)  # the image overflows the view: labels follow it in
    qtbot.waitUntil(lambda: not view.render_pending)
    check()
    view.grab().save(str(artifacts / "roi_labels_zoomed.png"))
