"""Scan 3,000 DICOM files in 10 series: medgui's scan vs a naive header-reading loop.

Run: .venv/bin/python benchmarks/bench_scan.py [--files-per-series N] [--runs R]
Prints a table, then (last line) one JSON object with seconds and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pydicom

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_seconds, write_ct  # noqa: E402

from medgui.core import scan  # noqa: E402
from medgui.core.io.index import ScanIndex  # noqa: E402


def naive_headers(files: list[Path]) -> list:
    return [pydicom.dcmread(p, stop_before_pixels=True) for p in files]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=10)
    parser.add_argument("--files-per-series", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "study"
        for s in range(args.series):
            write_ct(
                root / f"series{s}", (args.files_per_series, 64, 64), seed=s, series_number=s + 1
            )
        files = sorted(root.rglob("*.dcm"))
        found = scan(root, index=False)
        assert len(found.series) == args.series and not found.errors, "scan missed series"
        index = ScanIndex(Path(tmp) / "index.sqlite")
        scan(root, index=index)
        figures = {
            "files": len(files),
            "naive_s": median_seconds(lambda: naive_headers(files), args.runs),
            "medgui_cold_s": median_seconds(lambda: scan(root, index=False), args.runs),
            "medgui_indexed_s": median_seconds(lambda: scan(root, index=index), args.runs),
        }
    figures["ratio_cold_vs_naive"] = figures["medgui_cold_s"] / figures["naive_s"]
    figures["ratio_indexed_vs_naive"] = figures["medgui_indexed_s"] / figures["naive_s"]
    figures["cpus"] = os.cpu_count()
    print(
        ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
        )
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
