"""Key images drawn without Qt: the window the user read with, labels in their colours,
the slice's measurements, and a caption that says where the slice is."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from medgui.core.annotations.key_images import KeyImage
from medgui.core.annotations.measurements import measurement_from_dict
from medgui.core.image.reformat import Plane
from medgui.core.image.windowing import window_to_uint8
from medgui.reports.build import build_report
from medgui.reports.key_image_render import TARGET_WIDTH_PX, render_key_image


def _pixels(figure) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(figure.png)).convert("RGB")).astype(int)


def _at(picture: np.ndarray, row: float, col: float, shape) -> np.ndarray:
    """The picture's pixel over slice pixel (row, col)."""
    scale_r, scale_c = picture.shape[0] / shape[0], picture.shape[1] / shape[1]
    return picture[int((row + 0.5) * scale_r), int((col + 0.5) * scale_c)]


def test_window_labels_and_measurements_are_drawn(planted):
    key = KeyImage(plane=Plane.AXIAL, slice_index=5, center=40, width=400)
    measurements = [measurement_from_dict(m) for m in planted.work.measurements]
    figure = render_key_image(
        planted.volume, key, planted.work.labelmap, list(enumerate(measurements, 1))
    )
    picture = _pixels(figure)
    assert picture.shape[1] == figure.width_px == TARGET_WIDTH_PX
    shape = (64, 64)
    body = int(window_to_uint8(np.array([40]), 40, 400)[0])
    assert np.abs(_at(picture, 20, 40, shape) - body).max() <= 2  # unlabelled tissue: grey
    lesion = int(window_to_uint8(np.array([100]), 40, 400)[0])
    expected = 0.5 * lesion + 0.5 * np.array([60, 200, 60])  # the lesion's colour at opacity 0.5
    assert np.abs(_at(picture, 32, 40, shape) - expected).max() <= 3
    ruler = _at(picture, 10, 30, shape)  # on the ruler from (10, 10) to (10, 50)
    assert ruler[0] > 200 and ruler[1] > 180 and ruler[2] < 80  # yellow
    assert figure.caption.startswith("Axial slice 6 of 12, z = 22.5 mm; window W 400 / L 40")


def test_another_window_changes_the_grey(planted):
    narrow = render_key_image(
        planted.volume, KeyImage(plane="axial", slice_index=5, center=40, width=40)
    )
    wide = render_key_image(
        planted.volume, KeyImage(plane="axial", slice_index=5, center=40, width=2000)
    )
    assert _at(_pixels(narrow), 32, 40, (64, 64))[0] == 255  # 100 HU is above a 20..60 window
    assert _at(_pixels(wide), 32, 40, (64, 64))[0] < 160


def test_true_aspect_ratio_on_anisotropic_slices(planted):
    figure = render_key_image(
        planted.volume, KeyImage(plane="coronal", slice_index=30, center=40, width=400)
    )
    # 12 slices x 2.5 mm high, 64 columns x 0.8 mm wide.
    assert figure.height_px == pytest.approx(TARGET_WIDTH_PX * (12 * 2.5) / (64 * 0.8), abs=1)


def test_a_key_image_off_the_volume_becomes_a_note(planted):
    from medgui.core.annotations.model import SeriesAnnotations

    notes = SeriesAnnotations.from_json(planted.work.annotations)
    notes.key_images.append(KeyImage(plane="axial", slice_index=40, center=40, width=400))
    planted.work.annotations = notes.to_json()
    report = build_report(planted.volume, planted.work)
    assert len(report.key_images) == 2
    assert any("axial slice 40" in note for note in report.notes)
