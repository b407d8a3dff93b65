"""Report text for the report classifier: the CSV it reads, the label set it learns, the split
and the datasets of token ids.

The CSV has the columns ``id,text`` and, to train, ``labels`` (names separated by ";", empty
for none). It must be UTF-8 (a byte-order mark is allowed). Every problem is a ValueError that
names the file and, where there is one, the row (as a spreadsheet numbers it: the header is
row 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

MAX_CSV_BYTES = 1 << 30
csv.field_size_limit(16 << 20)  # a long report is one field; the default stops at 128 KiB


@dataclass(frozen=True)
class ReportRow:
    """One report of a CSV: its id, text, labels (empty when the CSV has none) and row."""

    id: str
    text: str
    labels: tuple[str, ...]
    row: int


def _decode(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValueError(f"{path}: cannot read ({error.strerror or error})") from error
    if size > MAX_CSV_BYTES:
        raise ValueError(f"{path}: {size} bytes is too large for a report table")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); save the "
            "file as UTF-8"
        ) from None


def read_reports_csv(path: str | Path, *, labels: bool) -> list[ReportRow]:
    """The reports of the CSV `path` (with their labels when `labels`); ValueError naming the
    file and the row for a missing column, an empty id or text, or a repeated id."""
    path = Path(path)
    text = _decode(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    wanted = ["id", "text", "labels"] if labels else ["id", "text"]
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(
            f"{path}: missing column {', '.join(missing)} (the header must name "
            f"{','.join(wanted)}; found {','.join(columns) or 'no header'})"
        )
    reader.fieldnames = columns
    rows: list[ReportRow] = []
    seen: dict[str, int] = {}
    try:
        for number, record in enumerate(reader, start=2):
            rows.append(_row(path, number, record, labels, seen))
    except csv.Error as error:
        raise ValueError(f"{path}: row {reader.line_num}: not valid CSV ({error})") from error
    if not rows:
        raise ValueError(f"{path}: no reports (only a header)")
    return rows


def _row(path: Path, number: int, record: dict, labels: bool, seen: dict[str, int]) -> ReportRow:
    report_id = (record.get("id") or "").strip()
    body = record.get("text") or ""
    if not report_id:
        raise ValueError(f"{path}: row {number}: empty id")
    if report_id in seen:
        raise ValueError(f"{path}: row {number}: id {report_id!r} repeats row {seen[report_id]}")
    if not body.strip():
        raise ValueError(f"{path}: row {number} (id {report_id}): empty text")
    seen[report_id] = number
    names: tuple[str, ...] = ()
    if labels:
        parts = [p.strip() for p in (record.get("labels") or "").split(";")]
        names = tuple(dict.fromkeys(p for p in parts if p))
    return ReportRow(report_id, body, names, number)


def label_set(path: Path, rows: list[ReportRow], wanted: list[str] | None) -> list[str]:
    """The labels to learn: `wanted` (the user's list, in its order) or every label the rows
    name, sorted. ValueError when fewer than two, or one is never positive or always."""
    found = sorted({name for r in rows for name in r.labels})
    names = list(wanted) if wanted else found
    if len(names) < 2:
        raise ValueError(
            f"{path}: only {len(names)} label ({', '.join(names) or 'none'}) in the labels "
            "column: a report classifier needs at least two"
        )
    counts = {name: sum(name in r.labels for r in rows) for name in names}
    never = [name for name, n in counts.items() if n == 0]
    if never:
        raise ValueError(
            f"{path}: label {never[0]!r} is never positive: no report names it in the labels "
            "column (remove it from the labels, or add reports that have it)"
        )
    always = [name for name, n in counts.items() if n == len(rows)]
    if always:
        raise ValueError(f"{path}: label {always[0]!r} is positive in every report: nothing "
                         "to tell apart")  # fmt: skip
    return names


def targets(rows: list[ReportRow], names: list[str]) -> np.ndarray:
    """(reports, labels) float32 of 0/1."""
    index = {name: i for i, name in enumerate(names)}
    y = np.zeros((len(rows), len(names)), np.float32)
    for i, r in enumerate(rows):
        for name in r.labels:
            if name in index:
                y[i, index[name]] = 1.0
    return y


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask of the validation reports: about `fraction` of all and of every label's
    positives (the rarest label first, so a rare label is not left without validation cases),
    at least one positive and one left for training where a label has two."""
    rng = np.random.default_rng(seed)
    n = len(y)
    val = np.zeros(n, bool)
    taken = np.zeros(n, bool)
    for k in np.argsort(y.sum(0), kind="stable"):
        positives = np.flatnonzero(y[:, k] > 0)
        have = int(val[positives].sum())
        want = min(max(1, round(fraction * len(positives))), len(positives) - 1) - have
        free = rng.permutation(positives[~taken[positives]])
        chosen = free[: max(0, want)]
        val[chosen] = True
        taken[positives] = True
    rest = np.flatnonzero(~taken)
    n_val = max(0, round(fraction * n) - int(val.sum()))
    val[rng.permutation(rest)[:n_val]] = True
    return val


class TokenDataset(Dataset):
    """Reports as token ids with their 0/1 targets; batches are padded with id 0."""

    def __init__(self, ids: list[list[int]], y: np.ndarray) -> None:
        self.ids = [torch.tensor(i if i else [0], dtype=torch.long) for i in ids]
        self.y = torch.from_numpy(y)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.ids[index], self.y[index]

    @staticmethod
    def collate_fn(items):
        return pad([ids for ids, _ in items]), torch.stack([y for _, y in items])


def pad(sequences: list[torch.Tensor]) -> torch.Tensor:
    """(batch, longest) of token ids, 0 after each sequence's end."""
    return torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=0)
