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

from medgui.core.image.volume import Volume
from medgui.core.workspace.audit import AuditLog
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
    from medgui.ml.models.registry import ModelRegistry

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


def _all_versions(workspace_root: Path, name: str | None = None) -> list[VersionInfo]:
    from medgui.ml.models.registry import ModelRegistry

    names = [name] if name else ModelRegistry(workspace_root).list_models()
    return [info for each in names for info in _versions(workspace_root, each)]


def versions_worker(workspace_root: str | Path, name: str | None = None) -> FunctionWorker:
    """An unstarted worker listing the versions of `name` (None: of every model in the
    workspace, model by model, oldest first): `returned(list[VersionInfo])`."""
    return create_worker(
        _all_versions, Path(workspace_root), name, _start_thread=False, _ignore_errors=True
    )


def _set_active(workspace_root: Path, name: str, number: int) -> int:
    from medgui.ml.models.registry import ModelRegistry

    registry = ModelRegistry(workspace_root)
    registry.set_active(registry.version(name, number))
    return number


def set_active_worker(workspace_root: str | Path, name: str, number: int) -> FunctionWorker:
    """An unstarted worker making version `number` of `name` the active one."""
    return create_worker(
        _set_active, Path(workspace_root), name, number, _start_thread=False, _ignore_errors=True
    )


def _active_version(workspace_root: Path, name: str):
    from medgui.ml.models.registry import ModelRegistry

    version = ModelRegistry(workspace_root).active(name)
    if version is None:
        raise ValueError(f"no active {name} model in this workspace: train one first")
    return version


def _active_path(workspace_root: Path, name: str) -> Path:
    return _active_version(workspace_root, name).path


def _record_run(workspace_root: Path, model: str, volume: Volume, **details) -> None:
    from medgui.core.annotations.store import series_key

    AuditLog(workspace_root).record("model_run", model=model, series=series_key(volume), **details)


def _segment(workspace_root: Path, name: str, volume: Volume, progress=None):
    from medgui.ml.segmentation import infer

    def report(done: int, total: int) -> None:
        progress(done, total)  # raises Cancelled after quit()

    try:
        return infer.segment_volume(_active_path(workspace_root, name), volume, report)
    except infer.InferenceCancelled as error:
        raise Cancelled from error


def _segment_series(workspace_root: Path, name: str, volume: Volume, progress=None):
    proposal = _segment(workspace_root, name, volume, progress)
    model = f"{proposal.model.get('name', name)}/v{proposal.model.get('version', '?')}"
    _record_run(workspace_root, model, volume, task="segment", slices=volume.shape_zyx[0])
    return proposal


def segment_worker(workspace_root: str | Path, volume: Volume, name: str = "segment"):
    """An unstarted worker segmenting `volume` with the active version of `name` (recorded in
    the workspace's audit log): `progressed(done, total)`, `returned(Proposal | None)` (None
    when cancelled)."""
    return ProgressWorker(_segment_series, Path(workspace_root), name, volume)


def _uncertain_slices(workspace_root: Path, name: str, volume: Volume, proposal, progress=None):
    from medgui.ml.training.active_learning import rank_by_entropy

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


def _uncertain_series(
    workspace_root: Path, name: str, candidates: list, n_slices: int = 8, progress=None
) -> list[tuple[Any, float]]:
    from medgui.core import load_volume
    from medgui.core.annotations.store import series_key
    from medgui.core.workspace.store import LABELS, Workspace
    from medgui.ml.runtime.device import pick_device
    from medgui.ml.segmentation import infer
    from medgui.ml.training.active_learning import rank_series
    from medgui.ml.training.checkpoint import TrainedModel

    workspace = Workspace(workspace_root)
    keys = workspace.series_keys()
    labelled = {k for k in keys if (workspace.series_dir(k) / LABELS).is_file()}
    todo = [c for c in candidates if getattr(c, "uid", str(c)) not in labelled]
    model = TrainedModel.load(_active_path(workspace_root, name), pick_device().device)
    done = [0]

    def report(i: int, total: int) -> None:
        done[0] = i
        progress(i, total)  # raises Cancelled after quit()

    def load(candidate):
        volume = load_volume(candidate, lambda _step: progress(done[0], len(todo)))
        return None if series_key(volume) in labelled else volume

    def predict(volume: Volume, slices: list[int]):
        try:
            proposal = infer.segment_volume(
                model, volume, lambda *_a: progress(done[0], len(todo)), slices=slices
            )
        except infer.InferenceCancelled as error:
            raise Cancelled from error
        return proposal.probabilities

    return rank_series(todo, load, predict, n_slices, report)


def uncertain_series_worker(
    workspace_root: str | Path, candidates: list, name: str = "segment", n_slices: int = 8
) -> ProgressWorker:
    """An unstarted worker ranking the unlabelled `candidates` (scanned `Series` or paths;
    labelled = the workspace has a saved label map under its key) by the active model's mean
    voxel entropy over `n_slices` evenly spaced axial slices: `returned([(candidate, nats),
    ...])`, most uncertain first; None when cancelled."""
    return ProgressWorker(_uncertain_series, Path(workspace_root), name, list(candidates), n_slices)


def _classify_slice(workspace_root: Path, volume: Volume, k: int, name: str = "classify"):
    import numpy as np

    from medgui.core.image.reformat import extract_slice, plane_for_axis
    from medgui.ml.classification.infer import load_classifier

    version = _active_version(workspace_root, name)
    classifier = load_classifier(version.path)
    values = np.asarray(extract_slice(volume, plane_for_axis(volume, 2), k), dtype=np.float32)
    probabilities = classifier.classify_slice(values, volume.modality)
    heat = classifier.heat_map(classifier.slice_image(values, volume.modality))
    best = max(probabilities, key=probabilities.get) if probabilities else ""
    _record_run(workspace_root, version.id, volume, task="classify", slice=k + 1, result=best)
    return probabilities, np.asarray(heat, dtype=np.float32)


def classify_slice_worker(
    workspace_root: str | Path, volume: Volume, k: int, name: str = "classify"
) -> FunctionWorker:
    """An unstarted worker classifying axial slice `k` of `volume` with the active version of
    `name`: `returned(({class: probability}, heat map))`, the heat map (0..1) on the axial
    view's slice grid (as `extract_slice` gives it)."""
    return create_worker(
        _classify_slice,
        Path(workspace_root),
        volume,
        int(k),
        name,
        _start_thread=False,
        _ignore_errors=True,
    )
