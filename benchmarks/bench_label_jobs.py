"""The window stays responsive while whole-volume label work runs: clean-up of the active label
(keep largest component, fill holes in 3-D, grow 2 mm), interpolation across a gap (preview and
accept), accepting a two-label model proposal and grow from seeds' start.

Baseline: each core op called on the GUI thread, as the window did before (its wall time is
the stall). Now: the same op triggered from the real main window (offscreen), a 5 ms QTimer
running; the longest gap between its ticks is the longest the event loop was blocked.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_label_jobs.py [--slices N]
Prints a table, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from _common import synthetic_ct  # noqa: E402
from bench_train_ui import GapMeter, wait_until  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from medgui.core.labels.cleanup import fill_holes, grow_shrink, keep_largest_component  # noqa: E402
from medgui.core.labels.interpolate import (  # noqa: E402
    accept_interpolation,
    propose_interpolation,
)
from medgui.core.labels.labelmap import LabelMap, LabelTable  # noqa: E402
from medgui.core.labels.undo import EditHistory  # noqa: E402
from medgui.ml.runtime.proposal import Proposal  # noqa: E402
from medgui.ui.common.settings import AppSettings  # noqa: E402
from medgui.ui.window.main_window import MainWindow  # noqa: E402
from medgui.workers.label_workers import write_proposal  # noqa: E402


def _labels(layer: np.ndarray) -> None:
    """Label 1: a ball with a hole, a small separate blob; slices 0 and n-1 for interpolation."""
    z, y, x = layer.shape
    zz, yy, xx = np.ogrid[:z, :y, :x]
    r2 = ((zz - z / 2) / (z / 3)) ** 2 + ((yy - y / 2) / (y / 4)) ** 2
    r2 = r2 + ((xx - x / 2) / (x / 4)) ** 2
    layer[(r2 < 1) & (r2 > 0.05)] = 1
    layer[z // 2, 10:20, 10:20] = 1


def _proposal(labelmap: LabelMap) -> Proposal:
    z, y, x = labelmap.shape_zyx
    probabilities = np.zeros((3, z, y, x), np.float32)
    probabilities[0] = 1.0
    probabilities[1, :, : y // 2, : x // 2] = 0.9
    probabilities[2, :, y // 2 :, x // 2 :] = 0.9
    probabilities[0, :, : y // 2, : x // 2] = probabilities[0, :, y // 2 :, x // 2 :] = 0.1
    table = LabelTable()
    for name in ("Liver", "Spleen"):
        table.add(name)
    for label, value in zip(table.labels, (7, 8), strict=True):
        label.value = value
    labels = LabelMap([np.zeros((z, y, x), np.uint8)], labelmap.spacing_mm, labelmap.origin,
                      labelmap.direction.copy(), table)  # fmt: skip
    return Proposal(probabilities, labels, [7, 8])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=120)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    volume = synthetic_ct((args.slices, 512, 512))
    volume.metadata.update(Modality="CT", SeriesInstanceUID="1.2.3.4", SeriesDescription="bench")
    with tempfile.TemporaryDirectory() as tmp:
        settings = AppSettings(QSettings(str(Path(tmp) / "m.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings)
        window.resize(1400, 900)
        window.show()
        window.labels.set_workspace(Path(tmp) / "workspace")
        window.labels.dialogs.number = lambda *a, **k: 2.0
        window.jobs.volume_opened.emit(volume)
        window.jobs.volume_loaded.emit(volume, "bench", "", 0.1)
        wait_until(app, lambda: window.labels.context.session is not None, 60)
        session = window.labels.context.session
        actions, jobs = window.labels.actions.actions, window.labels.jobs
        plane = window.labels.context.state.active_plane
        meter = GapMeter()
        rows = {}

        def measure(name, baseline, trigger, done=lambda: not jobs.busy):
            layer = session.labelmap.layers[0]
            layer[...] = 0
            _labels(layer)
            copy = LabelMap([layer.copy()], session.labelmap.spacing_mm, session.labelmap.origin,
                            session.labelmap.direction.copy(),
                            LabelTable.from_json(session.labelmap.table.to_json()))  # fmt: skip
            start = time.perf_counter()
            baseline(copy)
            before_ms = (time.perf_counter() - start) * 1000
            session.history.clear()
            meter.start()
            start = time.perf_counter()
            trigger()
            wait_until(app, done, 600)
            wall_ms = (time.perf_counter() - start) * 1000
            gaps = meter.stop()
            rows[name] = {
                "gui_thread_before_ms": round(before_ms, 1),
                "max_gap_now_ms": round(max(gaps, default=0.0), 1),
                "wall_now_ms": round(wall_ms, 1),
            }

        history = EditHistory
        measure(
            "keep_largest",
            lambda m: keep_largest_component(m, history(), 1),
            actions["keep_largest"].trigger,
        )
        measure("fill_holes_3d", lambda m: fill_holes(m, history(), 1),
                actions["fill_holes"].trigger)  # fmt: skip
        measure("grow_2mm", lambda m: grow_shrink(m, history(), 1, 2.0), actions["grow"].trigger)

        def ends(layer):
            """Label 1 on the first and last slices only: one gap across the volume."""
            layer[...] = 0
            layer[0, 100:400, 100:400] = layer[-1, 150:420, 120:380] = 1

        def interpolate(m):
            ends(m.layers[0])
            accept_interpolation(m, history(), propose_interpolation(m, plane, 0, [1]))

        def interpolate_now():
            ends(session.labelmap.layers[0])
            actions["interpolate"].trigger()
            wait_until(app, lambda: not jobs.busy, 600)
            actions["accept_interpolation"].trigger()

        measure(f"interpolate_{args.slices - 2}_gap", interpolate, interpolate_now)
        training = window.training
        proposal = _proposal(session.labelmap)

        def accept(m):
            write_proposal(m, history(), proposal, 0.5, None, "Accept")

        def accept_now():
            training.proposal.set_proposal(proposal)
            training.model_panel.set_proposal([(7, "Liver"), (8, "Spleen")])
            training.accept()

        measure("accept_2_labels", accept, accept_now)
        grow = window.smart_labels.grow
        measure(
            "grow_seeds_start",
            lambda m: np.array(volume.array, np.float32),
            window.smart_labels.start_grow,
            lambda: grow._edges_job is None,
        )
        grow.cancel()
        window.close()
        app.processEvents()
    print(f"{'op':24}{'before ms':>11}{'gap now ms':>12}{'ratio':>8}{'wall now ms':>13}")
    for name, row in rows.items():
        before = max(row["gui_thread_before_ms"], 1e-3)
        row["stall_ratio"] = round(row["max_gap_now_ms"] / before, 3)
        print(f"{name:24}{row['gui_thread_before_ms']:11.1f}{row['max_gap_now_ms']:12.1f}"
              f"{row['stall_ratio']:8.3f}{row['wall_now_ms']:13.1f}")  # fmt: skip
    print(json.dumps({"slices": args.slices, **rows}))


if __name__ == "__main__":
    main()
