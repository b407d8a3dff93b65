"""Training in the window: a generator worker that runs `Trainer.run` on the workspace.

The worker saves the open series into the workspace first (the training data are the
workspace's saved label maps), then forwards the trainer's typed events themselves
(`ml.training.events`: the device chosen first, then at most one `BatchDone` per
`BATCH_INTERVAL_S`, every other event; the widgets react to them with `dispatch`), runs the
model of the moment on the slice on show after each epoch (`SlicePreview`; for the beats
task `BeatPreview`, its beats on the ECG page on show: the user sees the model learn), and at
the end saves the best weights as a new active version in the workspace's model registry
(`Trained`). `quit()` closes the trainer's generator: training
stops within a batch and the checkpoint of the last complete epoch stays for "Resume".

The ML code (torch, MONAI) is imported inside the functions that run in the worker thread, so
opening the window never imports torch (the events module is plain data); the import-linter
contracts still see these imports (ui may reach medgui.ml only through workers).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from superqt.utils import GeneratorWorker, thread_worker

from medgui.core.image.volume import Volume
from medgui.core.signals.signal import Signal
from medgui.core.util.collection import freeze_once
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.layout import models_dir
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ml.training import events as te
from medgui.ml.training.events import DeviceChosen, dispatch

__all__ = ["BeatPreview", "SlicePreview", "Trained", "TrainRequest", "dispatch", "train_worker"]
from medgui.workers.load_worker import _ClosingGeneratorWorker

BATCH_INTERVAL_S = 0.1  # batch updates forwarded at most this often
CHECKPOINTS = ".checkpoints"  # under <workspace>/models/ (not a valid model name: never listed)


def checkpoint_dir(workspace_root: str | Path, task: str) -> Path:
    """Where the checkpoints of the workspace's `task` training go (for "Resume")."""
    return models_dir(workspace_root) / CHECKPOINTS / task


def can_resume(workspace_root: str | Path, task: str) -> bool:
    """Whether an interrupted (or finished) run of `task` left a checkpoint to continue."""
    return (checkpoint_dir(workspace_root, task) / "last.pt").is_file()


class BatchThrottle:
    """Which `BatchDone` events go on to the GUI: at most one per `BATCH_INTERVAL_S`, and
    always an epoch's last (the curves end where the epoch does)."""

    def __init__(self) -> None:
        self._last = -math.inf

    def keep(self, event: te.BatchDone) -> bool:
        now = time.monotonic()
        if now - self._last < BATCH_INTERVAL_S and event.batch != event.n_batches:
            return False
        self._last = now
        return True


@dataclass
class TrainRequest:
    """What one training run is told. `config` is a `TrainConfig` as JSON; `work` the open
    series to save first (None: nothing to save); `volume` and `preview_slice` the slice to
    predict after each epoch (None: no preview)."""

    config: dict[str, Any]
    workspace_root: Path
    work: SeriesWork | None = None
    volume: Volume | None = None
    preview_slice: int | None = None
    resume: bool = False
    model_name: str = ""  # the registry name; default: the task's name
    # The beats task: the record on show and the samples [start, end) to find beats in after
    # each epoch (the page on show; the window moves it as the user scrolls).
    signal: Signal | None = None
    preview_samples: tuple[int, int] | None = None
    # Classification's unlabelled images (method gan/fixmatch): {"folder": DIR}, or
    # {"series": [keys]} for the untagged slices of those saved series. None: none.
    unlabelled: dict[str, Any] | None = None


@dataclass
class SlicePreview:
    """The current model's prediction on slice `k` (axial) of the open volume:
    probabilities float32 (L+1, y, x), channel c the label `label_values[c-1]`."""

    epoch: int
    k: int
    probabilities: np.ndarray
    label_values: list[int]
    colors: dict[int, tuple[int, int, int]]


@dataclass
class BeatPreview:
    """The current model's beats in samples [start, end) of the record on show (`source`):
    `samples` (of the record) and their `symbols`."""

    epoch: int
    source: str
    start: int
    end: int
    samples: np.ndarray
    symbols: list[str]


@dataclass
class Trained:
    """The run's end: the registry version saved (name/vN) and the final summary."""

    version_id: str
    number: int
    summary: dict[str, Any]


