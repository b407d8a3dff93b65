"""Device choice: CUDA, else MPS, else CPU, with the reason the panel shows."""

from __future__ import annotations

import pytest
import torch

from medgui.ml.runtime import device as device_module
from medgui.ml.runtime.device import amp_enabled, deterministic_algorithms, pick_device


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: f"Fake GPU {index}")


def test_cpu_build_says_it_has_no_cuda(no_gpu, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None, raising=False)
    choice = pick_device()
    assert choice.device == torch.device("cpu")
    assert choice.reason == "CPU: this PyTorch build has no CUDA"


def test_cuda_build_without_a_device_says_none_was_found(no_gpu, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    assert pick_device("auto").reason == "CPU: no CUDA device found"


def test_cuda_is_preferred_and_named(fake_cuda, monkeypatch):
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    choice = pick_device()
    assert choice.device == torch.device("cuda", 0)
    assert choice.reason == "CUDA: Fake GPU 0"
    assert pick_device("cuda:1").reason == "CUDA: Fake GPU 1"


def test_mps_when_there_is_no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    choice = pick_device()
    assert (choice.device.type, choice.reason) == ("mps", "Apple MPS")


def test_explicit_requests_are_checked(no_gpu, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    assert pick_device("CPU").reason == "CPU: requested"
    with pytest.raises(ValueError, match="no CUDA"):
        pick_device("cuda")
    with pytest.raises(ValueError, match="Apple MPS is not available"):
        pick_device("mps")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        pick_device("tpu")
    with pytest.raises(ValueError, match="must be a number"):
        pick_device("cuda:x")


def test_cuda_index_out_of_range(fake_cuda):
    with pytest.raises(ValueError, match="only 2 CUDA device"):
        pick_device("cuda:2")


def test_mixed_precision_only_on_cuda():
    assert amp_enabled(torch.device("cuda", 0), True)
    assert not amp_enabled(torch.device("cuda", 0), False)
    assert not amp_enabled(torch.device("cpu"), True)
    assert not amp_enabled(torch.device("mps"), True)


def test_deterministic_switch_is_restored():
    before = torch.are_deterministic_algorithms_enabled()
    with deterministic_algorithms(True):
        assert torch.are_deterministic_algorithms_enabled()
    assert torch.are_deterministic_algorithms_enabled() == before
