"""Screenshots of the slice views on the demo CT, with overlays, a ruler and an ROI.

They are saved to tests/ui/artifacts/ to be looked at; the test also checks the ruler drawn
across the phantom's 20 mm liver lesion against the lesion's labelled extent.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from view_testing import artifacts_dir, at, drag, make_view, move

from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.core.workspace.demo import LESION, make_phantom
from medgui.ui.measure.context import MeasurementContext, Tool


@pytest.fixture(scope="module")
def phantom():
    phantom = make_phantom()
    phantom.ct.metadata.update(
        PatientName="Demo^Phantom", PatientID="DEMO-001", StudyDate="20240115", SeriesNumber=1
    )
    return phantom


def test_demo_ct_screenshots_with_measurements(qtbot, phantom):
    ct = phantom.ct
    state = ViewerState(ct)
    state.set_window(40, 400)
    state.set_layout("3")
    centre = next(lesion for lesion in phantom.lesions if lesion["diameter_mm"] == 20.0)
    i, j, k = np.rint(ct.world_to_voxel(centre["center_lps_mm"])).astype(int)
    state.set_crosshair((i, j, k))
    context = MeasurementContext()
    views = {
        plane: make_view(qtbot, ct, plane, state=state, measurements=context, size=(512, 512))
        for plane in Plane
    }
    axial = views[Plane.AXIAL]

    # A ruler across the lesion, between the outer edges of its labelled pixels on this row.
    cols = np.flatnonzero(phantom.labels.array[k, j] == LESION)
    context.set_tool(Tool.RULER)
    drag(axial, at(axial, j, cols[0] - 0.5), at(axial, j, cols[-1] + 0.5))
    (ruler,) = context.measurements()
    assert ruler.length_mm == pytest.approx(20.0, abs=ct.spacing_mm[0])
    # An ellipse ROI in the liver, away from the lesions.
    context.set_tool(Tool.ELLIPSE)
    drag(axial, at(axial, j + 20, i - 10), at(axial, j + 40, i + 15))
    (_, roi) = context.measurements()
    assert abs(roi_mean(context, roi) - 60.0) < 5.0  # liver, 60 HU nominal
    context.set_tool(Tool.NAVIGATE)
    move(axial, at(axial, j, i))  # the value under the cursor: the lesion centre

    folder = artifacts_dir()
    images = {plane: view.render_to_image() for plane, view in views.items()}
    for plane, image in images.items():
        assert image.save(str(folder / f"slice_view_{plane.value}.png"))
    composite = QImage(512 * 3, 512, QImage.Format.Format_RGB32)
    painter = QPainter(composite)
    for n, plane in enumerate(Plane):
        painter.drawImage(512 * n, 0, images[plane])
    painter.end()
    assert composite.save(str(folder / "slice_view_three_planes.png"))
    assert "HU" in axial.overlay.corner_text("bottom_right")[0]


def roi_mean(context, roi) -> float:
    return float(context.describe(roi).split("±")[0])


def test_screenshot_flipped_rotated_zoomed(qtbot, phantom):
    ct = phantom.ct
    view = make_view(qtbot, ct, Plane.AXIAL, size=(512, 512))
    state = view.state
    state.set_window(-600, 1500)
    state.set_slice(Plane.AXIAL, 70)
    state.set_rotate(90)
    state.set_flip_h(True)
    state.set_zoom(1.6)
    image = view.render_to_image()
    assert image.save(str(artifacts_dir() / "slice_view_axial_rot90_fliph_zoom.png"))
    assert view.overlay.orientation == {"top": "L", "right": "A", "bottom": "R", "left": "P"}
