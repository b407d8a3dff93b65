"""The ECG overview of a long record: min/max per pixel column against plain subsampling.

A 10^7-sample channel (5.6 h at 500 Hz) with one 1-sample spike: the time to reduce it to 1000
columns each way (the baseline, subsampling, is the cheapest thing that could be drawn) and
whether the spike survives.

Run: .venv/bin/python benchmarks/bench_ecg_overview.py [--runs N]
Prints a table, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from _common import median_seconds

from medgui.core.signals.overview import minmax_decimate

N, COLUMNS, SPIKE_AT = 10_000_000, 1000, 7_654_321


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    values = np.sin(np.arange(N) * 1e-4)
    values[SPIKE_AT] = 50.0
    step = N // COLUMNS
    minmax_s = median_seconds(lambda: minmax_decimate(values, COLUMNS), runs)
    subsample_s = median_seconds(lambda: values[::step].copy(), runs)
    _, envelope = minmax_decimate(values, COLUMNS)
    figures = {
        "samples": N,
        "columns": COLUMNS,
        "minmax_s": round(minmax_s, 4),
        "subsample_s": round(subsample_s, 6),
        "minmax_over_subsample": round(minmax_s / subsample_s, 1),
        "spike_kept_minmax": bool(envelope.max() == 50.0),
        "spike_kept_subsample": bool(values[::step].max() == 50.0),
    }
    for name, value in figures.items():
        print(f"{name:24} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
