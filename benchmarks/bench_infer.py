"""Inference time: medgui's `segment_volume` against MONAI's `sliding_window_inference` with
the same network, on a synthetic 512×512×300 CT, in the same run.

The network is the default 2-D model (MONAI U-Net 16-32-64-128, two classes) with untrained
weights: speed does not depend on what it learned. Its card asks for the CT's own spacing, so
no resampling happens and both sides do the same work: window the HU to [0, 1], run the network
over 256×256 windows (25 % overlap, Gaussian blending) on every slice, softmax, argmax. medgui
adds what the app needs — chunks of slices with progress and cancel, probabilities copied into
one float32 array, the label map with its geometry. The two alternate `--repeats` times; the best
of each counts. Target: medgui takes at most 1.1 × MONAI's time.

Run: .venv/bin/python benchmarks/bench_infer.py [--slices N] [--repeats R] [--threads T]
     [--device D]
Prints a line per run, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from _common import synthetic_ct
from monai.inferers import sliding_window_inference

from medgui.ml.models.card import ModelCard
from medgui.ml.models.task import TrainConfig
from medgui.ml.runtime.device import pick_device
from medgui.ml.segmentation.infer import BLEND, OVERLAP, segment_volume
from medgui.ml.segmentation.task import SegmentationTask
from medgui.ml.segmentation.transforms import normalisation_scheme
from medgui.ml.training.checkpoint import TrainedModel

TARGET = 1.1
ROI = (256, 256)


def default_model(spacing_mm: tuple[float, float], device: torch.device) -> TrainedModel:
    """The default 2-D network, untrained, with the card inference reads."""
    config = TrainConfig(options={"classes": ["background", "organ"]})
    torch.manual_seed(0)
    network = SegmentationTask().build_network(config).to(device).eval()
    card = ModelCard.for_run(
        task="segment",
        hyperparameters=config.to_json(),
        task_fields={
            "classes": ["background", "organ"],
            "model": "unet2d",
            "input_size": list(ROI),
            "input_spacing_mm": list(spacing_mm),
            "normalisation": normalisation_scheme({}),
            "labels": [{"value": 1, "name": "organ", "color": [230, 159, 0]}],
            "spatial_dims": 2,
        },
        epochs=[],
        best={},
        device=str(device),
        durations_s={},
    )
    return TrainedModel(network, card)


def monai_baseline(model: TrainedModel, volume, device: torch.device) -> float:
    """Seconds for the same windowing, network, softmax and argmax with MONAI alone."""
    low, high = model.card.normalisation["ct"]["window_hu"]
    start = time.perf_counter()
    with torch.inference_mode():
        image = torch.from_numpy(volume.array).float()
        image = ((image - low) / (high - low)).clamp_(0, 1)[:, None].to(device)
        batch = 32 if device.type == "cuda" else 8
        logits = sliding_window_inference(
            image, ROI, batch, model.network, overlap=OVERLAP, mode=BLEND
        )
        # max().indices: the fast argmax on the CPU (medgui uses it too).
        labels = torch.softmax(logits, dim=1).max(dim=1).indices.cpu()
    del labels
    return time.perf_counter() - start


def medgui_run(model: TrainedModel, volume, device: torch.device) -> float:
    start = time.perf_counter()
    proposal = segment_volume(model, volume)
    seconds = time.perf_counter() - start
    assert proposal.probabilities.shape[1:] == volume.shape_zyx
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    choice = pick_device(args.device)
    volume = synthetic_ct((args.slices, 512, 512))
    volume.metadata["Modality"] = "CT"
    model = default_model(volume.spacing_mm[:2], choice.device)
    monai_baseline(model, synthetic_ct((4, 512, 512)), choice.device)  # warm-up
    times: dict[str, list[float]] = {"monai": [], "medgui": []}
    for repeat in range(args.repeats):
        for name, run in (("monai", monai_baseline), ("medgui", medgui_run)):
            seconds = run(model, volume, choice.device)
            times[name].append(seconds)
            print(f"run {repeat + 1} {name:>6}: {seconds:.2f} s")
    monai, medgui = min(times["monai"]), min(times["medgui"])
    figures = {
        "benchmark": "infer",
        "device": choice.reason,
        "threads": args.threads,
        "shape_zyx": list(volume.shape_zyx),
        "monai_s": round(monai, 3),
        "medgui_s": round(medgui, 3),
        "ratio": round(medgui / monai, 3),
        "target_max_ratio": TARGET,
    }
    print(f"time ratio medgui/MONAI: {figures['ratio']:.3f} (target ≤ {TARGET})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
