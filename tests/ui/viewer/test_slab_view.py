"""Thick slabs in the real main window: D and + / - in a view and the slab control set the
projection, the overlay names it, the demo's lung nodule shows in a MIP from a slice that misses
it, a big slab is projected in a worker, and `medgui view --slab` renders one headless."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from view_testing import make_view

from medgui.core import Volume
from medgui.core.image.reformat import Plane, voxel_to_slice_pixel
from medgui.core.image.slab import slab_projection
from medgui.core.image.windowing import CT_PRESETS
from medgui.ui.viewer import slab_values

K = Qt.Key


def _nodule(demo_study) -> dict:
    (nodule,) = [m for m in demo_study.lesions if m["name"].startswith("lung nodule")]
    return nodule


@pytest.mark.timeout(90)
def test_a_mip_slab_shows_the_nodule_a_plain_slice_misses(
    qtbot, window, demo_study, wait_shown, artifacts
):
    window.open_path(demo_study.dicom_dir)
    wait_shown(window, 30_000)
    layout = window.view_layout
    state, volume, axial = layout.state, layout.volume, layout.views[Plane.AXIAL]
    ijk = volume.world_to_voxel(_nodule(demo_study)["center_lps_mm"])
    # 4 slices (10 mm) above the nodule's centre: the 8 mm nodule is not on this slice.
    k = round(ijk[2]) + 4
    state.set_crosshair((ijk[0], ijk[1], k))
    _, row, col = (round(v) for v in voxel_to_slice_pixel(volume, Plane.AXIAL, (ijk[0], ijk[1], k)))
    qtbot.waitUntil(lambda: not axial.render_pending)
    assert axial.shown_values[row, col] < -600  # lung

    axial.setFocus()
    qtbot.keyClick(axial, K.Key_D)
    assert state.projection == "mip" and state.slab_mm == 10.0
    qtbot.keyClick(axial, K.Key_Plus)
    qtbot.keyClick(axial, K.Key_Plus)
    assert state.slab_mm == 20.0
    qtbot.waitUntil(lambda: not axial.render_pending)
    assert "MIP 20 mm" in axial.overlay.corner_text("bottom_left")
    assert axial.shown_values[row, col] > -300  # the nodule, from 7.5 mm away
    control = window.slab_control
    assert control.projection.currentText() == "MIP" and control.thickness.value() == 20.0
    lung = CT_PRESETS["lung"]
    state.set_window(lung.center, lung.width)
    axial.render_to_image().save(str(artifacts / "slab_mip_20mm.png"))

    # The control drives the same state: MinIP, then off again.
    control.projection.setCurrentIndex(control.projection.findText("MinIP"))
    assert state.projection == "minip"
    qtbot.waitUntil(lambda: not axial.render_pending)
    assert "MinIP 20 mm" in axial.overlay.corner_text("bottom_left")
    expected = slab_projection(volume, Plane.AXIAL, k, 20.0, "minip")
    np.testing.assert_array_equal(axial.shown_values, expected)
    qtbot.keyClick(axial, K.Key_D)  # minip → mean
    qtbot.keyClick(axial, K.Key_D)  # mean → off
    assert state.projection is None
    qtbot.waitUntil(lambda: not axial.render_pending)
    assert not any("IP" in line for line in axial.overlay.corner_text("bottom_left"))


def test_a_big_slab_is_projected_in_a_worker(qtbot, monkeypatch):
    monkeypatch.setattr(slab_values, "SYNC_VOXELS", 0)  # every slab counts as big
    rng = np.random.default_rng(1)
    volume = Volume(rng.integers(-1000, 1000, (30, 40, 50)).astype(np.int16))
    view = make_view(qtbot, volume, Plane.CORONAL)
    view.state.set_projection("mean")
    assert view.slab.pending or view.render_pending
    qtbot.waitUntil(lambda: not view.render_pending, timeout=5_000)
    index = view.state.slice_index(Plane.CORONAL)
    expected = slab_projection(volume, Plane.CORONAL, index, 10.0, "mean")
    np.testing.assert_array_equal(view.shown_values, expected)


def test_view_slab_screenshot_from_the_command_line(demo_study, tmp_path, qapp):
    from medgui.cli.main import main

    plain, mip = tmp_path / "plain.png", tmp_path / "mip.png"
    assert main(["view", str(demo_study.dicom_dir), "--screenshot", str(plain)]) == 0
    args = ["--slab", "30", "--projection", "mip", "--screenshot", str(mip)]
    assert main(["view", str(demo_study.dicom_dir), *args]) == 0
    a, b = QImage(str(plain)), QImage(str(mip))
    assert a.size() == b.size() and a != b
    with pytest.raises(SystemExit):
        main(["view", str(demo_study.dicom_dir), "--projection", "max", "--screenshot", str(mip)])
    assert main(["view", str(demo_study.dicom_dir), "--slab", "-2", "--screenshot", str(mip)]) == 1
