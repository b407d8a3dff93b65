"""Slice-change speed of medgui's SliceView vs a bare pyqtgraph ImageView, and event-loop stalls
while a 300-slice series loads in the background.

What is compared: the time from "show slice k" to the slice being painted, per slice, sweeping
a synthetic 512×512 int16 CT (300 slices) in an 800×800 widget. Both draw the same image area,
about 800×800 screen pixels (printed as a check): the ImageView's histogram, ROI and menu
buttons and ROI plot are hidden and its view has no padding, so its image fills the widget as
the SliceView's does. The ImageView gets the same window as fixed levels (abdomen, 40/400; no
autolevels); the SliceView windows with its own lookup and draws its corner text, orientation
letters and crosshair as well. Both paint synchronously (the viewport's repaint()), and their
sweeps alternate, so a machine busy with something else slows both alike; each figure is the
median of the sweeps.

As the issue asks, the SliceView also shows a label map: a `LabelOverlay` attached the way
the app's `LabelWorkbench` attaches one (a `LabelContext` showing a `LabelSession` of the
volume), with three labelled structures (discs of varying size) on most slices and none on the
rest. The baseline ImageView has no overlay, as the issue words it.

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
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import synthetic_ct, write_ct  # noqa: E402

from medgui.core.image.reformat import Plane  # noqa: E402
from medgui.core.image.viewer_state import ViewerState  # noqa: E402
from medgui.ui.labeling.overlay import LabelOverlay  # noqa: E402
from medgui.ui.labeling.session import LabelContext, LabelSession  # noqa: E402
from medgui.ui.labeling.tools import LabelTools  # noqa: E402
from medgui.ui.viewer.slice_view import SliceView  # noqa: E402

VIEW_PX = 800
SWEEPS = 5  # per view, alternating
LEVELS = (-160, 240)  # the abdomen window 40/400 as pyqtgraph levels


def _sweep_ms(step, n: int, widget) -> float:
    """Milliseconds per slice change over one sweep of `n` slices, painted synchronously:
    `widget` is the graphics viewport that draws the image, so its repaint() really renders."""
    start = time.perf_counter()
    for k in range(n):
        step(k)
        widget.repaint()
    return (time.perf_counter() - start) * 1000 / n


def _drawn_px(item, graphics_view) -> tuple[int, int]:
    """The size on screen (viewport pixels) of graphics item `item`."""
    scene = item.mapRectToScene(item.boundingRect())
    drawn = graphics_view.mapFromScene(scene).boundingRect()
    return drawn.width(), drawn.height()


def imageview(volume):
    """A bare ImageView showing `volume`, and its slice step and viewport."""
    view = pg.ImageView()
    view.resize(VIEW_PX, VIEW_PX)
    view.show()
    view.setImage(volume.array, axes={"t": 0, "y": 1, "x": 2}, levels=LEVELS, autoLevels=False)
    # Only the image: without the histogram, ROI and menu buttons and the ROI plot pane (which
    # setImage shows as a time axis for 3-D data) its graphics view gets the whole 800×800
    # widget, as the SliceView's does.
    for widget in (view.ui.histogram, view.ui.roiBtn, view.ui.menuBtn, view.ui.roiPlot):
        widget.hide()
    QApplication.processEvents()
    # No padding around the image (ImageView's default leaves a margin): it fills the view.
    rows, cols = volume.array.shape[1:3]
    view.getView().setRange(xRange=(0, cols), yRange=(0, rows), padding=0)
    QApplication.processEvents()
    return view, view.setCurrentIndex, view.ui.graphicsView


def labelled_session(volume) -> LabelSession:
    """A label session of `volume` with three structures (discs whose radius varies along z;
    the first and last tenth of the slices have none)."""
    session = LabelSession(volume)
    table = session.labelmap.table
    values = [table.add(name).value for name in ("liver", "kidney", "lesion")]
    layer = session.labelmap.layers[0]
    n, rows, cols = layer.shape
    yy, xx = np.ogrid[:rows, :cols]
    for k in range(n // 10, n - n // 10):
        grow = np.sin(np.pi * k / n)
        for value, (cy, cx, radius) in zip(
            values, [(0.45, 0.35, 0.16), (0.55, 0.7, 0.08), (0.3, 0.55, 0.04)], strict=True
        ):
            r = radius * rows * (0.5 + 0.5 * grow)
            layer[k][(yy - cy * rows) ** 2 + (xx - cx * cols) ** 2 < r * r] = value
    return session


def slice_view(volume, session: LabelSession | None = None):
    """medgui's SliceView showing `volume` (abdomen window), with `session`'s labels drawn
    over it when given, and its slice step and viewport."""
    state = ViewerState(volume)
    state.set_window(40, 400)
    view = SliceView(state, Plane.AXIAL)
    view.resize(VIEW_PX, VIEW_PX)
    view.show()
    view.set_volume(volume)
    if session is not None:
        context = LabelContext(view)
        view.label_overlay = LabelOverlay(view, context, LabelTools(view))
        context.set_session(session, state)
    QApplication.processEvents()

    def step(k: int) -> None:
        state.set_slice(Plane.AXIAL, k)
        view.flush()

    return view, step, view.graphics


def bench_slice_change(volume) -> dict[str, float]:
    """Per-slice milliseconds of both views, their sweeps alternating (image sizes printed)."""
    n = volume.shape_zyx[0]
    reference, reference_step, reference_graphics = imageview(volume)
    medgui, medgui_step, medgui_graphics = slice_view(volume, labelled_session(volume))
    times: dict[str, list[float]] = {"imageview": [], "medgui": []}
    for _ in range(SWEEPS):
        times["imageview"].append(_sweep_ms(reference_step, n, reference_graphics.viewport()))
        times["medgui"].append(_sweep_ms(medgui_step, n, medgui_graphics.viewport()))
    figures = {f"{name}_ms_per_slice": statistics.median(ms) for name, ms in times.items()}
    sizes = {
        "imageview": _drawn_px(reference.imageItem, reference_graphics),
        "medgui": _drawn_px(medgui.image_item, medgui_graphics),
    }
    for name, (width, height) in sizes.items():
        print(f"{name}: image drawn at {width}×{height} screen pixels")
    labels = medgui.label_overlay
    medgui_step(n // 2)
    medgui_graphics.viewport().repaint()
    shown = labels.pixels is not None and labels.item.isVisible()
    print(f"medgui: label overlay on show at slice {n // 2}: {shown}")
    reference.close()
    medgui.close()
    return figures


def bench_held_key(volume) -> tuple[float, int]:
    """Holding the scroll key: all presses arrive before the event loop runs; stale requests
    must be dropped, so the burst costs a handful of renders, not one per press."""
    view, _, _ = slice_view(volume)
    view.state.set_slice(Plane.AXIAL, 0)
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
    return burst_ms, renders[0]


def max_stall_during_load(folder: Path) -> tuple[float, float]:
    """Largest gap between 5 ms timer ticks while the main window loads `folder`, and the load
    time (both ms)."""
    from medgui.ui.window.main_window import MainWindow

    window = MainWindow()
    window.resize(1200, 900)
    window.show()
    QApplication.processEvents()
    ticks: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    # The app's own kind of loop (it sleeps between events), not a processEvents() spin,
    # which keeps the GUI thread running and competing for the GIL.
    loop = QEventLoop()

    def tick() -> None:
        ticks.append(clock.elapsed())
        if window.view_layout.volume is not None and not window.busy:
            loop.quit()

    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    timer.start()
    start = clock.elapsed()
    window.open_path(folder)
    loop.exec()
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
    figures = bench_slice_change(volume)
    figures["ratio_vs_imageview"] = (
        figures["medgui_ms_per_slice"] / figures["imageview_ms_per_slice"]
    )
    figures["held_key_burst_ms"], figures["held_key_renders"] = bench_held_key(volume)
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
