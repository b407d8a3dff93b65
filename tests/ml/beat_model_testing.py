"""A tiny beats model trained in seconds on synthetic WFDB records with V beats, for the tests
that need a trained one (saliency, the window's "why" band)."""

from __future__ import annotations

from pathlib import Path

from signal_testing import SyntheticEcg, synthetic_ecg, write_wfdb_record


def v_ecg(seed: int, seconds: float = 24.0, fs_hz: float = 360.0) -> SyntheticEcg:
    """A record with a V beat every 6 beats, its rate and rhythm varied by `seed`."""
    ectopic = tuple(range(2 + seed % 3, 80, 6))
    return synthetic_ecg(seconds, fs_hz, rr_s=0.65 + 0.07 * seed, ectopic=ectopic, seed=seed)


def train_tiny_beat_model(folder: Path) -> Path:
    """Train a small `BeatNet` (N and V) on three synthetic records in `folder`/records with
    `medgui train`; the model folder (weights.safetensors + card.json)."""
    import torch

    from medgui.cli.ml import main

    records = folder / "records"
    records.mkdir(parents=True, exist_ok=True)
    for seed in range(3):
        write_wfdb_record(records, f"rec{seed}", v_ecg(seed))
    model = folder / "model"
    options = ["window_s=4", "windows_per_epoch=48", "width=8", "hidden=16"]
    argv = ["train", "--task", "beats", "--records", str(records), "--out", str(model),
            "--epochs", "6", "--lr", "0.005", "--device", "cpu", "--validation", "none",
            "--seed", "0"]  # fmt: skip
    # One intra-op thread: a network this small gains nothing from more, and on a busy
    # machine spinning threads made training ten times slower (20 s against 200 s measured).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = main([*argv, *(x for o in options for x in ("--option", o))])
    finally:
        torch.set_num_threads(threads)
    assert code == 0, f"training the tiny beats model failed ({code})"
    return model
