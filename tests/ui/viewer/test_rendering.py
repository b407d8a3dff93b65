"""Rendered grey levels follow the DICOM linear window (PS3.3 C.11.2.1.2.1) on real CT and MR.

The expected grey is computed here from the standard's formula with numpy, on the modality
values pydicom itself gives for the file; it never calls the code under test. Both the image
handed to pyqtgraph and the pixels of a grab of the widget are checked.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from view_testing import PYDICOM_FILES, at, grey_at, make_view

from medgui.core import Volume, load_volume
from medgui.core.image.reformat import Plane, extract_slice


def dicom_window(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 with y in 0..255, rounded half up."""
    x = x.astype(np.float64)
    low = center - 0.5 - (width - 1) / 2
    high = center - 0.5 + (width - 1) / 2
    ramp = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    y = np.where(x <= low, 0.0, np.where(x > high, 255.0, ramp))
    return np.floor(y + 0.5).astype(int)


def modality_values(name: str) -> np.ndarray:
    ds = pydicom.dcmread(PYDICOM_FILES / name)
    return apply_modality_lut(ds.pixel_array, ds)


@pytest.mark.parametrize(
    ("name", "window"),
    [
        ("CT_small.dcm", (40.0, 400.0)),  # abdomen
        ("CT_small.dcm", (-600.0, 1500.0)),  # lung
        ("MR_small.dcm", None),  # the header's window (600/1600)
        ("MR_small.dcm", (900.0, 500.0)),
    ],
)
def test_displayed_grey_follows_the_dicom_window(qtbot, name, window):
    volume = load_volume(PYDICOM_FILES / name)
    view = make_view(qtbot, volume)
    state = view.state
    if window is None:
        ds = pydicom.dcmread(PYDICOM_FILES / name, stop_before_pixels=True)
        window = (float(ds.WindowCenter), float(ds.WindowWidth))
        assert (state.window.center, state.window.width) == window
    else:
        state.set_window(*window)
    view.flush()

    values = modality_values(name)
    np.testing.assert_array_equal(extract_slice(volume, Plane.AXIAL, 0), values)
    expected = dicom_window(values, *window)
    rgba = view.image_item.image
    assert rgba.dtype == np.uint8 and rgba.shape == (*values.shape, 4)
    assert (rgba[..., 3] == 255).all()
    assert (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 0] == rgba[..., 2]).all()
    shown = rgba[..., 0].astype(int)
    assert np.abs(shown - expected).max() <= 1
    assert np.mean(shown == expected) > 0.999

    # The screen: the pixel at the image centre of a grab, crosshair hidden.
    view.toggle_crosshair()
    image = view.render_to_image()
    # The array is drawn as it is, in the format Qt's raster engine scales fastest.
    assert view.image_item.qimage.format() == QImage.Format.Format_RGB32
    rows, cols = values.shape
    for row, col in [
        (rows // 2, cols // 2),
        (rows // 4, cols // 3),
        (rows * 2 // 3, cols * 3 // 4),
    ]:
        r, g, b = grey_at(view, image, at(view, row, col))
        assert r == g == b
        assert abs(r - expected[row, col]) <= 1, (row, col)


def test_invert_shows_the_complement(qtbot):
    volume = load_volume(PYDICOM_FILES / "CT_small.dcm")
    view = make_view(qtbot, volume)
    view.state.set_window(40, 400)
    view.state.set_invert(True)
    view.flush()
    expected = 255 - dicom_window(modality_values("CT_small.dcm"), 40, 400)
    assert np.abs(view.image_item.image[..., 0].astype(int) - expected).max() <= 1


def test_colour_volume_shows_rgb_unchanged(qtbot):
    rng = np.random.default_rng(3)
    array = rng.integers(0, 256, size=(2, 20, 30, 3), dtype=np.uint8)
    volume = Volume(array, metadata={"Modality": "XC"})
    view = make_view(qtbot, volume)
    view.state.set_window(10, 20)  # no VOI for colour: this must change nothing
    view.flush()
    index = view.state.slice_index(Plane.AXIAL)
    np.testing.assert_array_equal(view.image_item.image[..., :3], array[index])
    view.toggle_crosshair()
    image = view.render_to_image()
    assert grey_at(view, image, at(view, 5, 7)) == tuple(int(v) for v in array[index, 5, 7])


def test_pixels_are_square_in_millimetres(qtbot):
    array = np.zeros((4, 30, 40), np.int16)
    volume = Volume(array, spacing_mm=(0.5, 2.0, 1.0))  # columns 0.5 mm, rows 2 mm
    view = make_view(qtbot, volume, size=(600, 400))
    drawn = view.slice_group.mapRectToScene(QRectF(-0.5, -0.5, 40, 30))
    assert drawn.width() / drawn.height() == pytest.approx((40 * 0.5) / (30 * 2.0))
    # Fit (zoom 1): the slice fills the view in its limiting direction and is centred.
    assert drawn.height() == pytest.approx(view.box.height(), rel=1e-6)
    assert drawn.center().x() == pytest.approx(
        view.box.mapRectToScene(view.box.rect()).center().x()
    )


def test_flips_and_rotation_move_pixels_and_letters(qtbot):
    array = np.zeros((3, 10, 20), np.int16)
    view = make_view(qtbot, Volume(array))
    state = view.state
    first, last = at(view, 0, 0), at(view, 9, 19)
    assert first.x() < last.x() and first.y() < last.y()
    state.set_flip_h(True)
    assert at(view, 0, 0).x() > at(view, 9, 19).x()
    assert view.overlay.orientation["left"] == "L"
    state.set_flip_h(False)
    state.set_rotate(90)
    # A quarter turn clockwise: the first row runs down the right-hand side.
    assert at(view, 0, 0).x() > at(view, 9, 0).x()
    assert at(view, 0, 0).y() < at(view, 0, 19).y()
    assert view.overlay.orientation == {"top": "R", "right": "A", "bottom": "L", "left": "P"}
