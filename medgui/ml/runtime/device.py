"""Which device trains and infers: CUDA if there is one, else Apple MPS, else the CPU — with the
reason in words, because the training panel shows it ("CPU: this PyTorch build has no CUDA"
tells the user what to change; a bare "cpu" does not)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class DeviceChoice:
    """The device to use and why it was chosen."""

    device: torch.device
    reason: str

    def __str__(self) -> str:
        return self.reason


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _has_cuda_build() -> bool:
    # ROCm builds drive AMD GPUs through the torch.cuda API, so either version counts.
    return torch.version.cuda is not None or getattr(torch.version, "hip", None) is not None


def _why_no_cuda() -> str:
    if not _has_cuda_build():
        return "this PyTorch build has no CUDA"
    return "no CUDA device found"


def _cuda_choice(index: int | None) -> DeviceChoice:
    if not torch.cuda.is_available():
        raise ValueError(f"device cuda requested, but {_why_no_cuda()}")
    count = torch.cuda.device_count()
    index = torch.cuda.current_device() if index is None else index
    if not 0 <= index < count:
        raise ValueError(f"device cuda:{index} requested, but only {count} CUDA device(s) exist")
    return DeviceChoice(torch.device("cuda", index), f"CUDA: {torch.cuda.get_device_name(index)}")


def pick_device(requested: str = "auto") -> DeviceChoice:
    """The device for `requested`: "auto" (CUDA, else MPS, else CPU), "cpu", "cuda", "cuda:N"
    or "mps". An explicit request that cannot be met raises ValueError saying why."""
    text = (requested or "auto").strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            return _cuda_choice(None)
        if _mps_available():
            return DeviceChoice(torch.device("mps"), "Apple MPS")
        return DeviceChoice(torch.device("cpu"), f"CPU: {_why_no_cuda()}")
    if text == "cpu":
        return DeviceChoice(torch.device("cpu"), "CPU: requested")
    if text == "mps":
        if not _mps_available():
            raise ValueError("device mps requested, but Apple MPS is not available here")
        return DeviceChoice(torch.device("mps"), "Apple MPS")
    if text == "cuda" or text.startswith("cuda:"):
        index_text = text.partition(":")[2]
        if index_text and not index_text.isdigit():
            raise ValueError(f"device {requested!r}: the CUDA index must be a number (cuda:0)")
        return _cuda_choice(int(index_text) if index_text else None)
    raise ValueError(f"unknown device {requested!r} (use auto, cpu, cuda, cuda:N or mps)")


def amp_enabled(device: torch.device, wanted: bool) -> bool:
    """Mixed precision runs on CUDA only: CPU autocast is slower for convolutions, and MPS
    float16 training is not reliable enough to turn on by default."""
    return bool(wanted) and device.type == "cuda"


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """float16 autocast on CUDA when `enabled`; a no-op context otherwise."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.float16)


def free_cached_memory(device: torch.device) -> None:
    """Give the allocator's cached blocks back (after an out-of-memory error)."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


@contextlib.contextmanager
def deterministic_algorithms(enabled: bool) -> Iterator[None]:
    """Turn on deterministic kernels for a block and restore the previous setting afterwards
    (the app keeps running after training; a global switch must not leak into inference)."""
    if not enabled:
        yield
        return
    # cuBLAS needs this workspace setting to be deterministic; harmless without CUDA.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = torch.are_deterministic_algorithms_enabled()
    benchmark = torch.backends.cudnn.benchmark
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)
        torch.backends.cudnn.benchmark = benchmark


def to_device(value: Any, device: torch.device) -> Any:
    """Tensors in `value` (a tensor, or lists, tuples and dicts of them) moved to `device`."""
    if torch.is_tensor(value):
        return value.to(device, non_blocking=True)
    if isinstance(value, list | tuple):
        return type(value)(to_device(v, device) for v in value)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    return value


def batch_length(value: Any) -> int:
    """How many samples a collated batch holds (the first tensor's first dimension)."""
    if torch.is_tensor(value):
        return int(value.shape[0])
    items = value.values() if isinstance(value, dict) else value
    return batch_length(next(iter(items)))
