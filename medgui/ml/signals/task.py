"""The beat task ("beats"): find every beat of an ECG and give it its MIT-BIH symbol.

Data: a folder of WFDB records (``NAME.hea`` + signal files) with reference annotations
(``NAME.atr``), split by record. The network (`networks.BeatNet`, "crnn") reads a chosen lead
(or all leads) resampled to a fixed rate and standardised, and gives per sample the beat
presence and the class logits over the beat symbols found in the training annotations.
Validation: QRS sensitivity and positive predictivity (150 ms match window, as EC57 and wfdb's
`compare_annotations`), F1 per symbol, and "beat_f1" (the primary metric: beats found in place
with the right symbol).

Options (``TrainConfig.options``): "lead" (a lead name, or "all"; default the first lead of
the first record), "fs_hz" (250), "window_s" (8), "width" (16) and "hidden" (32) of the
network, "threshold" (0.5) and "refractory_s" (0.2) of the peak picking, "windows_per_epoch"
(default: twice the training duration in windows); "classes" and "in_channels" are set from a
model card.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medgui.core.signals.read import read_signal
from medgui.core.signals.signal import Annotation
from medgui.core.signals.wfdb_io import read_wfdb, write_wfdb_annotations
from medgui.core.util.atomic import atomic_write_text
from medgui.core.workspace.layout import is_workspace
from medgui.core.workspace.store import Workspace
from medgui.ml.models.card import series_entry
from medgui.ml.models.task import DataSplit, Task, TrainConfig, validation_problem
from medgui.ml.signals.data import (
    RecordDataset,
    WindowDataset,
    find_records,
    load_record,
    targets,
)
from medgui.ml.signals.detect import find_beats
from medgui.ml.signals.infer import pick_beats, predict
from medgui.ml.signals.metrics import BeatCounts
from medgui.ml.signals.networks import DEFAULT_HIDDEN, DEFAULT_WIDTH, BeatLoss, BeatNet
from medgui.ml.signals.workspace_data import split_by_time, workspace_records

MODEL = "crnn"
DEFAULTS = {"fs_hz": 250.0, "window_s": 8.0, "threshold": 0.5, "refractory_s": 0.2}


def _option(config: TrainConfig, key: str) -> float:
    return float(config.options.get(key, DEFAULTS[key]))


class BeatsTask(Task):
    """Beat detection and classification on ECG records."""

    name = "beats"
    primary_metric = "beat_f1"

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.leads: list[str] = []
        self.class_weights: torch.Tensor | None = None
        self.series: list[dict[str, Any]] = []
        self.fs_hz, self.window = DEFAULTS["fs_hz"], 2000
        self.threshold, self.refractory_s = DEFAULTS["threshold"], DEFAULTS["refractory_s"]

    def _configure(self, config: TrainConfig) -> None:
        self.fs_hz = _option(config, "fs_hz")
        if not 10 <= self.fs_hz <= 2000:
            raise ValueError(f"fs_hz {self.fs_hz}: must be 10 to 2000 Hz")
        self.window = round(_option(config, "window_s") * self.fs_hz)
        if not 64 <= self.window <= 4096:
            raise ValueError(f"window_s: {self.window} samples; must be 64 to 4096")
        self.threshold, self.refractory_s = (
            _option(config, "threshold"),
            _option(config, "refractory_s"),
        )

    def build_network(self, config: TrainConfig) -> torch.nn.Module:
        """A fresh `BeatNet` for the leads and symbols of the data (or of a model card)."""
        classes = list(config.options.get("classes") or self.classes)
        if not classes:
            raise ValueError("the beat symbols are not known yet: call make_split first")
        leads = int(config.options.get("in_channels") or len(self.leads) or 1)
        width = int(config.options.get("width", DEFAULT_WIDTH))
        hidden = int(config.options.get("hidden", DEFAULT_HIDDEN))
        return BeatNet(leads, len(classes), width, hidden)

    def build_loss(self, config: TrainConfig) -> torch.nn.Module:
        return BeatLoss(self.class_weights)

    def make_split(self, config: TrainConfig, sources: Any) -> DataSplit:
        """Records from the folder `sources` (WFDB records with ``.atr`` files), split by
        record, or the labelled spans of a workspace's records (a `Workspace`, its folder or
        {"workspace": DIR}): split by record, or by time when only one is labelled."""
        self._configure(config)
        lead = config.options.get("lead")
        workspace = _as_workspace(sources)
        spans: dict[str, list[float]] = {}
        if workspace is not None:
            where = workspace.root
            records, spans, problems, lead = workspace_records(
                workspace, None if lead is None else str(lead), self.fs_hz
            )
        elif isinstance(sources, str | Path):
            where = sources
            records, problems, lead = _folder_records(sources, lead, self.fs_hz)
        else:
            raise ValueError(
                "the beats task trains on a folder of WFDB records (--records DIR) or a "
                "workspace (--workspace DIR)"
            )
        problems += [f"{r.id}: no beat annotations: skipped" for r in records if not len(r.beats)]
        records = [r for r in records if len(r.beats)]
        if not records:
            listed = "".join(f"\n  {p}" for p in problems)
            raise ValueError(f"{where}: no record with beat annotations{listed}")
        channels = {r.x.shape[0] for r in records}
        if len(channels) > 1:
            raise ValueError(f"{where}: the records have different lead counts {channels}")
        by_time = workspace is not None and len(records) == 1 and config.validation != "none"
        if by_time:  # the usual case in the window: one record, its last part validates
            first, last = split_by_time(records[0], config.val_split, self.fs_hz)
            train, val = [first], [last]
        else:
            train, val = self._by_record(config, records, where)
        counts = Counter(s for r in train for s in r.symbols)
        if not counts:
            raise ValueError(f"{where}: no labelled beat is left to train on")
        self.classes = sorted(counts)
        total = sum(counts.values())
        self.class_weights = torch.tensor(
            [math.sqrt(total / counts[s]) for s in self.classes], dtype=torch.float32
        )
        self.leads = [str(lead)] if lead != "all" else [f"lead {i}" for i in range(channels.pop())]
        self.series = [series_entry(r.id, r.files) for r in records]
        samples = sum(r.x.shape[1] for r in train)
        count = int(config.options.get("windows_per_epoch", max(8, 2 * samples // self.window)))
        train_set = WindowDataset(
            train, [targets(r, self.classes, self.fs_hz) for r in train], self.window, count,
            config.augment, 0 if config.seed is None else config.seed,
        )  # fmt: skip
        info = {
            "validation": config.validation,
            "unit": "record spans (split by time)" if by_time else "records",
            "spans_s": spans,
            "classes": self.classes,
            "train_beats": dict(counts),
            "val_beats": dict(Counter(s for r in val for s in r.symbols)),
            "lead": str(lead),
            "fs_hz": self.fs_hz,
            "problems": problems,
        }
        return DataSplit(
            train_set, RecordDataset(val), [r.id for r in train], [r.id for r in val], info
        )

    def _by_record(self, config: TrainConfig, records: list, where) -> tuple[list, list]:
        """`records` shuffled (by the seed) and split by record: at least one trains."""
        if validation_problem(len(records), len(records), config.validation):
            raise ValueError(
                f"{where}: one record with beats: nothing is left to validate on; add records "
                "or train without validation (--validation none)"
            )
        rng = np.random.default_rng(0 if config.seed is None else config.seed)
        order = [records[i] for i in rng.permutation(len(records))]
        wanted = max(1, round(config.val_split * len(order)))
        n_val = 0 if config.validation == "none" else min(wanted, len(order) - 1)
        return order[n_val:], order[:n_val]

    def validate(
        self, model: torch.nn.Module, loader: torch.utils.data.DataLoader, device: torch.device
    ) -> dict[str, float]:
        """QRS Se and +P, F1 per symbol, "beat_f1" and the loss over whole records."""
        counts, losses = BeatCounts(), []
        loss_fn = self.build_loss(TrainConfig()).to("cpu")
        for batch in loader:
            for record in batch:
                logits = predict(model, record.x, self.window, self.fs_hz, device)
                truth = torch.from_numpy(targets(record, self.classes, self.fs_hz))
                losses.append(float(loss_fn(logits[None], truth[None])))
                found, symbols = pick_beats(
                    logits, self.fs_hz, self.classes, self.threshold, self.refractory_s
                )
                counts.add(record.beats, record.symbols, found, symbols, self.fs_hz)
        if not losses:
            raise ValueError("no validation records")
        return counts.metrics() | {"val_loss": float(np.mean(losses))}

    def card_fields(self, config: TrainConfig, split: DataSplit) -> dict[str, Any]:
        """The symbols, leads, rate, window and peak picking: what inference needs."""
        return {
            "classes": list(self.classes),
            "model": MODEL,
            "input_size": [len(self.leads), self.window],
            "input_channels": len(self.leads),
            "input_spacing_mm": None,
            "normalisation": {"method": "median/MAD per lead", "fs_hz": self.fs_hz},
            "series": self.series,
            "split": {"train": split.train_ids, "val": split.val_ids, "info": split.info},
            "lead": split.info.get("lead", ""),
            "fs_hz": self.fs_hz,
            "threshold": self.threshold,
            "refractory_s": self.refractory_s,
        }

    def infer_files(self, model_dir: Path, source: Path, output: Path) -> dict[str, str]:
        """`medgui infer` for beats: the beats of the record `source` (a WFDB ``.hea`` or a
        DICOM waveform) written to `output`: CSV (sample, time_s, symbol) when it ends in
        ``.csv``, else a WFDB annotation file; samples at the record's own rate."""
        annotations, fs = detect_beats(model_dir, source)
        if output.suffix.lower() == ".csv":
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(["sample", "time_s", "symbol"])
            for a in annotations:
                writer.writerow([a.sample, f"{a.sample / fs:.4f}", a.symbol])
            atomic_write_text(output, text.getvalue())
        else:
            if not annotations:
                raise ValueError(f"{source}: no beats found (a WFDB file cannot be empty)")
            write_wfdb_annotations(output, annotations, fs)
        return {}


