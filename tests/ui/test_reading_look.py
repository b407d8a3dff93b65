"""Issue 13, reading: what the eye needs to see (screenshots in tests/ui/artifacts/)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton, QVBoxLayout, QWidget

from medgui.ui.theme import BACKGROUND, DarkStyle, dark_palette


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
