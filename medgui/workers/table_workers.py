"""The Cases dock's work off the GUI thread: building the workspace's case table, training the
table model on it, and finding a case's series to open.

`case_table_worker` and `locate_worker` are `ProgressWorker`s (`progressed(done, total)`,
`returned(...)`, `errored(exc)`). `table_train_worker` is a generator worker like the Training
dock's: it yields the trainer's events (`ml.training.events`; the panel reacts with
`dispatch`) and returns a `TableTrained`: the registry version, the cross-validated scores of
the MLP and its baselines, the ROC data, the confusion matrix, the importance, and each
case's out-of-fold prediction with what drove it. ML code is imported in the worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from superqt.utils import GeneratorWorker, thread_worker

from medgui.core.tables.csvfile import is_missing
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.sources import find_series
from medgui.core.workspace.store import Workspace
from medgui.ml.training import events as te
from medgui.workers.load_worker import ProgressWorker, _ClosingGeneratorWorker
from medgui.workers.train_worker import BatchThrottle

if TYPE_CHECKING:
    from medgui.core.tables.table import CaseTable

MODEL_NAME = "table"
TOP_DRIVERS = 3


@dataclass
class TableTrained:
    """A finished table training run, as the dock shows it."""

    version_id: str
    classes: list[str]
    comparison: dict[str, dict[str, float]]  # model → {auc, accuracy, ...}
    y: np.ndarray  # each row's true class index
    probabilities: np.ndarray  # (rows, classes): calibrated, out-of-fold
    confusion: list[list[int]]
    importance: list[dict[str, float]]
    ids: list[str]
    drivers: list[str] = field(default_factory=list)  # per row: "column +0.12, ..."


def _build(root: Path, per: str, progress=None) -> CaseTable:
    # Imported here: the feature code (scikit-image) loads when a table is first built, not
    # when the window opens.
    from medgui.core.tables.table import build_case_table

    return build_case_table(Workspace(root), per, progress=progress)


def case_table_worker(workspace_root: Path, per: str) -> ProgressWorker:
    """An unstarted worker building the case table; `returned(CaseTable)`."""
    return ProgressWorker(_build, Path(workspace_root), per)


def _locate(root: Path, key: str, progress=None):
    work = Workspace(root).load_series(key)
    if work is None:
        raise ValueError(f"series {key} is not saved in {root}")
    return find_series(work)


def locate_worker(workspace_root: Path, series_key: str) -> ProgressWorker:
    """An unstarted worker finding a saved series' images; `returned(Series | path)`."""
    return ProgressWorker(_locate, Path(workspace_root), series_key)


def _drivers(names: list[str], effects: np.ndarray) -> list[str]:
    out = []
    for row in effects:
        order = np.argsort(-np.abs(row))[:TOP_DRIVERS]
        out.append(", ".join(f"{names[j]} {row[j]:+.2f}" for j in order if row[j] != 0))
    return out


def _train(root: Path, table: CaseTable, target: str, features: list[str], config: dict):
    from medgui.ml.models.registry import ModelRegistry
    from medgui.ml.models.task import TrainConfig
    from medgui.ml.tables.data import table_data
    from medgui.ml.tables.infer import load_table_model, predict_rows
    from medgui.ml.tables.train import train_table

    data = table_data(table.columns, table.rows, target, features=features, source="case table")
    settings = TrainConfig.from_json({"task": MODEL_NAME, **config})
    throttle = BatchThrottle()
    events = train_table(settings, data, folds=int(settings.options.get("folds", 5)))
    try:
        for event in events:
            if isinstance(event, te.BatchDone):
                if throttle.keep(event):
                    yield replace(event, loss=float(event.loss))
            elif isinstance(event, te.Finished):
                result = event.result
                state = {k: v.detach().cpu() for k, v in result.model.network.state_dict().items()}
                version = ModelRegistry(root).save_version(MODEL_NAME, state, result.model.card)
                AuditLog(root).record("model_trained", version=version.id, task=MODEL_NAME,
                                      model="mlp", rows=len(data.ids))  # fmt: skip
                extra = result.model.card.extra
                rows = [r for r in table.rows if not is_missing(r.get(target))]
                found = predict_rows(load_table_model(version.path), table.columns, rows)
                return TableTrained(
                    version.id,
                    list(data.classes),
                    extra["comparison"],
                    np.asarray(extra["oof"]["y"]),
                    np.asarray(extra["oof"]["probabilities"]),
                    extra["confusion"],
                    extra["importance"],
                    list(data.ids),
                    _drivers(found.features, found.effects),
                )
            else:
                yield event
    finally:
        events.close()
    return None


_train_worker = thread_worker(_train, worker_class=_ClosingGeneratorWorker, ignore_errors=True)


def table_train_worker(
    workspace_root: Path, table: CaseTable, target: str, features: list[str], config: dict
) -> GeneratorWorker:
    """An unstarted worker training the table model on `table` (see the module docstring);
    `config` is a `TrainConfig` as JSON without its task."""
    return _train_worker(Path(workspace_root), table, target, features, config, _start_thread=False)


dispatch = te.dispatch  # the panel reacts to the events with it (ui reaches ml through here)
