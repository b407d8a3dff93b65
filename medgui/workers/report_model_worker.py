"""The workspace's active report model on one report: each label's probability and, for one
label, the words that drove it. Loading the network and the backward passes take seconds on a
long report: never on the GUI thread. The ML code is imported inside the worker function, so
the window does not import torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medgui.workers.load_worker import ProgressWorker

MODEL_NAME = "report"  # the registry name the train worker saves the report task under

_loaded: dict[tuple[str, int], object] = {}  # (weights file, mtime) -> ReportModel


@dataclass(frozen=True)
class ReportScores:
    """The model `version_id` on one text: per label its probability and threshold; `label`
    the one explained and `spans` its words ((start, end, weight), weight in [-1, 1])."""

    version_id: str
    labels: list[str]
    probabilities: list[float]
    thresholds: list[float]
    label: str
    spans: list[tuple[int, int, float]]


def _model(version):
    from medgui.ml.text.infer import ReportModel

    stamp = (str(version.weights_path), version.weights_path.stat().st_mtime_ns)
    if stamp not in _loaded:
        _loaded.clear()  # one model at a time: the active one
        _loaded[stamp] = ReportModel.load(version.path)
    return _loaded[stamp]


def score_report(root: Path, text: str, label: str, progress=None) -> ReportScores | None:
    """The active report model of the workspace at `root` on `text`, explaining `label` (the
    most probable when "" or unknown to the model); None when there is no active model."""
    from medgui.ml.models.registry import ModelRegistry
    from medgui.ml.text.attribution import label_spans

    version = ModelRegistry(root).active(MODEL_NAME)
    if version is None:
        return None
    model = _model(version)
    p = model.probabilities([text])[0]
    if label not in model.labels:
        label = model.labels[int(p.argmax())]
    spans = label_spans(model, text, [label])[label]
    return ReportScores(
        version.id, list(model.labels), [float(v) for v in p],
        [float(t) for t in model.thresholds], label,
        [(s.start, s.end, float(s.weight)) for s in spans],
    )  # fmt: skip


def score_worker(root: Path, text: str, label: str) -> ProgressWorker:
    """An unstarted worker scoring `text`; `returned(ReportScores | None)`."""
    return ProgressWorker(score_report, root, text, label)
