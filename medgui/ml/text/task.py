"""The report task ("report"): learn the user's labels of free-text reports.

Data: a CSV with the columns ``id,text,labels`` (labels separated by ";", empty for none; see
`data`), or a `Workspace`: its imported reports, labelled with their positive findings
(`workspace_reports`). Multi-label: each report may have any number of labels. Split by
report, stratified so every label with two positives has one to validate on. A WordPiece
tokenizer is fitted on the training reports only (`tokenizer`), and the network
(`networks.ReportNet`, "bigru" or "cnn") learns from scratch. Rare labels weigh more (BCE
``pos_weight`` = √(negatives / positives)); validation chooses each label's threshold (the one
with the best F1) and scores "macro_f1" (the primary metric, at those thresholds) and
"macro_auc".

Options (``TrainConfig.options``): "labels" (the label names to learn, in order; default every
label the CSV names), "vocab_size" (4000), "max_tokens" (384: longer reports are cut), "embed"
(64), "width" (64: GRU units per direction or convolution channels). The card carries the
tokenizer (its JSON), the thresholds and the label counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from medgui.core.workspace.layout import reports_dir
from medgui.core.workspace.store import Workspace
from medgui.ml.models.card import series_entry
from medgui.ml.models.task import DataSplit, Task, TrainConfig, validation_problem
from medgui.ml.text import tokenizer as tok
from medgui.ml.text.data import (
    TokenDataset,
    label_set,
    read_reports_csv,
    stratified_split,
    targets,
)
from medgui.ml.text.metrics import best_threshold, scores
from medgui.ml.text.networks import DEFAULT_EMBED, DEFAULT_WIDTH, ReportNet
from medgui.ml.text.workspace_reports import workspace_rows

DEFAULT_MODEL = "bigru"
DEFAULTS = {
    "vocab_size": tok.DEFAULT_VOCAB,
    "max_tokens": 384,
    "embed": DEFAULT_EMBED,
    "width": DEFAULT_WIDTH,
}


def network_for(config: TrainConfig, labels: int) -> ReportNet:
    """The network `config` names, with its sizes from the options (or the defaults)."""
    size = {k: int(config.options.get(k, v)) for k, v in DEFAULTS.items()}
    return ReportNet(
        size["vocab_size"], labels, config.model or DEFAULT_MODEL, size["embed"], size["width"]
    )


class ReportTask(Task):
    """Multi-label classification of report text."""

    name = "report"
    primary_metric = "macro_f1"

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.tokenizer = None
        self.pos_weight: torch.Tensor | None = None
        self.network: ReportNet | None = None
        self.source: Path | None = None
        self.counts: dict[str, dict[str, int]] = {}

    def build_network(self, config: TrainConfig) -> torch.nn.Module:
        """A fresh network for the labels of the data (or of a model card)."""
        labels = list(config.options.get("classes") or self.labels)
        if not labels:
            raise ValueError("the report labels are not known yet: call make_split first")
        # Kept to read the thresholds validation sets (the trainer restores the best epoch's).
        self.network = network_for(config, len(labels))
        return self.network

    def build_loss(self, config: TrainConfig) -> torch.nn.Module:
        return torch.nn.BCEWithLogitsLoss(pos_weight=self.pos_weight)

    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        """Reports from the CSV `sources`, or a `Workspace`'s imported reports labelled with
        their positive findings (`workspace_reports`), split by report."""
        if config.model and config.model not in ("bigru", "cnn"):
            raise ValueError(f"unknown report network {config.model!r} (known: bigru, cnn)")
        read_problems: list[str] = []
        if isinstance(sources, Workspace):
            path = reports_dir(sources.root)
            rows, read_problems = workspace_rows(sources.root)
        elif isinstance(sources, str | Path):
            path = Path(sources)
            rows = read_reports_csv(path, labels=True)
        else:
            raise ValueError(
                "the report task trains on a CSV of reports (--reports FILE) or a workspace's "
                "imported reports (--workspace DIR)"
            )
        wanted = config.options.get("labels")
        self.labels = label_set(path, rows, list(wanted) if wanted else None)
        unknown = sorted({n for r in rows for n in r.labels} - set(self.labels))
        problems = [f"label {n!r} is not among the labels to learn: ignored" for n in unknown]
        problems += read_problems
        y = targets(rows, self.labels)
        if validation_problem(len(rows), len(rows), config.validation):
            raise ValueError(f"{path}: one report: nothing is left to validate on")
        seed = 0 if config.seed is None else config.seed
        val = (
            np.zeros(len(rows), bool)
            if config.validation == "none"
            else stratified_split(y, config.val_split, seed)
        )
        for k, name in enumerate(self.labels):
            if config.validation != "none" and not y[val, k].any():
                problems.append(f"label {name!r}: too few positive reports to validate it")
        # Recorded in the card's options, so the network is rebuilt at the same sizes.
        for key, value in DEFAULTS.items():
            config.options.setdefault(key, value)
        train_rows = [r for r, v in zip(rows, val, strict=True) if not v]
        kept = Path(config.out_dir) / "checkpoint" if config.out_dir else None
        self.tokenizer = tok.run_tokenizer(
            [r.text for r in train_rows], int(config.options["vocab_size"]), kept
        )
        max_tokens = int(config.options["max_tokens"])
        ids = [e.ids for e in tok.encode(self.tokenizer, [r.text for r in rows], max_tokens)]
        positives, n_train = y[~val].sum(0), int((~val).sum())
        ratio = (n_train - positives) / np.maximum(positives, 1)
        self.pos_weight = torch.tensor(np.sqrt(np.maximum(ratio, 1.0)), dtype=torch.float32)
        self.counts = {
            name: {"train": int(positives[k]), "val": int(y[val, k].sum())}
            for k, name in enumerate(self.labels)
        }
        self.source = path
        pick = np.flatnonzero(~val), np.flatnonzero(val)
        train_set, val_set = (TokenDataset([ids[i] for i in p], y[p]) for p in pick)
        info = {
            "validation": "none" if config.validation == "none" else "by report",
            "unit": "reports",
            "classes": self.labels,
            "positives": self.counts,
            "problems": problems,
        }
        return DataSplit(
            train_set, val_set, [rows[i].id for i in pick[0]], [rows[i].id for i in pick[1]], info
        )

    def validate(
        self, model: torch.nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        """Each label's best-F1 threshold (kept in the network), macro F1 at those thresholds,
        macro AUC and the loss."""
        loss_fn = torch.nn.BCEWithLogitsLoss(
            pos_weight=None if self.pos_weight is None else self.pos_weight.to(device),
            reduction="sum",
        )
        model.eval()
        logits, truth, loss = [], [], 0.0
        for ids, y in loader:
            out = model(ids.to(device)).float()
            loss += float(loss_fn(out, y.to(device))) / y.shape[1]
            logits.append(out.cpu())
            truth.append(y)
        if not truth:
            raise ValueError("no validation reports")
        p = torch.sigmoid(torch.cat(logits)).numpy()
        y = torch.cat(truth).numpy()
        chosen = np.array([best_threshold(p[:, k], y[:, k])[0] for k in range(y.shape[1])])
        model.thresholds.copy_(torch.as_tensor(chosen, dtype=torch.float32))
        result = scores(p, y, chosen, self.labels)
        return {
            "macro_f1": result["macro_f1"],
            "macro_auc": result["macro_auc"],
            "val_loss": loss / len(y),
        }

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        """The labels, the tokenizer, the thresholds and the input length."""
        thresholds = (
            self.network.thresholds.tolist()
            if self.network is not None
            else [0.5] * len(self.labels)
        )
        return {
            "classes": list(self.labels),
            "model": config.model or DEFAULT_MODEL,
            "input_size": [1, int(config.options.get("max_tokens", DEFAULTS["max_tokens"]))],
            "input_channels": 1,
            "input_spacing_mm": None,
            "normalisation": {"method": "WordPiece fitted on the training reports, lower case"},
            "series": [series_entry(self.source.name, self._source_files())] if self.source else [],
            "split": {"train": split.train_ids, "val": split.val_ids, "info": split.info},
            "tokenizer": tok.to_json(self.tokenizer) if self.tokenizer is not None else "",
            "thresholds": dict(zip(self.labels, map(float, thresholds), strict=True)),
            "pos_weight": [round(float(w), 4) for w in self.pos_weight.tolist()]
            if self.pos_weight is not None
            else [],
        }

    def _source_files(self) -> list[Path]:
        """The CSV, or a workspace's report files."""
        if self.source is not None and self.source.is_dir():
            return sorted(self.source.glob("h-*.json"))
        return [self.source] if self.source is not None else []

    def infer_files(self, model_dir: Path, source: Path, output: Path) -> dict[str, str]:
        """`medgui infer` for reports: the CSV `source` (id,text) to the JSON `output`
        ``{id: {label: probability}}``."""
        from medgui.ml.text.infer import infer_csv

        infer_csv(model_dir, source, output)
        return {}