def _as_workspace(sources: Any) -> Workspace | None:
    """The workspace `sources` names (a `Workspace`, its folder, {"workspace": DIR}), or None."""
    if isinstance(sources, Mapping) and sources.get("workspace"):
        return Workspace(sources["workspace"])
    if isinstance(sources, str | Path) and is_workspace(sources):
        return Workspace(sources)
    return sources if isinstance(sources, Workspace) else None


def _folder_records(folder, lead, fs_hz: float) -> tuple[list, list[str], Any]:
    """The annotated WFDB records of `folder`, the problems met, and the lead read."""
    headers, problems = find_records(folder)
    records = []
    for header in headers:
        try:
            if lead is None:  # the first record's first lead names the lead for all
                lead = read_wfdb(header, annotator=None).channel_names[0]
            records.append(load_record(header, str(lead), fs_hz))
        except ValueError as error:
            problems.append(f"{error}: skipped")
    return records, problems, lead


def detect_beats(
    model_dir: Path, source: Path, device: str = "cpu"
) -> tuple[list[Annotation], float]:
    """The beats the model in `model_dir` finds in the record `source`, at the record's rate,
    and that rate."""
    from medgui.ml.training.checkpoint import TrainedModel

    trained = TrainedModel.load(model_dir, device)
    signal = read_signal(source)
    found, symbols = find_beats(trained, signal)
    return [
        Annotation(int(s), symbol) for s, symbol in zip(found, symbols, strict=True)
    ], signal.fs_hz
