"""A trained table model applied to a table: calibrated class probabilities for every row,
and what drove each (`evaluate.contributions`).

Columns are matched by name: a column the model did not see is ignored, one it needs but the
table lacks is imputed as missing for every row and named in `TablePredictions.missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from medgui.core.tables.csvfile import read_csv
from medgui.ml.models.card import ModelCard, read_card
from medgui.ml.models.registry import CARD, WEIGHTS
from medgui.ml.models.safe_load import check_weights, load_safetensors
from medgui.ml.tables.evaluate import column_slices, contributions
from medgui.ml.tables.network import DEFAULT_HIDDEN, build_mlp, logits_of
from medgui.ml.tables.prepare import TablePrep

MAX_INPUTS = 100_000  # a card asking for more is no table model of ours


@dataclass
class TableModel:
    """The network, its preprocessing, temperature and card."""

    network: torch.nn.Module
    prep: TablePrep
    temperature: float
    reference: np.ndarray
    card: ModelCard

    @property
    def classes(self) -> list[str]:
        return list(self.card.classes)


@dataclass
class TablePredictions:
    ids: list[str]
    classes: list[str]
    probabilities: np.ndarray  # (rows, classes), calibrated
    features: list[str]  # the raw columns, in `effects` order
    effects: np.ndarray  # (rows, features): see `evaluate.contributions`
    missing: list[str] = field(default_factory=list)  # needed columns the table lacked
    ignored: list[str] = field(default_factory=list)  # table columns the model does not use

    def as_json(self) -> dict[str, dict[str, float]]:
        """{id: {class: probability}} (what `medgui infer` writes)."""
        return {
            row_id: {c: float(p) for c, p in zip(self.classes, row, strict=True)}
            for row_id, row in zip(self.ids, self.probabilities, strict=True)
        }


def load_table_model(model_dir: str | Path) -> TableModel:
    """The table model in `model_dir` (card.json + weights.safetensors); ValueError naming the
    file when it is not one or its parts disagree."""
    model_dir = Path(model_dir)
    if not (model_dir / CARD).is_file():
        raise ValueError(f"{model_dir}: not a model folder (no {CARD})")
    card = read_card(model_dir / CARD)
    source = str(model_dir / CARD)
    if card.task != "table":
        raise ValueError(f"{source}: a {card.task!r} model, not a table model")
    prep = TablePrep.from_json(card.extra.get("preprocessing"), source)
    n_inputs = len(prep.outputs)
    reference = np.asarray(card.extra.get("reference", []), dtype=np.float32)
    if len(card.classes) < 2 or not 0 < n_inputs <= MAX_INPUTS or reference.shape != (n_inputs,):
        raise ValueError(f"{source}: classes, preprocessing and reference do not agree")
    hidden = int(card.hyperparameters.get("options", {}).get("hidden", DEFAULT_HIDDEN))
    network = build_mlp(n_inputs, len(card.classes), hidden)
    weights = load_safetensors(model_dir / WEIGHTS)
    check_weights(network.state_dict(), weights, model_dir / WEIGHTS)
    network.load_state_dict(weights)
    temperature = float(card.extra.get("calibration", {}).get("temperature", 1.0))
    return TableModel(network.eval(), prep, temperature, reference, card)


def predict_rows(model: TableModel, columns: list[str], rows: list[dict]) -> TablePredictions:
    """Predictions for `rows` (dicts under `columns`; ids from the id column the model was
    trained with, else the 1-based row number)."""
    id_column = str(model.card.extra.get("id_column", "id"))
    needed = model.prep.names
    missing = [c for c in needed if c not in columns]
    ignored = [c for c in columns if c not in needed and c != id_column]
    data = {c: [row.get(c) for row in rows] for c in needed if c in columns}
    x = model.prep.transform(data, len(rows))
    predict = logits_of(model.network, torch.device("cpu"))
    slices = column_slices(model.prep)
    probabilities, effects = contributions(predict, x, model.reference, slices, model.temperature)
    ids = [str(row.get(id_column) or n) for n, row in enumerate(rows, start=1)]
    return TablePredictions(ids, model.classes, probabilities, needed, effects, missing, ignored)


def predict_csv(model_dir: str | Path, table: str | Path) -> TablePredictions:
    """`predict_rows` of the CSV file `table` with the model in `model_dir`."""
    columns, rows = read_csv(table)
    return predict_rows(load_table_model(model_dir), columns, rows)
