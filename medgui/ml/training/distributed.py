"""Data-parallel training across processes: the same `medgui train` under
``torchrun --nproc_per_node=N`` (one node or several).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; `DistContext.from_env` reads them, `setup` joins
the process group (NCCL between GPUs, gloo between CPU processes) and picks this process's
device. The trainer wraps the network in DistributedDataParallel, shards the data with
DistributedSampler, averages metrics over all processes, and lets only rank 0 write files and
print. Without those variables everything here is a no-op, so single-process code is the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from medgui.ml.runtime.device import DeviceChoice, pick_device


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a distributed run (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main process writes checkpoints and models and prints progress."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistContext:
        """The context torchrun describes in the environment (single process without it)."""
        try:
            world = int(os.environ.get("WORLD_SIZE", "1"))
            rank = int(os.environ.get("RANK", "0"))
            local = int(os.environ.get("LOCAL_RANK", str(rank)))
        except ValueError as error:
            raise ValueError(f"bad torchrun environment (RANK/WORLD_SIZE): {error}") from error
        if world < 1 or not 0 <= rank < world:
            raise ValueError(f"bad torchrun environment: RANK={rank}, WORLD_SIZE={world}")
        return cls(rank, world, local)


def setup(requested_device: str = "auto") -> tuple[DistContext, DeviceChoice]:
    """Join the process group torchrun describes (if any) and choose this process's device:
    its own GPU (cuda:LOCAL_RANK, NCCL) when CUDA is available, else the CPU (gloo)."""
    context = DistContext.from_env()
    choice = pick_device(requested_device)
    if not context.enabled:
        return context, choice
    if choice.device.type == "cuda":
        torch.cuda.set_device(context.local_rank)
        choice = pick_device(f"cuda:{context.local_rank}")
        backend = "nccl"
    elif choice.device.type == "cpu":
        backend = "gloo"
    else:
        raise ValueError(f"distributed training runs on CUDA or CPU, not {choice.device.type}")
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    reason = f"{choice.reason} (rank {context.rank} of {context.world_size}, {backend})"
    return context, DeviceChoice(choice.device, reason)


def finish(context: DistContext) -> None:
    """Wait until every rank is done (after a run that succeeded everywhere): a rank that left
    the group while rank 0 still saved the model could abort in gloo's threads at exit
    ("terminate called without an active exception", seen once in four CI runs)."""
    if context.enabled and dist.is_initialized():
        dist.barrier()


def shutdown(context: DistContext) -> None:
    """Leave the process group (after the last collective call)."""
    if context.enabled and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: torch.nn.Module, context: DistContext, device: torch.device) -> torch.nn.Module:
    """`model` in DistributedDataParallel when distributed (gradients averaged across ranks)."""
    if not context.enabled:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The network itself, without a DistributedDataParallel wrapper."""
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def weighted_mean(
    values: dict[str, float], weight: float, context: DistContext, device: torch.device
) -> dict[str, float]:
    """The mean of each value over all ranks, weighted by each rank's `weight` (its number of
    samples). NaN values (a label absent from a rank's share) are left out of that mean."""
    if not context.enabled or not values:
        return dict(values)
    keys = sorted(values)
    numbers = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    present = torch.isfinite(numbers).to(torch.float64) * weight
    packed = torch.cat([torch.nan_to_num(numbers, nan=0.0) * present, present]).to(device)
    dist.all_reduce(packed, op=dist.ReduceOp.SUM)
    totals, weights = packed.cpu().split(len(keys))
    return {
        k: float(t / w) if w > 0 else float("nan")
        for k, t, w in zip(keys, totals.tolist(), weights.tolist(), strict=True)
    }


def from_main(value: float, context: DistContext, device: torch.device) -> float:
    """Rank 0's `value` on every rank (a random seed, say, that all ranks must share)."""
    if not context.enabled:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


def agree(flag: bool, context: DistContext, device: torch.device) -> bool:
    """Rank 0's `flag` on every rank (a wall-clock budget is measured by rank 0 alone, so all
    ranks stop after the same epoch instead of waiting on each other forever)."""
    return bool(from_main(1.0 if flag else 0.0, context, device))
