"""Beat data from a workspace: the records whose beats were labelled in the window.

Each ``signals/<record>/beats.json`` names its record's source file; the record is read from
there. A user labels a few minutes of a long record, so only its LABELLED SPAN trains: from the
first labelled beat less `SPAN_MARGIN_S` to the last one plus it. Outside it nothing is known
(an unlabelled beat there is not "no beat"), so the record is cut to the span and training
windows are drawn inside it only. With one record, validation takes the span's last part
(`split_by_time`); with several, whole records, as for folders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medgui.core.signals.read import read_signal
from medgui.core.signals.symbols import BEAT_SYMBOLS
from medgui.core.util.jsonfile import read_json
from medgui.core.workspace.layout import BEATS_FILE, signals_root
from medgui.core.workspace.store import Workspace
from medgui.ml.signals.data import Record, choose_leads, prepare

SPAN_MARGIN_S = 1.0


def workspace_beat_files(workspace: Workspace) -> list[Path]:
    """The beats.json files of `workspace`, in a stable order."""
    return sorted(signals_root(workspace.root).glob(f"*/{BEATS_FILE}"))


def workspace_records(
    workspace: Workspace, lead: str | None, fs_hz: float
) -> tuple[list[Record], dict[str, list[float]], list[str], str | None]:
    """The labelled records of `workspace` cut to their labelled spans, at `fs_hz`; the span of
    each (record id: [start_s, end_s] in the record's own time), a line per problem (a file
    that cannot be read, a record with no beats: the others still load) and the lead read
    (`lead` None: the first record's first lead names the lead for all)."""
    records, spans, problems = [], {}, []
    for path in workspace_beat_files(workspace):
        try:
            record, span, lead_used = _load(path, lead, fs_hz)
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{path}: {error}: skipped")
            continue
        if record is None:
            problems.append(f"{path}: no labelled beats: skipped")
            continue
        lead = lead or lead_used
        if record.id in spans:  # two records of one name in different folders
            record.id = f"{record.id}#{len(records)}"
        records.append(record)
        spans[record.id] = span
    return records, spans, problems, lead


def _load(path: Path, lead: str | None, fs_hz: float) -> tuple[Record | None, list[float], str]:
    document = read_json(path, "beats")
    source = Path(document["source"])
    beats = [(int(s), str(y)) for s, y in document["beats"] if str(y) in BEAT_SYMBOLS]
    if not beats:
        return None, [], ""
    signal = read_signal(source)
    if signal.n_samples != document.get("n_samples") or signal.fs_hz != document.get("fs_hz"):
        raise ValueError(f"the labels were saved for another version of {source}")
    lead = lead or signal.channel_names[0]
    first = max(0, beats[0][0] - round(SPAN_MARGIN_S * signal.fs_hz))
    last = min(signal.n_samples, beats[-1][0] + round(SPAN_MARGIN_S * signal.fs_hz) + 1)
    x = prepare(signal, choose_leads(signal, lead), fs_hz)
    scale = fs_hz / signal.fs_hz
    low, high = round(first * scale), min(x.shape[1], round(last * scale))
    samples = np.array([round(s * scale) - low for s, _ in beats], np.int64)
    keep = (samples >= 0) & (samples < high - low)
    record = Record(
        source.stem, np.ascontiguousarray(x[:, low:high]), samples[keep],
        [y for (_, y), k in zip(beats, keep, strict=True) if k],
        sorted(str(p) for p in source.parent.glob(f"{source.stem}.*") if p.is_file()),
    )  # fmt: skip
    return record, [first / signal.fs_hz, last / signal.fs_hz], lead


def split_by_time(record: Record, val_fraction: float, fs_hz: float) -> tuple[Record, Record]:
    """`record` cut in two at (1 - `val_fraction`) of its length: the first part trains, the
    last validates. The cut is moved to half-way between two beats so no beat is split; a
    ValueError says when either part would hold no beat."""
    n = record.x.shape[1]
    cut = round(n * (1 - val_fraction))
    before = record.beats[record.beats < cut]
    after = record.beats[record.beats >= cut]
    if len(before) < 2 or len(after) < 1:
        raise ValueError(
            f"{record.id}: {len(record.beats)} labelled beats over "
            f"{n / fs_hz:.0f} s: too few to keep the last {val_fraction:.0%} for validation; "
            "label more beats or train without validation"
        )
    cut = int((before[-1] + after[0]) // 2)
    k = len(before)
    first = Record(record.id, record.x[:, :cut], record.beats[:k], record.symbols[:k], record.files)
    second = Record(
        f"{record.id}@val", record.x[:, cut:], record.beats[k:] - cut, record.symbols[k:],
        record.files,
    )  # fmt: skip
    return first, second
