"""The headless screenshot draws what the window draws over a series: its DICOM overlay planes
(60xx) in yellow, and, given the workspace holding its saved work, its key-image mark."""

from __future__ import annotations

from pathlib import Path

import data_store
import numpy as np
from PySide6.QtGui import QImage

from medgui.core.annotations.key_images import KeyImage
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.annotations.store import series_key
from medgui.core.image.reformat import Plane
from medgui.core.io.load import load_volume
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ui.window.screenshot import render_screenshot

OVERLAY_FILE = Path(data_store.__file__).parent / "data" / "MR-SIEMENS-DICOM-WithOverlays.dcm"


def _rgb(path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()]
    return rows.reshape(image.height(), image.width(), 3).astype(int)


def _yellow(pixels: np.ndarray) -> np.ndarray:
    return (pixels[..., 0] > 200) & (pixels[..., 1] > 180) & (pixels[..., 2] < 120)


def test_screenshot_draws_the_dicom_overlay_planes(artifacts):
    out = render_screenshot(OVERLAY_FILE, artifacts / "screenshot_dicom_overlay.png")
    yellow = _yellow(_rgb(out))
    # The orientation letters by the edges and the dashed crosshair are yellow too: left out.
    yellow[:, yellow.sum(axis=0) > 100] = False
    inside = yellow[60:-60, 60:-60]
    # 323 overlay bits of a 484-column image in a 1024-pixel view: each is several pixels.
    assert inside.sum() > 323


def test_screenshot_marks_a_key_image_of_the_saved_work(single_series, tmp_path, artifacts):
    volume = load_volume(single_series)
    key = series_key(volume)
    mark = KeyImage(plane=Plane.AXIAL, slice_index=5, center=40, width=400)
    workspace = Workspace(tmp_path / "ws")
    notes = SeriesAnnotations(key_images=[mark])
    workspace.save_series(SeriesWork(key=key, uid=key, annotations=notes.to_json()))
    plain = _rgb(render_screenshot(single_series, tmp_path / "plain.png", slice=5))
    marked_png = artifacts / "screenshot_key_image.png"
    marked = _rgb(render_screenshot(single_series, marked_png, slice=5, workspace=workspace.root))
    other = _rgb(
        render_screenshot(single_series, tmp_path / "other.png", slice=0, workspace=workspace.root)
    )
    # The mark is a line of text in the top-right corner, under the series lines.
    corner = (slice(0, 200), slice(1024 - 300, 1024))
    changed = np.abs(marked[corner] - plain[corner]).sum(axis=-1) > 60
    assert changed.sum() > 50
    # Another slice is not marked.
    plain0 = _rgb(render_screenshot(single_series, tmp_path / "plain0.png", slice=0))
    assert np.array_equal(other[corner], plain0[corner])
