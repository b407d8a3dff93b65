"""Edit → 3-D view latency: how long a brush dab on the demo's spleen takes to show in the 3-D
view, end to end as in the app (the label session's edit and its signal, the view's worker
contouring the touched label again, the result landing on the GUI thread, the frame rendered).
The goal is 300 ms. Each of 20 dabs (8 mm discs at different places on the spleen) waits for
the previous one to be shown: the latency of a quiet moment, not of a queue. The time inside
the contouring function is measured apart, so the rest (signal hops, the worker's start, the
render) is the difference.

Run: .venv/bin/python benchmarks/bench_edit3d.py [--edits N]
Prints a table, then (last line) one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from scipy import ndimage  # noqa: E402

from medgui.core.image.reformat import Plane  # noqa: E402
from medgui.core.image.viewer_state import ViewerState  # noqa: E402
from medgui.core.labels.io import load_with_labels  # noqa: E402
from medgui.core.labels.ops import brush  # noqa: E402
from medgui.core.workspace.demo import write_demo_study  # noqa: E402

GOAL_MS = 300.0
SIZE = (800, 600)


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from medgui.ui.labeling.session import LabelContext, LabelSession
    from medgui.ui.render3d import view3d as view3d_module

    with tempfile.TemporaryDirectory() as folder:
        study = write_demo_study(folder)
        volume, labelmap = load_with_labels(study.dicom_dir, labels=study.labels_path)
    (spleen,) = [label for label in labelmap.table.labels if label.name == "spleen"]
    state, context = ViewerState(volume), LabelContext()
    view = view3d_module.View3D(context)
    view.resize(*SIZE)
    view.set_volume(volume, state)
    context.set_session(LabelSession(volume, labelmap=labelmap), state)
    session = context.session

    contour_ms: list[float] = []
    real = view3d_module.update_surfaces

    def timed(*a):
        start = time.perf_counter()
        try:
            return real(*a)
        finally:
            contour_ms.append((time.perf_counter() - start) * 1000)

    view3d_module.update_surfaces = timed
    landed: list[float] = []
    view.surfaces_updated.connect(lambda: landed.append(time.perf_counter()))

    def wait_shown(count: int) -> float:
        """Run the event loop until `count` results landed and their frame is rendered."""
        while len(landed) < count or view._render_timer.isActive():
            app.processEvents()
            time.sleep(0.0005)  # a blocked GUI thread's idle: lets the worker run
        return time.perf_counter()

    wait_shown(1)  # every surface, once
    # Dabs on the spleen's edge (it grows there: a dab inside it changes nothing), at random
    # places over its extent; a dab that changed nothing (an earlier one grew it there) is
    # not counted.
    mask = labelmap.layers[spleen.layer] == spleen.value
    edge = mask & ~ndimage.binary_erosion(mask, np.ones((1, 3, 3), bool))
    zs, ys, xs = np.nonzero(edge)
    order = np.random.default_rng(0).permutation(len(zs))
    totals, edit_ms, shown_after_landing = [], [], []
    for p in order:
        if len(totals) == args.edits:
            break
        before = len(contour_ms)
        start = time.perf_counter()
        changed = brush(session.labelmap, session.history, spleen.value, Plane.AXIAL,
                        int(zs[p]), (float(ys[p]), float(xs[p])), 4.0)  # fmt: skip
        if changed is None:
            continue
        edit_ms.append((time.perf_counter() - start) * 1000)
        end = wait_shown(len(totals) + 2)
        totals.append((end - start) * 1000)
        shown_after_landing.append((end - landed[-1]) * 1000)
        assert len(contour_ms) == before + 1, "one contouring run per dab at a quiet moment"
    contours = contour_ms  # the first run, every surface, went before the wrapper
    median = statistics.median(totals)
    parts = zip(totals, contours, edit_ms, shown_after_landing, strict=True)
    hops = [t - c - e - r for t, c, e, r in parts]
    figures = {
        "renderer": "software" if view.scene.software else "GPU",
        "edits": args.edits,
        "edit_to_3d_median_ms": round(median, 1),
        "edit_to_3d_p95_ms": round(_p95(totals), 1),
        "median_vs_goal_300ms": round(median / GOAL_MS, 2),
        "p95_vs_goal_300ms": round(_p95(totals) / GOAL_MS, 2),
        "brush_edit_median_ms": round(statistics.median(edit_ms), 1),
        "contouring_median_ms": round(statistics.median(contours), 1),
        "render_after_landing_median_ms": round(statistics.median(shown_after_landing), 1),
        "hops_and_worker_start_median_ms": round(statistics.median(hops), 1),
    }
    print(f"edit → 3-D view, {args.edits} brush dabs on the demo's spleen ({figures['renderer']})")
    p95 = _p95(totals)
    print(f"  median {median:6.1f} ms   p95 {p95:6.1f} ms   ({median / GOAL_MS:.2f}× goal)")
    print(f"  of which: the brush edit {figures['brush_edit_median_ms']} ms, contouring "
          f"{figures['contouring_median_ms']} ms, render after landing "
          f"{figures['render_after_landing_median_ms']} ms; signal hops and the worker's start "
          f"{figures['hops_and_worker_start_median_ms']} ms")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