def _plain(metrics: dict[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in metrics.items()}


def _preview(trainer, volume: Volume, k: int, epoch: int) -> SlicePreview | None:
    from medgui.ml.segmentation.infer import segment_volume

    if trainer.task.name != "segment":
        return None
    proposal = segment_volume(trainer.snapshot(), volume, slices=[k])
    colors = {lb.value: tuple(lb.color) for lb in proposal.table.labels}
    return SlicePreview(
        epoch, k, proposal.probabilities[:, k].copy(), list(proposal.label_values), colors
    )


def _beat_preview(trainer, signal: Signal, window: tuple[int, int], epoch: int):
    from medgui.ml.signals.detect import find_beats

    if trainer.task.name != "beats":
        return None
    start, end = window
    samples, symbols = find_beats(trainer.snapshot(), signal, start, end)
    return BeatPreview(epoch, signal.source, start, end, samples, symbols)


def _sources(workspace: Workspace, unlabelled: dict[str, Any] | None):
    """What the trainer reads: the workspace, with the unlabelled images when asked."""
    if not unlabelled:
        return workspace
    if unlabelled.get("folder"):
        return {"source": workspace, "unlabelled": str(unlabelled["folder"])}
    from medgui.ml.classification.unlabelled import untagged_slices

    return {"source": workspace, "unlabelled": untagged_slices(workspace, unlabelled["series"])}


def _train(request: TrainRequest):
    from medgui.ml.models.registry import ModelRegistry
    from medgui.ml.models.task import TrainConfig, get_task
    from medgui.ml.training.trainer import trainer_for

    root = Path(request.workspace_root)
    workspace = Workspace(root)
    if request.work is not None:
        workspace.save_series(request.work)
    config = TrainConfig.from_json(dict(request.config))
    task = get_task(config.task)
    folder = checkpoint_dir(root, task.name)
    resume_from = folder if request.resume and can_resume(root, task.name) else None
    trainer = trainer_for(task, config, checkpoint_dir=folder)
    freeze_once()
    yield DeviceChosen(trainer.choice.reason)
    events = trainer.run(_sources(workspace, request.unlabelled), resume_from)
    throttle = BatchThrottle()
    try:
        for event in events:
            if isinstance(event, te.BatchDone):
                if throttle.keep(event):
                    yield replace(event, loss=float(event.loss))
            elif isinstance(event, te.EpochDone):
                yield replace(event, metrics=_plain(event.metrics), lr=float(event.lr))
                if request.volume is not None and request.preview_slice is not None:
                    preview = _preview(trainer, request.volume, request.preview_slice, event.epoch)
                    if preview is not None:
                        yield preview
                if request.signal is not None and request.preview_samples is not None:
                    shown = tuple(request.preview_samples)  # the window may move it meanwhile
                    beats = _beat_preview(trainer, request.signal, shown, event.epoch)
                    if beats is not None:
                        yield beats
            elif isinstance(event, te.Finished):
                result = event.result
                registry = ModelRegistry(root)
                name = request.model_name or task.name
                state = {k: v.detach().cpu() for k, v in result.model.network.state_dict().items()}
                extras = result.model.extras  # a GAN's generator and privacy features
                version = registry.save_version(name, state, result.model.card, extras=extras)
                card = result.model.card
                AuditLog(root).record(
                    "model_trained",
                    version=version.id,
                    task=task.name,
                    model=config.model,
                    epochs=len(card.epochs or []),
                    best=dict(card.best or {}),
                    device=str(card.device),
                    resumed=resume_from is not None,
                )
                return Trained(version.id, version.number, result.summary())
            else:
                yield event
    finally:
        events.close()  # cancelled: the trainer stops within the batch
    return None


_train_worker = thread_worker(_train, worker_class=_ClosingGeneratorWorker, ignore_errors=True)


def train_worker(request: TrainRequest) -> GeneratorWorker:
    """An unstarted worker training as `request` says:
    `yielded(event | SlicePreview | BeatPreview)`
    (an event of `ml.training.events`: react with `dispatch(event, handler)`),
    `returned(Trained | None)`, `errored(exc)`, `aborted()` after `quit()`, `finished()`."""
    return _train_worker(request, _start_thread=False)
