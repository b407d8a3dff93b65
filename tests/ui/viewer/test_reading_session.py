"""One reading session on the real main window, as the viewer issue's Tests section lists it:
open the demo study, scroll, window/level by drag and by preset, three planes and the linked
crosshair, a ruler and an ROI on the 20 mm liver lesion checked against the phantom's geometry,
the tag browser, and a folder with bad files in the problems panel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from view_testing import at, click, drag, wheel

from medgui.core.annotations.measurements import EllipseROI, Ruler, roi_statistics
from medgui.core.image.reformat import Plane, voxel_to_slice_pixel
from medgui.core.image.windowing import CT_PRESETS
from medgui.core.workspace.demo import NOMINAL_HU

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


def _lesion_20mm(demo_study) -> dict:
    """The 20 mm liver lesion of the demo phantom (`make_phantom().lesions`)."""
    (lesion,) = [m for m in demo_study.lesions if m["diameter_mm"] == 20.0]
    return lesion


def _edge_radius(values: np.ndarray, row: float, col: float) -> float:
    """The radius (pixels) of the round lesion centred at (row, col) as the image shows it:
    where the mean over rings of pixels crosses halfway from the inside's grey to the
    surroundings' (one row alone is at the mercy of the correlated noise)."""
    rows, cols = np.indices(values.shape)
    distance = np.hypot(rows - row, cols - col)
    inside = values[distance < 4].mean()
    around = values[(distance > 10) & (distance < 13)].mean()
    halfway = (inside + around) / 2
    edges = np.arange(1, 10, 0.25)
    rings = [values[(distance >= r) & (distance < r + 0.5)].mean() for r in edges]
    n = int(np.argmax(np.asarray(rings) > halfway))
    # The ring means are for ring centres r + 0.25; interpolate between the two around it.
    low, high = rings[n - 1], rings[n]
    return float(edges[n - 1] + 0.25 + 0.25 * (halfway - low) / (high - low))


def _only(context, kind):
    (m,) = [m for m in context.measurements() if isinstance(m, kind)]
    return m


