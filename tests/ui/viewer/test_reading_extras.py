"""The smaller reading items in the real main window: key images marked on the image,
bilinear display when zoomed (a setting), the view on show exported as a PNG, measurements
copied to the clipboard as tab-separated text, and DICOM overlay planes (60xx) drawn."""

from __future__ import annotations

from pathlib import Path

import data_store
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from view_testing import at, drag

from medgui.core.image.reformat import Plane
from medgui.ui.reporting.key_image_marks import KEY_LINE

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier
OVERLAY_FILE = Path(data_store.__file__).parent / "data" / "MR-SIEMENS-DICOM-WithOverlays.dcm"


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()]
    return rows.reshape(image.height(), image.width(), 3).copy()


def _open(qtbot, window, path, wait_shown):
    window.open_path(path)
    wait_shown(window, 30_000)
    layout = window.view_layout
    view = layout.views[layout.state.active_plane]
    qtbot.waitUntil(lambda: not view.render_pending)
    return layout, view


def test_key_images_are_marked_on_the_image(qtbot, window, single_series, wait_shown):
    layout, view = _open(qtbot, window, single_series, wait_shown)
    state, plane = layout.state, layout.state.active_plane
    assert KEY_LINE not in view.overlay.corner_text("top_right")
    window.activateWindow()
    qtbot.keyClick(window, K.Key_K, CTRL)  # File → Mark key image
    assert KEY_LINE in view.overlay.corner_text("top_right")
    marked = state.slice_index(plane)
    state.set_slice(plane, marked + 1)
    assert KEY_LINE not in view.overlay.corner_text("top_right")
    state.set_slice(plane, marked)
    assert KEY_LINE in view.overlay.corner_text("top_right")
    session = window.labels.context.session
    session.remove_key_images({k.uid for k in session.annotations.key_images})
    assert KEY_LINE not in view.overlay.corner_text("top_right")


def test_bilinear_display_when_zoomed_is_a_setting(qtbot, window, single_series, wait_shown):
    layout, view = _open(qtbot, window, single_series, wait_shown)
    layout.state.set_zoom(3.0)  # ~50 screen pixels per image pixel
    values = view.shown_values
    centre = values[values.shape[0] // 2, values.shape[1] // 2]  # inside the body
    layout.state.set_window(float(centre), 12.0)  # the ±5 HU noise spans the greys

    def greys() -> int:
        view.flush()
        image = view.render_to_image()
        centre = _rgb(image)[200:300, 200:300, 0]
        return len(np.unique(centre))

    nearest = greys()
    action = window.menu_actions["smooth"]
    action.trigger()
    assert action.isChecked() and window.settings.smooth_display()
    assert view.image_item.smooth
    smooth = greys()
    # Each screen pixel of a nearest-pixel zoom shows one of a few image values; bilinear
    # blends neighbours into many.
    assert smooth > 3 * nearest, (nearest, smooth)
    action.trigger()
    assert not view.image_item.smooth and greys() == nearest


def test_export_the_view_on_show_as_png(qtbot, window, single_series, wait_shown, tmp_path):
    layout, view = _open(qtbot, window, single_series, wait_shown)
    out = window.view_actions.export_png(tmp_path / "view.png")
    image = QImage(str(out))
    assert (image.width(), image.height()) == (layout.width(), layout.height())
    assert _rgb(image).max() > 100  # the slice, not a blank grab


def test_copy_measurements_to_the_clipboard(qtbot, window, single_series, wait_shown):
    layout, view = _open(qtbot, window, single_series, wait_shown)
    view.setFocus()
    qtbot.keyClick(view, K.Key_M)  # ruler
    drag(view, at(view, 10, 10), at(view, 10, 30))
    qtbot.keyClick(view, K.Key_E)  # ellipse ROI
    drag(view, at(view, 15, 15), at(view, 25, 25))
    panel = window.measurement_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    panel.copy_button.click()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == ["Type", "Slice", "Value"]
    rows = [line.split("\t") for line in lines[1:]]
    assert rows == [panel.row_texts(0), panel.row_texts(1)]
    assert rows[0][0] == "Ruler" and rows[0][2].endswith("mm")


def test_dicom_overlay_planes_are_drawn(qtbot, window, wait_shown, artifacts):
    layout, view = _open(qtbot, window, OVERLAY_FILE, wait_shown)
    overlays = window.dicom_overlays
    qtbot.waitUntil(lambda: bool(overlays.overlays), timeout=10_000)
    (plane,) = overlays.overlays[0]
    assert plane.group == 0x6000 and plane.mask.sum() == 323
    assert layout.state.active_plane is Plane.AXIAL
    view.flush()
    image = view.render_to_image()
    image.save(str(artifacts / "dicom_overlay.png"))
    pixels = _rgb(image).astype(int)
    yellow = (pixels[..., 0] > 200) & (pixels[..., 1] > 180) & (pixels[..., 2] < 120)
    assert yellow.sum() > 200  # 323 overlay bits, drawn at more than one screen pixel each
    window.menu_actions["layout_3"].trigger()
    qtbot.waitUntil(lambda: not view.render_pending)
    assert view.isVisible()
