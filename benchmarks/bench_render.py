"""Slice-change speed of medgui's SliceView vs a bare pyqtgraph ImageView, and event-loop stalls
while a 300-slice series loads in the background.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_render.py [--slices N]
Prints a table, then (last line) one JSON object with milliseconds and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import synthetic_ct, write_ct  # noqa: E402

from medgui.core.reformat import Plane  # noqa: E402
from medgui.core.viewer_state import ViewerState  # noqa: E402
from medgui.ui.slice_view import SliceView  # noqa: E402

VIEW_PX = 800


def _per_slice_ms(step, n: int, widget) -> float:
    """Median over 3 sweeps of the time per slice change, painted synchronously: `widget` is
    the graphics viewport that draws the image, so its repaint() really renders it."""
    sweeps = []
    for _ in range(3):
        start = time.perf_counter()
        for k in range(n):
            step(k)
            widget.repaint()
        sweeps.append((time.perf_counter() - start) * 1000 / n)
    return statistics.median(sweeps)


def bench_imageview(volume) -> float:
    view = pg.ImageView()
    view.resize(VIEW_PX, VIEW_PX)
    view.show()
    view.setImage(volume.array, axes={"t": 0, "y": 1, "x": 2}, levels=(-160, 240), autoLevels=False)
    QApplication.processEvents()
    ms = _per_slice_ms(view.setCurrentIndex, volume.shape_zyx[0], view.ui.graphicsView.viewport())
    view.close()
    return ms


def bench_slice_view(volume) -> tuple[float, float, int]:
    state = ViewerState(volume)
    state.set_window(40, 400)
    view = SliceView(state, Plane.AXIAL)
    view.resize(VIEW_PX, VIEW_PX)
    view.show()
    view.set_volume(volume)
    QApplication.processEvents()

    def step(k: int) -> None:
        state.set_slice(Plane.AXIAL, k)
        view.flush()

    ms = _per_slice_ms(step, volume.shape_zyx[0], view.graphics.viewport())
    # Holding the scroll key: 300 key presses arrive before the loop runs; stale requests must be
    # dropped, so the burst costs a handful of renders, not 300.
    state.set_slice(Plane.AXIAL, 0)
    view.flush()
    renders = [0]
    original = view._render

    def counting_render() -> None:
        renders[0] += 1
        original()

    view._render = counting_render
    view._render_timer.timeout.disconnect()
    view._render_timer.timeout.connect(counting_render)
    start = time.perf_counter()
    for _ in range(volume.shape_zyx[0] - 1):
        QTest.keyClick(view, Qt.Key.Key_Down, delay=-1)
    QApplication.processEvents()
    view.repaint()
    burst_ms = (time.perf_counter() - start) * 1000
    view.close()
    return ms, burst_ms, renders[0]


def max_stall_during_load(folder: Path) -> tuple[float, float]:
    """Largest gap between 5 ms timer ticks while the main window loads `folder`, and the load
    time (both ms)."""
    from medgui.ui.main_window import MainWindow

    window = MainWindow()
    window.resize(1200, 900)
    window.show()
    QApplication.processEvents()
    ticks: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    timer.start()
    start = clock.elapsed()
    window.open_path(folder)
    while window.view_layout.volume is None or window.busy:
        QApplication.processEvents()
    loaded = clock.elapsed() - start
    timer.stop()
    window.close()
    gaps = np.diff([start, *ticks])
    return float(gaps.max()) if gaps.size else float("nan"), float(loaded)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=300)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    volume = synthetic_ct((args.slices, 512, 512))
    imageview_ms = bench_imageview(volume)
    slice_view_ms, burst_ms, burst_renders = bench_slice_view(volume)
    figures = {
        "imageview_ms_per_slice": imageview_ms,
        "medgui_ms_per_slice": slice_view_ms,
        "ratio_vs_imageview": slice_view_ms / imageview_ms,
        "held_key_burst_ms": burst_ms,
        "held_key_renders": burst_renders,
    }
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDGUI_DATA_DIR"] = str(Path(tmp) / "data")
        folder = Path(tmp) / "ct"
        write_ct(folder, (args.slices, 512, 512))
        figures["max_event_loop_stall_ms"], figures["load_ms"] = max_stall_during_load(folder)
    print(", ".join(f"{k}={v:.2f}" for k, v in figures.items()))
    print(json.dumps(figures))
    app.quit()


if __name__ == "__main__":
    main()
