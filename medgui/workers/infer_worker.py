"""Running models in the window: the registry's versions, segmentation of the open series, and
the slices the model is least sure about.

Workers are `ProgressWorker`s (progress, `quit()` cancels at the next slice). What comes back
is plain data or the `Proposal` (probabilities, argmax labels), which the UI reads without
importing any ML code; the ML code itself is imported in the worker thread, inside the
functions that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from superqt.utils import FunctionWorker, create_worker

from medgui.core.volume import Volume
from medgui.workers.load_worker import Cancelled, ProgressWorker


@dataclass
class VersionInfo:
    """One registry version as the model panel lists it."""

    id: str  # name/vN
    name: str
    number: int
    path: Path
    created_at: str
    best: dict[str, Any]
    active: bool
    summary: dict[str, Any]


def _versions(workspace_root: Path, name: str) -> list[VersionInfo]:
    from medgui.ml.registry import ModelRegistry

    registry = ModelRegistry(workspace_root)
    try:
        active = registry.active(name)
    except ValueError:
        active = None
    out = []
    for version in registry.versions(name):
        try:
            card = registry.load_card(version)
        except ValueError:
            continue
        summary = {
            "task": card.task,
            "model": card.model,
            "device": card.device,
            "labels": [lb.get("name") for lb in card.extra.get("labels", []) or []],
            "epochs": len(card.epochs or []),
        }
        out.append(
            VersionInfo(
                version.id,
                version.name,
                version.number,
                version.path,
                str(card.created_at or ""),
                dict(card.best or {}),
                active is not None and active.number == version.number,
                summary,
            )
        )
    return out


def versions_worker(workspace_root: str | Path, name: str = "segment") -> FunctionWorker:
    """An unstarted worker listing the versions of `name`: `returned(list[VersionInfo])`."""
    return create_worker(
        _versions, Path(workspace_root), name, _start_thread=False, _ignore_errors=True
    )


def _set_active(workspace_root: Path, name: str, number: int) -> int:
    from medgui.ml.registry import ModelRegistry

    registry = ModelRegistry(workspace_root)
    registry.set_active(registry.version(name, number))
    return number


def set_active_worker(workspace_root: str | Path, name: str, number: int) -> FunctionWorker:
    """An unstarted worker making version `number` of `name` the active one."""
    return create_worker(
        _set_active, Path(workspace_root), name, number, _start_thread=False, _ignore_errors=True
    )


def _active_path(workspace_root: Path, name: str) -> Path:
    from medgui.ml.registry import ModelRegistry

    version = ModelRegistry(workspace_root).active(name)
    if version is None:
        raise ValueError(f"no active {name} model in this workspace: train one first")
    return version.path


def _segment(workspace_root: Path, name: str, volume: Volume, progress=None):
    from medgui.ml.segmentation import infer

    def report(done: int, total: int) -> None:
        progress(done, total)  # raises Cancelled after quit()

    try:
        return infer.segment_volume(_active_path(workspace_root, name), volume, report)
    except infer.InferenceCancelled as error:
        raise Cancelled from error


def segment_worker(workspace_root: str | Path, volume: Volume, name: str = "segment"):
    """An unstarted worker segmenting `volume` with the active version of `name`:
    `progressed(done, total)`, `returned(Proposal | None)` (None when cancelled)."""
    return ProgressWorker(_segment, Path(workspace_root), name, volume)


def _uncertain_slices(workspace_root: Path, name: str, volume: Volume, proposal, progress=None):
    from medgui.ml.active_learning import rank_by_entropy

    if proposal is None:
        proposal = _segment(workspace_root, name, volume, progress)
    probabilities = proposal.probabilities
    return rank_by_entropy(range(probabilities.shape[1]), lambda k: probabilities[:, k])


def uncertain_slices_worker(
    workspace_root: str | Path, volume: Volume, proposal=None, name: str = "segment"
) -> ProgressWorker:
    """An unstarted worker ranking the axial slices of `volume` by the active model's mean
    entropy (reusing `proposal`'s probabilities when given): `returned([(k, nats), ...])`,
    most uncertain first."""
    return ProgressWorker(_uncertain_slices, Path(workspace_root), name, volume, proposal)
