"""The worker that explains a beat's class ("why") with the workspace's active beats model.

Loading the model and the integrated-gradients pass take a fraction of a second to a few
seconds on a CPU: off the GUI thread. The ML code is imported in the worker thread, so the
widgets that start it never import torch.
"""

from __future__ import annotations

from pathlib import Path

from superqt.utils import FunctionWorker, create_worker

from medgui.core.signals.signal import Signal

MODEL_NAME = "beats"  # the registry name the training panel saves beat models under


def _explain(workspace_root: Path, signal: Signal, sample: int):
    from medgui.ml.models.registry import ModelRegistry
    from medgui.ml.signals.saliency import explain_beat

    version = ModelRegistry(workspace_root).active(MODEL_NAME)
    if version is None:
        raise ValueError(
            f"{workspace_root}: no active '{MODEL_NAME}' model in this workspace: train one first"
        )
    try:
        return explain_beat(version.path, signal, sample)
    except ValueError as error:
        raise ValueError(f"{version.id}: {error}") from error


def saliency_worker(workspace_root: str | Path, signal: Signal, sample: int) -> FunctionWorker:
    """An unstarted worker explaining the class of the beat at `sample` of `signal`:
    `returned(BeatSaliency)` (see `medgui.ml.signals.saliency`), `errored(exc)`."""
    return create_worker(
        _explain, Path(workspace_root), signal, int(sample), _start_thread=False,
        _ignore_errors=True,
    )  # fmt: skip
