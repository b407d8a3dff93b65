"""Training checkpoints: everything a cancelled or crashed run needs to continue exactly.

A checkpoint is one ``torch.save`` file written atomically (temporary file, fsync, rename) so a
kill mid-write leaves the previous epoch's checkpoint intact. It is read back with
``torch.load(weights_only=True)`` only — never a full unpickle — so every entry is a tensor or a
plain container of numbers and strings: the random-number states of numpy and Python are stored
as tensors and lists, not as the objects their libraries return.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medgui.core.util.atomic import atomic_write_json, atomic_writer
from medgui.ml.models.card import ModelCard, read_card
from medgui.ml.models.card_schema import require_for_inference
from medgui.ml.models.registry import CARD, WEIGHTS
from medgui.ml.models.safe_load import check_weights, load_safetensors
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.models.write_errors import writing

CHECKPOINT_FORMAT = "medgui-checkpoint"
CHECKPOINT_VERSION = 1
LAST = "last.pt"
BEST_WEIGHTS = "best.safetensors"


def seed_everything(seed: int) -> None:
    """Seed torch (all devices), numpy's and Python's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The state of every global random generator, as tensors and plain lists."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, words, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {"version": int(version), "words": list(words), "gauss_next": gauss_next},
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put the generators back to `state` (from `rng_state`). CUDA states are restored only when
    the same number of devices is visible (a checkpoint may move to another machine)."""
    torch.set_rng_state(state["torch"].cpu())
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            numpy_state["kind"],
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = state["python"]
    random.setstate(
        (python_state["version"], tuple(python_state["words"]), python_state["gauss_next"])
    )
    cuda_states = state.get("cuda") or []
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])


def pack(network, optimizer, scheduler, scaler, **facts: Any) -> dict[str, Any]:
    """A checkpoint of a run's training objects (their state dicts, the RNG states) and
    `facts` (epoch, history, ...) for `save_checkpoint`."""
    return {
        "model": cpu_state_dict(network),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": rng_state(),
        **facts,
    }


def unpack(checkpoint: dict[str, Any], network, optimizer, scheduler, scaler) -> None:
    """Put the training objects and the random generators back to `checkpoint`'s state."""
    network.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    scaler.load_state_dict(checkpoint["scaler"])
    restore_rng_state(checkpoint["rng"])


def save_checkpoint(path: str | Path, checkpoint: dict[str, Any]) -> Path:
    """Write `checkpoint` (a dict of tensors and plain values) to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **checkpoint}
    with writing(path), atomic_writer(path) as temporary:
        torch.save(content, temporary)
    return path


def checkpoint_file(path: str | Path) -> Path:
    """The checkpoint that `path` names: the file itself, or ``last.pt`` in a folder."""
    path = Path(path)
    return path / LAST if path.is_dir() else path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (a file, or a folder holding ``last.pt``)
    onto the CPU. Only tensors and plain values are rebuilt (``weights_only=True``); ValueError
    names the file when it is missing, corrupt, or holds anything else."""
    path = checkpoint_file(path)
    if not path.is_file():
        raise ValueError(f"{path}: no checkpoint to resume from")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "GLOBAL" in str(error):  # the weights-only unpickler refused to rebuild an object
            raise ValueError(
                f"{path}: refused: holds objects that are not plain tensors"
            ) from error
        raise ValueError(f"{path}: not a readable checkpoint ({error})") from error
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable checkpoint ({error})") from error
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a medgui training checkpoint")
    if data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: unsupported checkpoint version {data.get('version')!r}")
    return data


def cpu_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached, contiguous CPU copy of `module`'s weights (what safetensors can write and
    what stays unchanged while training goes on)."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in module.state_dict().items()}


def save_weights(path: str | Path, weights: dict[str, torch.Tensor]) -> Path:
    """Write `weights` as safetensors, atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writing(path), atomic_writer(path) as temporary:
        save_file(weights, str(temporary), metadata={"format": "pt"})
    return path


def config_from_card(card: ModelCard) -> TrainConfig:
    """The training configuration a card records, with what a task needs to rebuild its
    network without data (the classes and input channels) added to its options."""
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig.from_json({k: v for k, v in card.hyperparameters.items() if k in known})
    config.options = dict(config.options)
    config.options.update(classes=list(card.classes), in_channels=card.input_channels)
    return config


@dataclass
class TrainedModel:
    """A network with its model card: what inference needs."""

    network: torch.nn.Module
    card: ModelCard
    #: Other weight files of the model ({file name: tensors}), e.g. a GAN's generator.
    extras: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)

    def save(self, model_dir: str | Path) -> Path:
        """Write weights.safetensors, card.json and the `extras` into `model_dir` (a registry
        version's layout, for `medgui train --out`); returns the folder."""
        model_dir = Path(model_dir)
        paths = [model_dir / name for name in self.extras]
        # Weights without their card are no model: a failed card write takes the weights too.
        with writing(model_dir / CARD, model_dir / WEIGHTS, *paths):
            save_weights(model_dir / WEIGHTS, cpu_state_dict(self.network))
            for path, tensors in zip(paths, self.extras.values(), strict=True):
                save_weights(path, tensors)
            atomic_write_json(model_dir / CARD, self.card.to_json())
        return model_dir

    @classmethod
    def load(cls, model_dir: str | Path, device: torch.device | str = "cpu") -> TrainedModel:
        """The model in `model_dir` (weights.safetensors + card.json, e.g. a registry version),
        in eval mode on `device`. Only safetensors is read: nothing in the files runs."""
        model_dir = Path(model_dir)
        if not (model_dir / CARD).is_file():
            raise ValueError(f"{model_dir}: not a model folder (no {CARD})")
        card = read_card(model_dir / CARD)
        require_for_inference(card, str(model_dir / CARD))
        network = get_task(card.task).build_network(config_from_card(card))
        weights = load_safetensors(model_dir / WEIGHTS)
        check_weights(network.state_dict(), weights, model_dir / WEIGHTS)
        network.load_state_dict(weights)
        return cls(network.to(device).eval(), card)
