"""The beats task against the classical detector and a bare training loop.

On synthetic WFDB records (normal beats with premature wide V beats, baseline wander, noise;
wfdb's wheel ships no sample records, so none are read): QRS sensitivity and positive
predictivity (150 ms match window, wfdb's `compare_annotations`) of the trained model and of
wfdb's XQRS detector on held-out records; and the trainer's throughput (windows per second of
the training steps) against a bare PyTorch loop over the same network, data and loss.

Run: .venv/bin/python benchmarks/bench_beats.py [--epochs N] [--seconds S]
Prints a table, then (last line) one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import wfdb.processing
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "core"))
from signal_testing import synthetic_ecg, write_wfdb_record  # noqa: E402

from medgui.core.signals.wfdb_io import read_wfdb  # noqa: E402
from medgui.ml.models.task import TrainConfig  # noqa: E402
from medgui.ml.signals.metrics import BeatCounts  # noqa: E402
from medgui.ml.signals.task import BeatsTask, detect_beats  # noqa: E402
from medgui.ml.training.events import BatchDone, Finished  # noqa: E402
from medgui.ml.training.trainer import Trainer  # noqa: E402


def ecg(seed: int, seconds: float):
    ectopic = tuple(range(2 + seed % 4, int(seconds), 5 + seed % 3))
    return synthetic_ecg(seconds, 360.0, rr_s=0.6 + 0.06 * (seed % 5), ectopic=ectopic, seed=seed)


def trainer_rate(task: BeatsTask, config: TrainConfig, folder: Path) -> tuple[float, Path, object]:
    """Train with medgui's trainer; its training windows per second (last batch of each
    epoch, averaged) and the model folder."""
    rates, last, result = [], None, None
    for event in Trainer(task, config).run(folder):
        if isinstance(event, BatchDone):
            if last is not None and event.epoch != last.epoch:
                rates.append(last.samples_per_s)
            last = event
        elif isinstance(event, Finished):
            result = event.result
    rates.append(last.samples_per_s)
    return float(np.mean(rates)), Path(config.out_dir), result


def bare_rate(config: TrainConfig, folder: Path) -> float:
    """The same network, data and loss trained by a plain PyTorch loop; windows per second."""
    task = BeatsTask()
    split = task.make_split(config, folder)
    torch.manual_seed(0)
    network, loss_fn = task.build_network(config), task.build_loss(config)
    optimizer = torch.optim.Adam(network.parameters(), config.learning_rate)
    network.train()
    seen, seconds = 0, 0.0
    for epoch in range(1, config.epochs + 1):
        split.train.set_epoch(epoch)
        loader = DataLoader(split.train, batch_size=config.batch_size, shuffle=True)
        start = time.perf_counter()
        for inputs, targets in loader:
            loss = loss_fn(network(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(inputs)
        seconds += time.perf_counter() - start
    return seen / seconds


def score(found: list[tuple[np.ndarray, list[str]]], truths) -> dict[str, float]:
    counts = BeatCounts()
    for (samples, symbols), truth in zip(found, truths, strict=True):
        counts.add(np.array(truth.beats), truth.symbols, samples, symbols, truth.fs_hz)
    return counts.metrics()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each record")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        train_dir, test_dir = Path(tmp) / "train", Path(tmp) / "test"
        train_dir.mkdir()
        test_dir.mkdir()
        for seed in range(4):
            write_wfdb_record(train_dir, f"rec{seed}", ecg(seed, args.seconds))
        truths = [ecg(seed, args.seconds) for seed in (10, 11, 12)]
        headers = [write_wfdb_record(test_dir, f"t{i}", t) for i, t in enumerate(truths)]
        config = TrainConfig(
            task="beats", epochs=args.epochs, batch_size=8, learning_rate=3e-3, device="cpu",
            val_split=0.25, early_stopping_patience=0, out_dir=str(Path(tmp) / "model"),
            options={"window_s": 4, "windows_per_epoch": 64},
        )  # fmt: skip
        # The bare loop runs before and after the trainer (the mean is the baseline): the
        # machine's load drifts over a run of this length.
        bare_config = TrainConfig(**{**config.to_json(), "out_dir": ""})
        before = bare_rate(bare_config, train_dir)
        trained, model_dir, result = trainer_rate(BeatsTask(), config, train_dir)
        bare = (before + bare_rate(bare_config, train_dir)) / 2
        model = []
        for header in headers:
            beats, _fs = detect_beats(model_dir, header)
            model.append((np.array([b.sample for b in beats]), [b.symbol for b in beats]))
        classical = []
        for header in headers:
            lead = read_wfdb(header).channel("II")
            xqrs = wfdb.processing.XQRS(sig=lead, fs=360.0)
            xqrs.detect(verbose=False)
            classical.append((np.asarray(xqrs.qrs_inds), ["N"] * len(xqrs.qrs_inds)))
        ours, theirs = score(model, truths), score(classical, truths)
    figures = {
        "records": {"train": 4, "test": len(truths), "seconds_each": args.seconds},
        "epochs": args.epochs,
        "model": {k: ours[k] for k in ("qrs_sensitivity", "qrs_ppv", "class_f1", "beat_f1")},
        "xqrs": {k: theirs[k] for k in ("qrs_sensitivity", "qrs_ppv")},
        "se_ratio_model_vs_xqrs": ours["qrs_sensitivity"] / theirs["qrs_sensitivity"],
        "ppv_ratio_model_vs_xqrs": ours["qrs_ppv"] / theirs["qrs_ppv"],
        "trainer_windows_per_s": trained,
        "bare_windows_per_s": bare,
        "throughput_ratio_trainer_vs_bare": trained / bare,
        "validation_at_best": result.metrics,
    }
    print(f"{'':24}{'Se':>8}{'+P':>8}")
    print(f"{'model (beats task)':24}{ours['qrs_sensitivity']:8.4f}{ours['qrs_ppv']:8.4f}")
    print(f"{'wfdb XQRS':24}{theirs['qrs_sensitivity']:8.4f}{theirs['qrs_ppv']:8.4f}")
    per_symbol = ", ".join(f"{k[3:]} {v:.3f}" for k, v in ours.items() if k.startswith("f1_"))
    print(f"per-symbol F1 of the model: {per_symbol}")
    print(f"training: trainer {trained:.1f} windows/s, bare loop {bare:.1f} windows/s, "
          f"ratio {trained / bare:.2f}")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
