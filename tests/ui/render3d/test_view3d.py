"""The 3-D view in the real main window, rendered headless (VTK offscreen through EGL): the
demo's label surfaces in their table colours, an edit in a slice view redrawn in 3-D within
300 ms, rotate/zoom/pan with the mouse, a click on a surface moving the crosshair, volume
rendering presets and MIP, the layouts "3d" and "4", `medgui view --layout 3d`, and no VTK
loaded at start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from view_testing import at, click

from medgui.core.image.reformat import Plane

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier
ROOT = Path(__file__).resolve().parents[3]


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    rows = data.reshape(height, image.bytesPerLine())[:, : 3 * width]
    return rows.reshape(height, width, 3).copy()  # the buffer goes with the converted image


def _near(pixels: np.ndarray, rgb, tolerance=60) -> int:
    """How many pixels are within `tolerance` of `rgb` (shading darkens and lightens)."""
    return int((np.abs(pixels.astype(int) - rgb).sum(axis=-1) < tolerance).sum())


def _screen_point(view3d, lps) -> QPoint:
    """Where the scene draws LPS point `lps`, in the widget's pixels."""
    renderer = view3d.scene.renderer
    renderer.SetWorldPoint(*lps, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    height = view3d.scene.window.GetSize()[1]
    ratio = view3d.devicePixelRatioF()
    return QPoint(round(x / ratio), round((height - 1 - y) / ratio))


@pytest.fixture
def demo_3d(qtbot, window, demo_study, wait_shown):
    """The demo open with its labels, in the 3-D layout, surfaces drawn."""
    window.resize(1400, 900)
    window.demo_labels.expect(demo_study.labels_path)
    window.open_path(demo_study.dicom_dir)
    wait_shown(window, 30_000)
    qtbot.waitUntil(lambda: window.labels.context.session.labelmap.layers[0].any(), timeout=20_000)
    window.activateWindow()
    qtbot.keyClick(window, K.Key_5, CTRL)
    layout = window.view_layout
    assert layout.layout_name == "3d" and window.menu_actions["layout_3d"].isChecked()
    view3d = layout.view3d
    assert view3d.isVisibleTo(window) and not any(v.isVisible() for v in layout.views.values())
    qtbot.waitUntil(lambda: len(view3d.scene.surfaces) == 4 and not view3d.render_pending,
                    timeout=20_000)  # fmt: skip
    return window, view3d


@pytest.mark.timeout(120)
def test_label_surfaces_rotate_zoom_pan_and_pick(qtbot, demo_3d, artifacts):
    window, view3d = demo_3d
    table = window.labels.context.session.labelmap.table
    assert [s.name for s in view3d.scene.surfaces] == [label.name for label in table.labels]
    pixels = _pixels(view3d.render_to_image())
    view3d.render_to_image().save(str(artifacts / "view3d_labels.png"))
    for label in table.labels[:3]:  # liver, spleen, kidney (the lesions are inside them)
        assert _near(pixels, label.color) > 200, label.name

    camera = view3d.scene.renderer.GetActiveCamera()
    position, focal = np.array(camera.GetPosition()), np.array(camera.GetFocalPoint())
    centre = QPoint(view3d.width() // 2, view3d.height() // 2)
    left, right = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
    QTest.mousePress(view3d, left, Qt.KeyboardModifier.NoModifier, centre)
    for step in range(1, 6):
        QTest.mouseMove(view3d, centre + QPoint(20 * step, 0))
    QTest.mouseRelease(view3d, left, Qt.KeyboardModifier.NoModifier, centre + QPoint(100, 0))
    turned = np.array(camera.GetPosition())
    assert np.linalg.norm(turned - position) > 10  # rotated about the focal point
    assert np.linalg.norm(turned - focal) == pytest.approx(np.linalg.norm(position - focal))
    QTest.mousePress(view3d, right, Qt.KeyboardModifier.NoModifier, centre)
    for step in range(1, 6):
        QTest.mouseMove(view3d, centre + QPoint(0, -10 * step))
    QTest.mouseRelease(view3d, right, Qt.KeyboardModifier.NoModifier, centre + QPoint(0, -50))
    assert np.linalg.norm(np.array(camera.GetPosition()) - focal) < np.linalg.norm(turned - focal)
    QTest.mousePress(view3d, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(view3d, centre + QPoint(30, 30))
    QTest.mouseRelease(view3d, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                       centre + QPoint(30, 30))  # fmt: skip
    assert np.linalg.norm(np.array(camera.GetFocalPoint()) - focal) > 5  # panned
    qtbot.keyClick(view3d, K.Key_R)
    np.testing.assert_allclose(camera.GetFocalPoint(), focal, atol=1e-6)
    np.testing.assert_allclose(camera.GetPosition(), position, atol=1e-6)
    qtbot.waitUntil(lambda: not view3d.render_pending)

    # A click on the liver's front moves the crosshair onto the liver.
    session, state = window.labels.context.session, window.view_layout.state
    volume = window.view_layout.volume
    liver = np.argwhere(session.labelmap.layers[0] == 1).mean(axis=0)[::-1]  # (i, j, k)
    QTest.mouseClick(view3d, left, Qt.KeyboardModifier.NoModifier,
                     _screen_point(view3d, volume.voxel_to_world(liver)))  # fmt: skip
    i, j, k = state.crosshair
    around = session.labelmap.layers[0][k - 1 : k + 2, j - 1 : j + 2, i - 1 : i + 2]
    assert (around == 1).any(), state.crosshair
    assert j < liver[1]  # on the front (anterior) face, toward the viewer
    assert view3d.scene.marker.GetVisibility()


@pytest.mark.timeout(120)
def test_an_edit_shows_in_3d_at_once_and_the_four_view_layout(qtbot, demo_3d, artifacts, dab):
    window, view3d = demo_3d
    qtbot.keyClick(window, K.Key_4, CTRL)
    layout = window.view_layout
    assert layout.layout_name == "4"
    assert all(v.isVisibleTo(window) for v in layout.views.values()) and view3d.isVisible()
    qtbot.waitUntil(
        lambda: not view3d.render_pending and not layout.views[Plane.AXIAL].render_pending
    )
    session, state = window.labels.context.session, layout.state
    spleen_before = next(s for s in view3d.scene.surfaces if s.name == "spleen")
    liver_before = next(s for s in view3d.scene.surfaces if s.name == "liver")
    session.set_active(2)  # spleen
    axial = layout.views[Plane.AXIAL]
    state.set_active_plane(Plane.AXIAL)
    axial.setFocus()
    qtbot.keyClick(axial, K.Key_P)
    window.labels.tools.set_radius(8.0)
    edited: list[float] = []  # when the brush's voxels changed: the edit the 3-D view follows
    session.voxels_changed.connect(lambda *_: edited.append(time.perf_counter()))
    with qtbot.waitSignal(view3d.surfaces_updated, timeout=3_000):
        click(axial, at(axial, 60, 128))  # front of the body, away from the spleen
    elapsed = time.perf_counter() - edited[0]
    # The goal is 300 ms; contouring the spleen again takes ~65 ms (benchmarks/bench_3d.py) and
    # the rest is the event loop's turns, which a machine running other work stretches: twice
    # the goal fails the test, as a run that re-contoured every label would.
    assert elapsed < 0.6, f"the edit took {elapsed * 1000:.0f} ms to reach the 3-D view"
    spleen = next(s for s in view3d.scene.surfaces if s.name == "spleen")
    assert spleen is not spleen_before and spleen.box[1].start <= 60
    assert next(s for s in view3d.scene.surfaces if s.name == "liver") is liver_before
    qtbot.waitUntil(lambda: not view3d.render_pending)
    window.view_layout.grab().save(str(artifacts / "layout_4.png"))


@pytest.mark.timeout(120)
def test_volume_rendering_presets_and_mip(qtbot, demo_3d, artifacts):
    _, view3d = demo_3d
    view3d.show_surfaces.setChecked(False)
    qtbot.waitUntil(lambda: not view3d.render_pending)
    empty = _pixels(view3d.render_to_image())
    frames = {}
    for mode in ("bone", "soft tissue", "vessels", "mip"):
        view3d.set_mode(mode)
        assert view3d.scene.mode == mode
        frames[mode] = _pixels(view3d.render_to_image())
        view3d.render_to_image().save(str(artifacts / f"view3d_{mode.replace(' ', '_')}.png"))
        assert (np.abs(frames[mode].astype(int) - empty).sum(axis=-1) > 30).sum() > 2000, mode
    # Bone shows the spine, bright and narrow; soft tissue the whole trunk.
    lit = {
        mode: int((frame.astype(int).sum(axis=-1) > 150).sum()) for mode, frame in frames.items()
    }
    assert lit["soft tissue"] > 2 * lit["bone"]
    with pytest.raises(ValueError, match="volume mode"):
        view3d.scene.set_mode("lungs")


def test_layout_3d_screenshot_from_the_command_line(demo_study, tmp_path, qapp):
    from medgui.cli.main import main

    out = tmp_path / "3d.png"
    args = ["view", str(demo_study.dicom_dir), "--labels", str(demo_study.labels_path)]
    assert main([*args, "--layout", "3d", "--size", "400x300", "--screenshot", str(out)]) == 0
    pixels = _pixels(QImage(str(out)))
    assert pixels.shape == (300, 400, 3)
    assert _near(pixels, (221, 130, 101)) > 100  # the liver's colour
    bone = tmp_path / "bone.png"
    assert main([*args, "--layout", "3d", "--render3d", "bone", "--size", "400x300",
                 "--screenshot", str(bone)]) == 0  # fmt: skip
    assert not np.array_equal(_pixels(QImage(str(bone))), pixels)
    assert main([*args, "--render3d", "bone", "--screenshot", str(bone)]) == 1  # layout 1
    four = tmp_path / "4.png"
    assert main([*args, "--layout", "4", "--size", "600x300", "--screenshot", str(four)]) == 0
    assert QImage(str(four)).width() == 600


def test_vtk_is_not_imported_at_start():
    code = (
        "import sys, medgui.app, medgui.ui.window.main_window, medgui.ui.window.screenshot;"
        "print(sorted(m for m in sys.modules if m.startswith('vtk')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
        env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.stdout.strip() == "[]"
