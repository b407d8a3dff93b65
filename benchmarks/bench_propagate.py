"""Propagation against shape interpolation on the demo phantom: from 5 evenly spaced labelled
axial slices (inside the labelled extent), the Dice of each against the ground truth, per
label and mean, and the time each takes.

Run: .venv/bin/python benchmarks/bench_propagate.py [--minutes M] [--device D]
Prints a table, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from medgui.core.workspace.demo import LABEL_TABLE, make_phantom
from medgui.ml.segmentation.propagate import (
    DEFAULT_MINUTES,
    dice_by_label,
    evenly_spaced_slices,
    interpolate_slices,
    propagate,
)

GIVEN_SLICES = 5


def main() -> None:
    """Run both, print the table and the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    phantom = make_phantom()
    truth = phantom.labels.array
    given = evenly_spaced_slices(truth, GIVEN_SLICES)
    partial = np.zeros_like(truth)
    partial[given] = truth[given]
    values = [row["value"] for row in LABEL_TABLE]
    names = {row["value"]: row["name"] for row in LABEL_TABLE}

    start = time.perf_counter()
    interpolated = interpolate_slices(phantom.ct, partial, given)
    interpolation_s = time.perf_counter() - start
    start = time.perf_counter()
    proposal = propagate(phantom.ct, partial, minutes=args.minutes, device=args.device)
    propagation_s = time.perf_counter() - start
    scores = {
        "interpolation": dice_by_label(interpolated, truth, values),
        "propagation": dice_by_label(proposal.labels.layers[0], truth, values),
    }
    figures = {"given_slices": given, "minutes": args.minutes}
    print(f"{'method':<14} " + " ".join(f"{names[v]:>7}" for v in values) + "    mean  seconds")
    for method, seconds in (("interpolation", interpolation_s), ("propagation", propagation_s)):
        per_label = scores[method]
        mean = float(np.mean(list(per_label.values())))
        cells = " ".join(f"{per_label[v]:7.3f}" for v in values)
        print(f"{method:<14} {cells} {mean:7.3f} {seconds:8.1f}")
        figures[f"{method}_dice"] = {names[v]: round(per_label[v], 4) for v in values}
        figures[f"{method}_mean_dice"] = round(mean, 4)
        figures[f"{method}_s"] = round(seconds, 2)
    figures["training_steps"] = proposal.model["steps"]
    figures["dice_ratio"] = round(
        figures["propagation_mean_dice"] / max(figures["interpolation_mean_dice"], 1e-9), 3
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
