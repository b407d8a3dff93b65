"""The 3-D view: frames per second while rotating the demo study with its label surfaces (the
goal is 30), the same with bone volume rendering while dragging, how long an edit takes to be
contoured again, and what the 3-D view costs the app's start-up (nothing: VTK loads only when a
3-D layout is chosen).

Frames are what the view does per mouse move: turn the camera, render offscreen (VTK through
EGL; Mesa's llvmpipe software renderer on a machine without a GPU), read the pixels back and
make the QImage the widget paints, in an 800×600 view (drawn at half resolution from the
coarse meshes while the mouse drags, as the view does; the still frame's full detail is printed
too). The edit is a brush dab (8 mm disc) on the spleen: the labels it touched contoured again
and smoothed, as the view's worker does.
Start-up: the import of the main window in a fresh interpreter, this tree against the tree at
MEDGUI_BASELINE (default /work/main, before the 3-D view), best of three each.

Run: .venv/bin/python benchmarks/bench_3d.py [--seconds S]
Prints a table, then (last line) one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from medgui.core.image.viewer_state import ViewerState  # noqa: E402
from medgui.core.labels.io import load_with_labels  # noqa: E402
from medgui.core.workspace.demo import write_demo_study  # noqa: E402

GOAL_FPS = 30.0
GOAL_EDIT_MS = 300.0
SIZE = (800, 600)
ROOT = Path(__file__).resolve().parents[1]


def _fps(view, seconds: float) -> float:
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        view.scene.rotate(3.0, 0.5)
        view._render()  # what a mouse move does: turn, render, read back, make the QImage
        frames += 1
    return frames / (time.perf_counter() - start)


def _edit_ms(labelmap, surfaces, runs: int = 7) -> float:
    from medgui.ui.render3d.surfaces import update_surfaces

    layer = labelmap.layers[0]
    (spleen,) = [s for s in surfaces if s.name == "spleen"]
    k = (spleen.box[0].start + spleen.box[0].stop) // 2
    j, i = spleen.box[1].start, (spleen.box[2].start + spleen.box[2].stop) // 2
    box = (slice(k, k + 1), slice(j - 3, j + 3), slice(i - 3, i + 3))  # ±4 mm at 1.4 mm
    times = []
    for _ in range(runs):
        layer[box] = spleen.value
        start = time.perf_counter()
        update_surfaces(surfaces, [layer.copy()], labelmap.table.labels, labelmap.spacing_mm,
                        [(0, box)])  # fmt: skip
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _import_s(tree: Path) -> tuple[float, bool]:
    """Best of three: seconds to import the main window, and whether VTK came with it."""
    code = (
        "import time, sys; t = time.perf_counter(); import medgui.ui.window.main_window;"
        "print(time.perf_counter() - t, any(m.startswith('vtk') for m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(tree)}
    best, vtk = float("inf"), False
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=tree).stdout.split()  # fmt: skip
        best, vtk = min(best, float(out[0])), vtk or out[1] == "True"
    return best, vtk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of rotation each")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from medgui.ui.render3d.surfaces import label_surfaces
    from medgui.ui.render3d.view3d import View3D

    with tempfile.TemporaryDirectory() as folder:
        study = write_demo_study(folder)
        volume, labelmap = load_with_labels(study.dicom_dir, labels=study.labels_path)
    start = time.perf_counter()
    surfaces = label_surfaces(labelmap.layers, labelmap.table.labels, labelmap.spacing_mm)
    all_ms = (time.perf_counter() - start) * 1000
    view = View3D()
    view.resize(*SIZE)
    view.set_volume(volume, ViewerState(volume))
    view.scene.set_surfaces(surfaces)
    view._render()
    renderer = "software" if view.scene.software else "GPU"
    still_fps = _fps(view, args.seconds)
    view.scene.set_interactive(True)  # as during a drag
    surface_fps = _fps(view, args.seconds)
    view.set_mode("bone")
    bone_fps = _fps(view, args.seconds)
    edit_ms = _edit_ms(labelmap, surfaces)
    baseline = Path(os.environ.get("MEDGUI_BASELINE", "/work/main"))
    this_s, this_vtk = _import_s(ROOT)
    base_s, _ = _import_s(baseline) if baseline.is_dir() else (float("nan"), False)
    app.processEvents()

    figures = {
        "renderer": renderer,
        "size": list(SIZE),
        "triangles": sum(s.mesh.GetNumberOfPolys() for s in surfaces),
        "surfaces_fps": round(surface_fps, 1),
        "surfaces_fps_vs_goal_30": round(surface_fps / GOAL_FPS, 2),
        "surfaces_fps_full_detail": round(still_fps, 1),
        "bone_volume_fps_while_dragging": round(bone_fps, 1),
        "all_surfaces_ms": round(all_ms, 1),
        "edit_recontour_ms": round(edit_ms, 1),
        "edit_vs_goal_300ms": round(edit_ms / GOAL_EDIT_MS, 2),
        "startup_import_s": round(this_s, 3),
        "startup_import_baseline_s": round(base_s, 3),
        "startup_ratio_vs_baseline": round(this_s / base_s, 2),
        "vtk_imported_at_startup": this_vtk,
    }
    print(f"renderer: {renderer}, {SIZE[0]}x{SIZE[1]}, {figures['triangles']} triangles")
    ratio = surface_fps / GOAL_FPS
    print(f"label surfaces, rotating:        {surface_fps:6.1f} fps  ({ratio:.2f}× goal 30)")
    print(f"  the still frame's full detail: {still_fps:6.1f} fps")
    print(f"bone volume rendering, dragging: {bone_fps:6.1f} fps")
    print(f"all surfaces contoured:          {all_ms:6.0f} ms")
    print(f"an edit contoured again:         {edit_ms:6.0f} ms  (goal 300 ms in all)")
    print(f"start-up import: {this_s:.3f} s, baseline {base_s:.3f} s, VTK imported: {this_vtk}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
