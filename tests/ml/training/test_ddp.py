"""Distributed data parallel: `medgui train` under torchrun with 2 CPU processes (gloo) gives
the metrics of one process that sees the same batches.

Two ranks with batch size 4 each see, step by step, exactly the 8 samples that one process
with batch size 8 sees (DistributedSampler deals one shuffled order out in turn, and the
augmentation of a sample depends only on its index), and DDP averages their gradients as one
big batch would. What differs is the order of floating-point sums (and the threads per
process), so the metrics must agree to TOLERANCE, not bit for bit.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from ml_testing import write_folders

TOLERANCE = 1e-3  # Dice and losses, absolute (observed: about 1e-7)
TINY = ["--option", "channels=[8,16,32]", "--option", "res_units=1", "--option", "patch_size=64"]
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _train(launcher: list[str], data: tuple[Path, Path], out: Path, batch: int) -> dict:
    images, labels = data
    command = [*launcher, "-m", "medgui.cli.ml", "train", "--images", str(images)]
    command += ["--labels", str(labels), "--out", str(out), "--epochs", "3", "--device", "cpu"]
    command += ["--lr", "0.01", "--val-split", "0.34", "--batch-size", str(batch), *TINY]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(120)
@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    data = write_folders(tmp_path, n=6)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1"]
    torchrun += ["--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    ddp = _train(torchrun, data, tmp_path / "ddp", batch=4)
    single = _train([sys.executable], data, tmp_path / "single", batch=8)
    assert "rank 0 of 2, gloo" in ddp["device"]
    assert ddp["epochs_run"] == single["epochs_run"] == 3
    for key in ("train_loss", "val_loss", "dice", "dice_label_1", "dice_label_2"):
        assert ddp[key] == pytest.approx(single[key], abs=TOLERANCE), key
    # Only rank 0 writes the model and checkpoints.
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == [
        "card.json",
        "checkpoint",
        "weights.safetensors",
    ]
