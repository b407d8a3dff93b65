"""The report's model part: each active model's card (name, version, validation metrics) and,
where the model was run on this series, its class probabilities and Grad-CAM image.

The ML code (and with it torch) is imported inside `active_cards` only, so the GUI can import
the report modules without loading torch; the builder runs in a worker or the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.reports.key_image_render import render_heat_map
from medgui.reports.report_model import HeaderField, ModelSection, Table


@dataclass(frozen=True)
class ModelRun:
    """A model's result on this series, held in memory by the GUI: class probabilities of
    slice `slice_index` of `plane` and the Grad-CAM heat map (0..1, on that slice's grid)."""

    model_name: str
    probabilities: dict[str, float]
    plane: Plane = Plane.AXIAL
    slice_index: int = 0
    heat_map: np.ndarray | None = None


def active_cards(workspace_root: str | Path) -> tuple[list[Any], list[str]]:
    """The cards (`ModelCard`) of the active version of every model in the workspace registry,
    and a note for each model whose card cannot be read (the report says so)."""
    from medgui.ml.models.registry import ModelRegistry

    registry = ModelRegistry(Path(workspace_root))  # it keeps its models under root/models
    cards, notes = [], []
    for name in registry.list_models():
        try:
            version = registry.active(name)
            if version is not None:
                cards.append(registry.load_card(version))
        except ValueError as error:
            notes.append(f"Model {name}: {error}")
    return cards, notes


def _value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return "n/a" if not math.isfinite(value) else f"{value:.4g}"


def _metrics_table(card: Any) -> Table | None:
    metrics = {k: v for k, v in card.metrics_at_best().items() if k != "epoch"}
    if not metrics:
        return None
    rows = tuple((name, _value(value)) for name, value in sorted(metrics.items()))
    epoch = card.metrics_at_best().get("epoch", "?")
    return Table(f"Validation metrics (epoch {epoch})", ("metric", "value"), rows)


def card_section(card: Any, run: ModelRun | None = None, volume: Volume | None = None):
    """The `ModelSection` of `card` (a `ModelCard`), with `run`'s probabilities and its
    Grad-CAM over `volume`'s slice when given."""
    title = f"{card.name or card.task} v{card.model_version}"
    if card.model:
        title += f" ({card.model})"
    facts = [HeaderField("Task", card.task)]
    if card.classes:
        facts.append(HeaderField("Classes", ", ".join(card.classes)))
    if card.best:
        best = card.best
        facts.append(
            HeaderField(
                "Best",
                f"{best.get('metric', 'metric')} {_value(best.get('value'))} "
                f"at epoch {best.get('epoch', '?')} of {len(card.epochs)}",
            )
        )
    facts.append(HeaderField("Trained", f"{card.created_at} on {card.device or 'unknown'}"))
    from_text = (card.extra or {}).get("tags_from_text")
    if from_text:
        facts.append(HeaderField("Tags from report text", str(from_text)))
    probabilities = figure = None
    if run is not None:
        ranked = sorted(run.probabilities.items(), key=lambda item: -item[1])
        rows = tuple((name, f"{p:.3f}") for name, p in ranked)
        where = f"{run.plane.value} slice {run.slice_index + 1}"
        probabilities = Table(f"Class probabilities ({where})", ("class", "probability"), rows)
        if run.heat_map is not None and volume is not None:
            figure = render_heat_map(volume, run.plane, run.slice_index, run.heat_map)
    return ModelSection(title, tuple(facts), _metrics_table(card), probabilities, figure)
