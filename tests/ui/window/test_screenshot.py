"""`render_screenshot`: the headless PNG of the views, and its option checks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from medgui.ui.window.screenshot import render_screenshot


def _grey(path) -> np.ndarray:
    loaded = QImage(str(path))
    image = loaded.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    # A copy: the buffer belongs to `image`, which goes away on return.
    return rows[:, : image.width()].copy()


def test_screenshot_of_the_demo(demo_study, artifacts, view_factory):
    out = render_screenshot(
        demo_study.dicom_dir, artifacts / "screenshot_demo_abdomen.png", view_factory=view_factory
    )
    grey = _grey(out)
    assert grey.shape == (768, 1024)
    assert grey.max() > 200 and (grey < 10).mean() > 0.3  # bright anatomy on a black field


def test_screenshot_options_change_the_image(demo_study, artifacts, view_factory):
    soft = render_screenshot(
        demo_study.dicom_dir,
        artifacts / "screenshot_soft.png",
        preset="abdomen",
        slice=40,
        view_factory=view_factory,
    )
    lung = render_screenshot(
        demo_study.dicom_dir,
        artifacts / "screenshot_lung.png",
        window=1500,
        level=-600,
        slice=40,
        view_factory=view_factory,
    )
    three = render_screenshot(
        demo_study.dicom_dir,
        artifacts / "screenshot_layout3.png",
        layout="3",
        size=(900, 600),
        view_factory=view_factory,
    )
    assert not np.array_equal(_grey(soft), _grey(lung))
    assert _grey(three).shape == (600, 900)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": "2"}, "layout must be"),
        ({"preset": "nope"}, "unknown preset"),
        ({"window": 400}, "go together"),
        ({"preset": "lung", "window": 1, "level": 1}, "either a preset"),
        ({"slice": 500}, "outside 0..79"),
    ],
)
def test_bad_options_are_clear_errors(demo_study, tmp_path, options, message, view_factory):
    with pytest.raises(ValueError, match=message):
        render_screenshot(
            demo_study.dicom_dir, tmp_path / "x.png", view_factory=view_factory, **options
        )