@pytest.mark.timeout(120)
def test_a_reading_session(
    qtbot, window, demo_study, folder_with_bad_file, wait_shown, wait_drawn, artifacts, qapp
):
    from medgui.ui.common.theme import apply_dark_theme

    apply_dark_theme(qapp)
    window.resize(1400, 900)
    window.activateWindow()  # window shortcuts (Ctrl+3, Ctrl+T) need the active window

    # Open the demo study: its one series loads by itself.
    window.open_path(demo_study.dicom_dir)
    wait_shown(window, 30_000)
    layout = window.view_layout
    state, volume = layout.state, layout.volume
    assert volume.shape_zyx == (80, 256, 256) and volume.modality == "CT"
    axial = layout.views[Plane.AXIAL]
    assert axial.isVisibleTo(window)
    axial.setFocus()

    # Scroll: the wheel (a notch toward the user is the next slice) and the keys.
    start = state.slice_index(Plane.AXIAL)
    middle = at(axial, 128, 128)
    wheel(axial, middle, notches=-1)
    assert state.slice_index(Plane.AXIAL) == start + 1
    wheel(axial, middle, notches=3)
    assert state.slice_index(Plane.AXIAL) == start - 2
    qtbot.keyClick(axial, K.Key_Home)
    assert state.slice_index(Plane.AXIAL) == 0
    qtbot.keyClick(axial, K.Key_Down)
    assert state.slice_index(Plane.AXIAL) == 1
    qtbot.keyClick(axial, K.Key_Up)
    for _ in range(6):  # a page is a tenth of the 80 slices
        qtbot.keyClick(axial, K.Key_PageDown)
    lesion = _lesion_20mm(demo_study)
    k, j, i = (float(v) for v in volume.world_to_voxel(lesion["center_lps_mm"])[::-1])
    assert state.slice_index(Plane.AXIAL) == 48 == round(k)  # the slice through its centre
    qtbot.waitUntil(lambda: not axial.render_pending)
    assert axial.overlay.corner_text("bottom_left")[0] == "Im 49/80"

    # Window/level: a drag to the right widens the window, down raises the level.
    before = state.window
    drag(axial, middle, middle + QPointF(80, 40))
    assert state.window.width > before.width and state.window.center > before.center
    qtbot.keyClick(axial, K.Key_2)
    assert state.window == CT_PRESETS["subdural"]
    qtbot.keyClick(axial, K.Key_R)
    assert state.window == state.default_window
    qtbot.keyClick(axial, K.Key_7)  # liver: the 20 HU lesion shows against 60 HU liver
    assert state.window == CT_PRESETS["liver"]

    # Three planes, and a click in the axial view moves the other two to the clicked voxel.
    qtbot.keyClick(window, K.Key_3, CTRL)
    assert layout.layout_name == "3"
    assert all(view.isVisibleTo(window) for view in layout.views.values())
    wait_drawn(layout)  # the splitters share out the space on the next turn
    coronal, sagittal = layout.views[Plane.CORONAL], layout.views[Plane.SAGITTAL]
    assert state.slice_index(Plane.CORONAL) != 100 and state.slice_index(Plane.SAGITTAL) != 60
    click(axial, at(axial, 100, 60))
    assert state.slice_index(Plane.CORONAL) == 100  # rows of an axial slice are j
    assert state.slice_index(Plane.SAGITTAL) == 60  # columns are i
    assert state.slice_index(Plane.AXIAL) == 48
    for view in (coronal, sagittal):
        qtbot.waitUntil(lambda view=view: not view.render_pending)
    assert (coronal.shown_index, sagittal.shown_index) == (100, 60)

    # Zoom in on the lesion (Ctrl+wheel zooms about the cursor), as a reader would to measure.
    _, row, col = voxel_to_slice_pixel(volume, Plane.AXIAL, (i, j, k))
    wheel(axial, at(axial, row, col), notches=5, modifiers=CTRL)
    assert state.zoom == pytest.approx(1.25**5)

    # An ellipse ROI inside the lesion (5 mm radius): its mean is the lesion's HU.
    qtbot.keyClick(axial, K.Key_E)
    radius_px = 5.0 / volume.spacing_mm[0]
    corner0 = at(axial, row - radius_px, col - radius_px)
    corner1 = at(axial, row + radius_px, col + radius_px)
    drag(axial, corner0, corner1)
    roi = _only(window.measurements, EllipseROI)
    stats = roi_statistics(roi, window.measurements.slice_values(Plane.AXIAL, 48))
    assert stats.n_pixels > 30
    assert stats.mean == pytest.approx(NOMINAL_HU["liver_lesion"], abs=10)
    assert stats.area_mm2 == pytest.approx(np.pi * 5.0**2, rel=0.25)

    # A ruler across the lesion, its ends at the edge the image shows: its diameter. (Drawn
    # second: a ruler catches presses several pixels either side of its line.)
    radius = _edge_radius(axial._values.astype(float), row, col)
    qtbot.keyClick(axial, K.Key_M)
    drag(axial, at(axial, row, col - radius), at(axial, row, col + radius))
    ruler = _only(window.measurements, Ruler)
    assert ruler.plane is Plane.AXIAL and ruler.slice_index == 48
    assert ruler.length_mm == pytest.approx(lesion["diameter_mm"], abs=1.5)
    assert window.measurement_dock.isVisibleTo(window)
    assert window.measurement_panel.table.rowCount() == 2
    assert f"{ruler.length_mm:.1f} mm" in axial.measurements.items[ruler.uid].label.toPlainText()
    qtbot.keyClick(axial, K.Key_W)  # back to window/level

    # The tag browser (Ctrl+T) shows the slice's header; search finds the patient's name.
    qtbot.keyClick(window, K.Key_T, CTRL)
    # On screen, not just open: it shares a tab with the measurements and comes to the front.
    assert not window.tags.visibleRegion().isEmpty()
    qtbot.waitUntil(lambda: window.tags.path is not None)
    qtbot.keyClicks(window.tags.search, "PatientName")
    assert "PatientName" in window.tags.visible_keywords()
    (name,) = window.tags.find_items("PatientName")
    assert "Demo" in name.text(3)

    wait_drawn(layout)
    out = artifacts / "reading_session.png"
    assert window.grab().save(str(out))
    assert out.stat().st_size > 10_000

    # A folder with a file that is not DICOM and a truncated one: both listed, with reasons.
    window.open_path(folder_with_bad_file)
    wait_shown(window)
    problems = {row[1].split("/")[-1]: row for row in window.problems.rows()}
    assert {"notes.txt", "broken.dcm"} <= set(problems)
    assert all(problems[name][2] for name in ("notes.txt", "broken.dcm"))
    assert window.problems.isVisibleTo(window)
