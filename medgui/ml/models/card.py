"""The model card: what a trained model is, what it was trained on, how, and how well.

Stored as ``card.json`` beside the weights of every model version (see `registry`). The card is
what makes a model trustworthy and reproducible: the task and classes, the input the network
expects (size, channels, spacing, normalisation), the exact data (series UIDs and content
hashes), the split, every hyperparameter, the metrics of each epoch, the device, the durations,
and the software versions. Format::

    {"format": "medgui-model-card", "version": 1, "task": ..., ...}
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

import medgui
from medgui.core.util.jsonfile import read_json
from medgui.ml.models.card_schema import check_values

CARD_FORMAT = "medgui-model-card"
CARD_VERSION = 1
_HASH_BLOCK = 1 << 20
#: The card fields a task fills through `Task.card_fields` (see `ModelCard.for_run`).
TASK_FIELDS = (
    "model",
    "classes",
    "input_size",
    "input_channels",
    "input_spacing_mm",
    "normalisation",
    "series",
    "split",
)


def content_hash(paths: Iterable[str | Path] | str | Path) -> str:
    """SHA-256 (hex) of the bytes of `paths` (files; a folder stands for every file below it).

    Each file is hashed on its own, streamed in 1 MiB blocks, and the result hashes the sorted
    per-file digests: the same data gives the same hash whatever the file names, their order or
    the folder they were copied to. ValueError names a file that cannot be read.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    digests = []
    for path in files:
        hasher = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda handle=handle: handle.read(_HASH_BLOCK), b""):
                    hasher.update(block)
        except OSError as error:
            raise ValueError(f"{path}: cannot read to hash it: {error}") from error
        digests.append(hasher.hexdigest())
    total = hashlib.sha256()
    for digest in sorted(digests):
        total.update(digest.encode("ascii"))
    return total.hexdigest()


def series_entry(series_id: str, paths: Iterable[str | Path], uid: str = "") -> dict[str, Any]:
    """One entry of `ModelCard.series`: the id used in the split, its UID, file count and hash."""
    paths = list(paths)
    return {"id": series_id, "uid": uid, "files": len(paths), "sha256": content_hash(paths)}


