"""The table task ("table"): one row of a case table → one class, with a multilayer perceptron.

The seed's first network: two hidden layers of ReLU units with dropout, the input standardised
(`prepare.TablePrep`, fitted on the training rows of each fold), a class-weighted
cross-entropy (each class weighs n / (k · n_class), so a rare class counts as much as a common
one). `make_split` takes a `TableFold` (the data and which rows train and validate);
`train.train_table` runs the folds, the calibration, the baselines and the final fit.

Options (``TrainConfig.options``): "hidden" (units per hidden layer, default 64), and, set by
training for inference to rebuild the network, "n_inputs" and "classes".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from medgui.core.util.atomic import atomic_write_json
from medgui.ml.models.task import DataSplit, Task, TrainConfig
from medgui.ml.tables.data import TableData
from medgui.ml.tables.evaluate import table_metrics
from medgui.ml.tables.network import DEFAULT_HIDDEN, build_mlp
from medgui.ml.tables.prepare import TablePrep


@dataclass
class TableFold:
    """The data and the row indices of one fold's training and validation sides."""

    data: TableData
    train: np.ndarray
    val: np.ndarray


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """n / (k · n_c) per class (1 for all when balanced; a class absent here weighs 1)."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 1.0)


class TableTask(Task):
    """Classify the rows of a case table."""

    name = "table"
    primary_metric = "auc"

    def __init__(self) -> None:
        self.prep: TablePrep | None = None
        self.classes: list[str] = []
        self.weights = np.ones(1)
        self.last_probabilities = np.zeros((0, 0))  # of the last `validate`, row order

    def build_network(self, config: TrainConfig) -> nn.Module:
        options = config.options
        classes = list(options.get("classes") or self.classes)
        n_inputs = options.get("n_inputs") or (len(self.prep.outputs) if self.prep else 0)
        if not classes or not n_inputs:
            raise ValueError("the table's columns and classes are not known yet: call make_split")
        return build_mlp(int(n_inputs), len(classes), int(options.get("hidden", DEFAULT_HIDDEN)))

    def build_loss(self, config: TrainConfig) -> nn.Module:
        return nn.CrossEntropyLoss(weight=torch.as_tensor(self.weights, dtype=torch.float32))

    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        if not isinstance(sources, TableFold):
            raise ValueError("the table task trains on a TableFold (see ml.tables.train)")
        data = sources.data
        self.classes = list(data.classes)
        self.prep = TablePrep.fit(data.subset(sources.train), data.kinds)
        self.weights = class_weights(data.y[sources.train], len(self.classes))

        def dataset(rows: np.ndarray) -> TensorDataset:
            x = self.prep.transform(data.subset(rows), len(rows))
            return TensorDataset(torch.from_numpy(x), torch.from_numpy(data.y[rows]))

        info = {"unit": "patients", "classes": self.classes, "rows": len(data.ids)}
        return DataSplit(
            dataset(sources.train),
            dataset(sources.val),
            [data.ids[i] for i in sources.train],
            [data.ids[i] for i in sources.val],
            info,
        )

    def validate(
        self, model: nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        model.eval()
        logits, labels = [], []
        with torch.no_grad():
            for inputs, targets in loader:
                logits.append(model(inputs.to(device)).float().cpu())
                labels.append(targets)
        if not logits:
            raise ValueError("no validation rows")
        logits_t, labels_t = torch.cat(logits), torch.cat(labels)
        loss = nn.functional.cross_entropy(
            logits_t, labels_t, weight=torch.as_tensor(self.weights, dtype=torch.float32)
        )
        self.last_probabilities = torch.softmax(logits_t, dim=1).numpy()
        metrics, _ = table_metrics(labels_t.numpy(), self.last_probabilities, self.classes)
        metrics["val_loss"] = float(loss)
        return {k: v for k, v in metrics.items() if math.isfinite(v)}

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        prep = self.prep
        return {
            "classes": list(self.classes),
            "model": "mlp",
            "input_size": None,
            "normalisation": {"table": "median imputation with indicators, one-hot, z-score"},
            "preprocessing": prep.to_json() if prep else [],
        }

    def infer_files(self, model_dir: Path, source: Path, output: Path) -> dict[str, str]:
        """`medgui infer` for tables: {id: {class: probability}} of every row of the CSV
        `source`, written to the JSON file `output`; returns {source: reason} naming the
        columns the model needs that the table lacks (imputed as missing)."""
        from medgui.ml.tables.infer import predict_csv

        found = predict_csv(model_dir, source)
        atomic_write_json(output, found.as_json())
        if not found.missing:
            return {}
        return {str(source): f"columns missing, imputed as missing: {', '.join(found.missing)}"}
