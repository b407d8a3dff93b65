"""Training throughput: medgui's Trainer against a bare PyTorch/MONAI loop, in the same run.

Both train the default 2-D segmentation network (MONAI U-Net, channels 16-32-64-128) with
Dice+CE and Adam on the same in-memory tensors, with the same batch size and thread count. The
Trainer runs as the app runs it — events after every batch, a checkpoint after every epoch —
but with no validation set, since the bare loop has none. The two alternate, `--repeats` times
each, and the best run of each counts (the least disturbed by anything else on the machine).
Target: the Trainer reaches at least 0.95 × the bare loop's samples per second.

Run: .venv/bin/python benchmarks/bench_train.py [--samples N] [--size PX] [--batch-size B]
     [--epochs E] [--threads T] [--device D]
Prints a line per run, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from medgui.ml.models.task import DataSplit, TrainConfig
from medgui.ml.runtime.device import pick_device
from medgui.ml.segmentation.task import SegmentationTask, patch_size
from medgui.ml.training.trainer import Trainer

TARGET = 0.95
CLASSES = ["background", "organ", "lesion"]


class InMemoryTask(SegmentationTask):
    """The segmentation network and loss on ready-made tensors (no files, no augmentation)."""

    def __init__(self, data: TensorDataset) -> None:
        super().__init__()
        self.data = data

    def make_split(self, config, sources) -> DataSplit:
        self.patch = patch_size(config)
        empty = TensorDataset(torch.zeros(0, 1))
        return DataSplit(self.data, empty, ["memory"], [], {"unit": "series"})


def make_data(samples: int, size: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(samples, 1, size, size, generator=generator)
    labels = torch.randint(0, len(CLASSES), (samples, 1, size, size), generator=generator)
    return TensorDataset(images, labels)


def bare_loop(config: TrainConfig, data: TensorDataset, device: torch.device) -> float:
    """Seconds for `config.epochs` epochs of the plainest correct loop."""
    task = SegmentationTask()
    torch.manual_seed(0)
    network = task.build_network(config).to(device)
    loss_fn = task.build_loss(config)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    loader = DataLoader(data, batch_size=config.batch_size, shuffle=True)
    start = time.perf_counter()
    for _ in range(config.epochs):
        network.train()
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(network(images), labels)
            loss.backward()
            optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def trainer_run(config: TrainConfig, data: TensorDataset, device: torch.device) -> float:
    """Seconds for the same epochs through `Trainer.run`, from its first event (the network is
    built, as the bare loop's is before its clock starts) to its result, checkpoints included."""
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(InMemoryTask(data), config, checkpoint_dir=folder)
        events = trainer.run(None)
        next(events)
        start = time.perf_counter()
        for _ in events:
            pass
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--size", type=int, default=128, help="slice side in pixels")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    choice = pick_device(args.device)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        device=args.device,
        early_stopping_patience=0,
        augment=False,
        options={"classes": CLASSES, "patch_size": args.size},
    )
    data = make_data(args.samples, args.size)
    bare_loop(TrainConfig(**(config.to_json() | {"epochs": 1})), data, choice.device)  # warm-up
    times: dict[str, list[float]] = {"bare": [], "medgui": []}
    for repeat in range(args.repeats):
        for name, run in (("bare", bare_loop), ("medgui", trainer_run)):
            seconds = run(config, data, choice.device)
            times[name].append(seconds)
            rate = args.samples * args.epochs / seconds
            print(f"run {repeat + 1} {name:>6}: {seconds:.2f} s, {rate:.1f} samples/s")
    bare = args.samples * args.epochs / min(times["bare"])
    medgui = args.samples * args.epochs / min(times["medgui"])
    figures = {
        "benchmark": "train",
        "device": choice.reason,
        "threads": args.threads,
        "samples": args.samples,
        "size": args.size,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "bare_samples_per_s": round(bare, 2),
        "medgui_samples_per_s": round(medgui, 2),
        "ratio": round(medgui / bare, 3),
        "target_min_ratio": TARGET,
    }
    print(f"throughput ratio medgui/bare: {figures['ratio']:.3f} (target ≥ {TARGET})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
