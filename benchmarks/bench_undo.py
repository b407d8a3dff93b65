"""Undo memory and stroke time: 100 random brush strokes on a 512×512×300 label map.

Each stroke is a 10 mm disk swept along a short random polyline (3–6 points within ~40 mm) on a
random slice of a random plane, painted with one of three labels, on 0.7 × 0.7 × 1.0 mm voxels.
The history's memory is compared with what whole-map snapshots would cost (before + after of
the uint8 map, 150 MiB per edit) and with the issue's target of ≤ 50 MB for 100 strokes.

Run: .venv/bin/python benchmarks/bench_undo.py [--strokes N] [--seed S]
Prints a table, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from medgui.core.image.reformat import Plane, slice_geometry
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.ops import stroke
from medgui.core.labels.undo import EditHistory

SHAPE_ZYX = (300, 512, 512)
SPACING_MM = (0.7, 0.7, 1.0)
RADIUS_MM = 10.0
TARGET_MB = 50.0
MIB = 2**20


def random_polyline(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """3–6 points, each step ~10 mm (14 pixels) from the last, from a random start."""
    start = rng.uniform((0, 0), (rows, cols))
    steps = rng.normal(0, 14, (int(rng.integers(2, 6)), 2))
    return np.vstack([start, start + np.cumsum(steps, axis=0)])


def main() -> None:
    """Run the strokes, print the table and the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--strokes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    # The label map never reads the image's voxels, so a zero-stride array stands in for it.
    grid = Volume(np.broadcast_to(np.int16(0), SHAPE_ZYX), SPACING_MM)
    labelmap = LabelMap.empty_like(grid)
    for name in ("liver", "spleen", "kidney"):
        labelmap.table.add(name)
    history = EditHistory()
    planes = list(Plane)
    # One stroke before timing, so import and first-call costs are not in the figures.
    stroke(labelmap, EditHistory(), 1, Plane.AXIAL, 0, [(5, 5)], RADIUS_MM)
    labelmap.layers[0][:] = 0
    times, changed = [], 0
    for _ in range(args.strokes):
        plane = planes[int(rng.integers(3))]
        _, _, n_slices = slice_geometry(grid, plane)
        rows, cols = (512, 512) if plane is Plane.AXIAL else (300, 512)
        points = random_polyline(rng, rows, cols)
        start = time.perf_counter()
        box = stroke(
            labelmap,
            history,
            int(rng.integers(1, 4)),
            plane,
            int(rng.integers(n_slices)),
            points,
            RADIUS_MM,
        )
        times.append(time.perf_counter() - start)
        changed += history.last_edit.changed_voxels if box is not None else 0

    history_mb = history.memory_bytes / MIB
    start = time.perf_counter()
    while history.can_undo:
        history.undo(labelmap)
    undo_all_s = time.perf_counter() - start
    assert not labelmap.layers[0].any(), "undo all must restore the empty map"

    map_bytes = labelmap.layers[0].nbytes
    whole_copy_mb = 2 * map_bytes / MIB
    naive_mb = whole_copy_mb * args.strokes
    figures = {
        "strokes": args.strokes,
        "map_shape_zyx": list(SHAPE_ZYX),
        "radius_mm": RADIUS_MM,
        "changed_voxels": changed,
        "history_mb": round(history_mb, 3),
        "history_mb_per_stroke": round(history_mb / args.strokes, 4),
        "whole_copy_mb_per_edit": round(whole_copy_mb, 1),
        "history_vs_one_whole_copy": round(history_mb / whole_copy_mb, 5),
        "whole_copies_mb": round(naive_mb, 1),
        "saving_factor": round(naive_mb / history_mb, 1),
        "target_mb": TARGET_MB,
        "within_target": history_mb <= TARGET_MB,
        "stroke_ms_median": round(1000 * statistics.median(times), 2),
        "stroke_ms_max": round(1000 * max(times), 2),
        "undo_all_ms": round(1000 * undo_all_s, 1),
    }
    print(f"{args.strokes} strokes of {RADIUS_MM:g} mm on {SHAPE_ZYX} (z, y, x) uint8")
    print(f"  voxels changed           {changed:>12,}")
    print(f"  undo history             {history_mb:>12.2f} MB  (target <= {TARGET_MB:g} MB)")
    print(f"  one whole-map copy       {whole_copy_mb:>12.1f} MB  (before + after)")
    print(f"  history / one copy       {history_mb / whole_copy_mb:>12.4f}")
    print(
        f"  whole copies, {args.strokes} edits  {naive_mb:>12.1f} MB  "
        f"({naive_mb / history_mb:.0f}x the history)"
    )
    print(
        f"  stroke time              {figures['stroke_ms_median']:>12.2f} ms median, "
        f"{figures['stroke_ms_max']:.2f} ms max"
    )
    print(f"  undo all                 {figures['undo_all_ms']:>12.1f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
