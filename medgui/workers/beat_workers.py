"""ECG beats from a model in the window: "Label the rest" runs the workspace's active beats
model over the whole record on show, chunk by chunk with progress and Cancel, and returns the
beats it finds (the proposal is made of them on the GUI thread, against the labels of the
moment). The ML code is imported in the worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medgui.core.signals.signal import Signal
from medgui.core.workspace.audit import AuditLog
from medgui.workers.infer_worker import _active_version
from medgui.workers.load_worker import ProgressWorker

BEATS_MODEL = "beats"  # the registry name the Training dock saves beat models under


@dataclass
class BeatsFound:
    """The beats a model version (`model`, such as "beats/v2") found in the record `source`."""

    source: str
    samples: np.ndarray
    symbols: list[str]
    model: str


def _find(workspace_root: Path, name: str, signal: Signal, progress=None) -> BeatsFound:
    from medgui.ml.runtime.device import pick_device
    from medgui.ml.signals.detect import find_beats
    from medgui.ml.training.checkpoint import TrainedModel

    version = _active_version(workspace_root, name)
    device = pick_device().device
    trained = TrainedModel.load(version.path, device)
    samples, symbols = find_beats(trained, signal, progress=progress)
    AuditLog(workspace_root).record(
        "model_run", model=version.id, task="beats", record=signal.source, beats=len(samples)
    )
    return BeatsFound(signal.source, samples, symbols, version.id)


def label_rest_worker(
    workspace_root: str | Path, signal: Signal, name: str = BEATS_MODEL
) -> ProgressWorker:
    """An unstarted worker finding the beats of the whole of `signal` with the active version
    of `name`: `progressed(done, total)` chunks, `returned(BeatsFound | None)` (None when
    cancelled), `errored(exc)` (no model: train one first)."""
    return ProgressWorker(_find, Path(workspace_root), name, signal)
