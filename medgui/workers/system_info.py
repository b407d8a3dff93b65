"""What this machine offers for training, asked off the GUI thread (it imports torch).

The About box and the first-run welcome show the PyTorch build, whether CUDA and Apple MPS are
usable, and the device training will use with the reason (`medgui.ml.runtime.device.pick_device`).
"""

from __future__ import annotations

from dataclasses import dataclass

from superqt.utils import FunctionWorker, create_worker


@dataclass(frozen=True)
class DeviceInfo:
    """The torch build and its accelerators, in words for the user."""

    torch_version: str
    cuda: str  # "available: <GPU name> (CUDA 12.4)" or "not available"
    mps: str  # "available" or "not available"
    training_device: str  # pick_device's reason: "CUDA: <GPU name>", "CPU: <why>", ...


def device_info() -> DeviceInfo:
    """The `DeviceInfo` of this process's torch (imports torch: call it in a worker)."""
    import torch

    from medgui.ml.runtime.device import pick_device

    choice = pick_device()
    if torch.cuda.is_available():
        cuda = f"available: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    else:
        cuda = "not available"  # why is in the training device's reason
    mps = getattr(torch.backends, "mps", None)
    mps_text = "available" if mps is not None and mps.is_available() else "not available"
    return DeviceInfo(torch.__version__, cuda, mps_text, choice.reason)


def device_info_worker() -> FunctionWorker:
    """An unstarted worker computing `device_info()`: `returned(DeviceInfo)`, `errored(exc)`."""
    return create_worker(device_info, _start_thread=False, _ignore_errors=True)
