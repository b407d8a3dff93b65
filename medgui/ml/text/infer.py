"""Report inference: a trained report model (weights, card with its tokenizer and thresholds)
turned on texts, and `medgui infer` for a CSV of reports."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from medgui.core.util.atomic import atomic_write_text
from medgui.ml.models.registry import CARD
from medgui.ml.text import tokenizer as tok
from medgui.ml.text.data import pad, read_reports_csv
from medgui.ml.text.networks import ReportNet

BATCH = 64


@dataclass
class ReportModel:
    """A report network with its tokenizer, labels, thresholds and input length."""

    network: ReportNet
    tokenizer: Tokenizer
    labels: list[str]
    thresholds: np.ndarray
    max_tokens: int
    device: torch.device

    @classmethod
    def load(cls, model_dir: str | Path, device: torch.device | str = "cpu") -> ReportModel:
        """The report model in `model_dir`; ValueError naming the card for another task or a
        missing or damaged tokenizer or thresholds."""
        from medgui.ml.training.checkpoint import TrainedModel

        model_dir = Path(model_dir)
        trained = TrainedModel.load(model_dir, device)
        card, source = trained.card, str(model_dir / CARD)
        if card.task != "report":
            raise ValueError(f"{source}: a {card.task!r} model, not a report model")
        tokenizer = tok.from_json(card.extra.get("tokenizer"), source)
        found = card.extra.get("thresholds")
        if not isinstance(found, dict) or set(found) != set(card.classes):
            raise ValueError(f"{source}: extra.thresholds must give one threshold per label")
        values = [found[name] for name in card.classes]
        if not all(isinstance(v, int | float) and 0 <= v <= 1 for v in values):
            raise ValueError(f"{source}: extra.thresholds must be numbers from 0 to 1")
        return cls(
            trained.network, tokenizer, list(card.classes), np.array(values, float),
            int(card.input_size[1]), torch.device(device),
        )  # fmt: skip

    def encode(self, texts: list[str]):
        return tok.encode(self.tokenizer, texts, self.max_tokens)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(texts, labels): the probability of each label for each text."""
        self.network.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), BATCH):
                encodings = self.encode(texts[start : start + BATCH])
                ids = pad([torch.tensor(e.ids or [0], dtype=torch.long) for e in encodings])
                out.append(torch.sigmoid(self.network(ids.to(self.device)).float()).cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, len(self.labels)))

    def predict(self, texts: list[str]) -> list[list[str]]:
        """The labels whose probability reaches its threshold, for each text."""
        called = self.probabilities(texts) >= self.thresholds
        return [[n for n, c in zip(self.labels, row, strict=True) if c] for row in called]


def infer_csv(model_dir: Path, source: Path, output: Path) -> dict[str, dict[str, float]]:
    """Write ``{id: {label: probability}}`` for every report of the CSV `source` (columns
    id,text; a labels column is ignored) to the JSON file `output`; returns it."""
    if output.suffix.lower() != ".json":
        raise ValueError(f"{output}: report inference writes JSON (name the output .json)")
    rows = read_reports_csv(source, labels=False)
    model = ReportModel.load(model_dir)
    p = model.probabilities([r.text for r in rows])
    result = {
        r.id: {n: round(float(v), 6) for n, v in zip(model.labels, p[i], strict=True)}
        for i, r in enumerate(rows)
    }
    if not all(math.isfinite(v) for scores in result.values() for v in scores.values()):
        raise ValueError(f"{model_dir}: the model gives non-finite probabilities")
    atomic_write_text(output, json.dumps(result, indent=1))
    return result