def software_versions() -> dict[str, str]:
    """The versions that decide whether a model can be reproduced."""
    import monai
    import numpy

    return {
        "medgui": medgui.__version__,
        "torch": torch.__version__,
        "monai": monai.__version__,
        "numpy": numpy.__version__,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a metric that is not finite is recorded as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# The JSON type each field must have (checked when a card is read: imports are untrusted).
_TYPES: dict[str, tuple[type, ...]] = {
    "task": (str,),
    "model": (str,),
    "classes": (list,),
    "input_size": (list, type(None)),
    "input_channels": (int,),
    "input_spacing_mm": (list, type(None)),
    "normalisation": (dict,),
    "series": (list,),
    "split": (dict,),
    "hyperparameters": (dict,),
    "epochs": (list,),
    "best": (dict,),
    "device": (str,),
    "durations_s": (dict,),
    "versions": (dict,),
    "created_at": (str,),
    "name": (str,),
    "model_version": (int,),
    "origin": (str,),
    "extra": (dict,),
}


@dataclass
class ModelCard:
    """Everything worth knowing about one trained model (one registry version)."""

    task: str
    model: str = ""  # the network, e.g. "small_cnn", "densenet121", "unet2d"
    classes: list[str] = field(default_factory=list)  # output index i is classes[i]
    input_size: list[int] | None = None  # (H, W) or (D, H, W) the network is fed
    input_channels: int = 1
    input_spacing_mm: list[float] | None = None  # None: resized, not resampled
    normalisation: dict[str, Any] = field(default_factory=dict)
    series: list[dict[str, Any]] = field(default_factory=list)  # `series_entry` objects
    split: dict[str, Any] = field(default_factory=dict)  # {"train": ids, "val": ids, "info"}
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_json()
    epochs: list[dict[str, Any]] = field(default_factory=list)  # per epoch: {"epoch", metrics}
    best: dict[str, Any] = field(default_factory=dict)  # {"metric", "value", "epoch"}
    device: str = ""
    durations_s: dict[str, float] = field(default_factory=dict)  # {"total", "training", ...}
    versions: dict[str, str] = field(default_factory=software_versions)
    created_at: str = field(default_factory=_now)
    name: str = ""  # set by the registry
    model_version: int = 0  # set by the registry
    origin: str = "trained"  # or "imported from <bundle>"
    extra: dict[str, Any] = field(default_factory=dict)  # task-specific facts

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (non-finite metrics become null) that `from_json` reads back."""
        return {"format": CARD_FORMAT, "version": CARD_VERSION} | _finite(asdict(self))

    @classmethod
    def from_json(cls, data: Any, source: str = "card") -> ModelCard:
        """Read a card, checking its format, version and the type of every field (cards come
        from imported bundles too). ValueError names `source` and the problem."""
        if not isinstance(data, dict) or data.get("format") != CARD_FORMAT:
            raise ValueError(f"{source}: not a medgui model card")
        if data.get("version") != CARD_VERSION:
            raise ValueError(f"{source}: unsupported model card version {data.get('version')!r}")
        content = {k: v for k, v in data.items() if k not in ("format", "version")}
        unknown = sorted(set(content) - set(_TYPES))
        if unknown:
            raise ValueError(f"{source}: unknown model card fields {unknown}")
        if "task" not in content:
            raise ValueError(f"{source}: the model card names no task")
        for key, value in content.items():
            # bool is an int in Python, but never a valid count or version here.
            if not isinstance(value, _TYPES[key]) or isinstance(value, bool):
                raise ValueError(f"{source}: model card field {key!r} has the wrong type")
        if not all(isinstance(c, str) for c in content.get("classes", [])):
            raise ValueError(f"{source}: model card classes must be names")
        check_values(content, source)
        return cls(**content)

    @classmethod
    def for_run(
        cls,
        task: str,
        hyperparameters: dict[str, Any],
        task_fields: dict[str, Any],
        epochs: list[dict[str, Any]],
        best: dict[str, Any],
        device: str,
        durations_s: dict[str, float],
        split: dict[str, Any] | None = None,
    ) -> ModelCard:
        """The card of a finished training run (what the trainer writes).

        `task_fields` is `Task.card_fields(config, split)`: keys that are card fields (classes,
        model, input_size, input_channels, input_spacing_mm, normalisation, series, split) fill
        them; anything else goes to `extra`.
        """
        known = {k: v for k, v in task_fields.items() if k in TASK_FIELDS}
        extra = {k: v for k, v in task_fields.items() if k not in TASK_FIELDS}
        if split is not None:
            known.setdefault("split", split)
        model = known.pop("model", "") or hyperparameters.get("model", "")
        return cls(
            task=task,
            model=model,
            hyperparameters=dict(hyperparameters),
            epochs=list(epochs),
            best=dict(best),
            device=device,
            durations_s=dict(durations_s),
            extra=extra,
            **known,
        )

    def metrics_at_best(self) -> dict[str, Any]:
        """The metrics of the epoch the weights come from (the last epoch if none is marked)."""
        if not self.epochs:
            return {}
        wanted = self.best.get("epoch")
        match = [e for e in self.epochs if e.get("epoch") == wanted]
        return dict((match or self.epochs[-1:])[0])

    def summary(self) -> str:
        """A few lines for the model panel and `medgui models`."""
        title = f"{self.name} v{self.model_version}" if self.name else self.model or self.task
        lines = [f"{title}: {self.task} with {self.model or 'the default network'}"]
        if self.classes:
            lines.append(f"Classes: {', '.join(self.classes)}")
        if self.input_size:
            size = "×".join(str(n) for n in self.input_size)
            lines.append(f"Input: {size}, {self.input_channels} channel(s)")
        # Imported cards are checked field by field, not inside: read nested values defensively.
        split, info = self.split, self.split.get("info")
        if split:
            unit = info.get("unit", "items") if isinstance(info, dict) else "items"
            sizes = [split.get(k) for k in ("train", "val")]
            train, val = (len(v) if isinstance(v, list) else 0 for v in sizes)
            lines.append(f"Data: {train} {unit} for training, {val} for validation")
        if self.best:
            value = self.best.get("value")
            shown = f"{value:.4g}" if _is_number(value) else "n/a"
            lines.append(
                f"Best {self.best.get('metric', 'metric')}: {shown} (epoch "
                f"{self.best.get('epoch', '?')} of {len(self.epochs)})"
            )
        comparison = self.extra.get("comparison")  # the table task: the model and its baselines
        if isinstance(comparison, dict):
            for name, scores in comparison.items():
                if isinstance(scores, dict):
                    shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items() if _is_number(v))
                    lines.append(f"Cross-validated {name.replace('_', ' ')}: {shown}")
        total = self.durations_s.get("total")
        if _is_number(total):
            lines.append(f"Trained on {self.device or 'unknown device'} in {total / 60:.1f} min")
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        lines.append(f"Created {self.created_at} ({versions}); {self.origin}")
        return "\n".join(lines)


def read_card(path: str | Path) -> ModelCard:
    """The card in the file `path`; ValueError naming the file when it cannot be read."""
    path = Path(path)
    return ModelCard.from_json(read_json(path), source=str(path))


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (so that options.size compares on its own)."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = sorted(set(a) | set(b))
    return {k: {"a": a.get(k), "b": b.get(k)} for k in keys if a.get(k) != b.get(k)}


def compare_cards(a: ModelCard, b: ModelCard) -> dict[str, Any]:
    """What differs between two models, for the UI: "hyperparameters" and "fields" (task,
    network, classes, input) as {key: {"a", "b"}} for the keys that differ; "metrics" at each
    one's best epoch as {name: {"a", "b", "delta" (b - a)}}; "best"; and "series": the data ids
    only in a, only in b, and in both but with changed content."""
    hyper = _differences(_flatten(a.hyperparameters), _flatten(b.hyperparameters))
    metrics_a, metrics_b = a.metrics_at_best(), b.metrics_at_best()
    metrics = {}
    for key in sorted((set(metrics_a) | set(metrics_b)) - {"epoch"}):
        va, vb = metrics_a.get(key), metrics_b.get(key)
        delta = vb - va if _is_number(va) and _is_number(vb) else None
        metrics[key] = {"a": va, "b": vb, "delta": delta}
    names = ("task", "model", "classes", "input_size", "input_channels", "normalisation")
    other = _differences({k: getattr(a, k) for k in names}, {k: getattr(b, k) for k in names})
    hashes_a = {s.get("id"): s.get("sha256") for s in a.series}
    hashes_b = {s.get("id"): s.get("sha256") for s in b.series}
    common = set(hashes_a) & set(hashes_b)
    return {
        "hyperparameters": hyper,
        "metrics": metrics,
        "best": {"a": a.best, "b": b.best},
        "fields": other,
        "series": {
            "only_a": sorted(set(hashes_a) - set(hashes_b)),
            "only_b": sorted(set(hashes_b) - set(hashes_a)),
            "changed": sorted(k for k in common if hashes_a[k] != hashes_b[k]),
        },
    }
