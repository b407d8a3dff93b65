"""WFDB records (PhysioNet: a ``.hea`` header, ``.dat`` signal files, ``.atr`` annotations).

`read_wfdb` reads a record in physical units with its reference annotations; the annotation
files are read and written on their own too. Rhythm changes ("+" with aux such as "(AFIB")
become episodes that end at the next rhythm change, as WFDB means them. WFDB's channel 0, the
default every annotator writes, reads as -1 (all channels).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import wfdb

from medgui.core.signals.signal import Annotation, Signal
from medgui.core.signals.symbols import MIT_BIH_SYMBOLS, close_episodes
from medgui.core.util.atomic import TEMPORARY_PREFIX, atomic_writer

# Bytes per sample of the uncompressed WFDB formats, to find truncated signal files.
_BYTES_PER_SAMPLE = {
    "8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2,
    "212": 1.5, "310": 4 / 3, "311": 4 / 3,
}  # fmt: skip


def read_wfdb(header_path: str | Path, annotator: str | None = "atr") -> Signal:
    """The record whose header is `header_path` (``NAME.hea``, or ``NAME`` alone), with the
    annotations of ``NAME.<annotator>`` when that file exists (None reads none)."""
    header = Path(header_path)
    header = header if header.suffix == ".hea" else header.with_name(header.name + ".hea")
    record_name = str(header.with_suffix(""))
    if not header.is_file():
        raise ValueError(f"{header}: no such WFDB header")
    try:
        fields = wfdb.rdheader(record_name)
    except Exception as exc:  # wfdb raises bare Exception subclasses for syntax errors
        raise ValueError(f"{header}: not a valid WFDB header ({exc})") from exc
    if not fields.n_sig or not fields.sig_len:
        raise ValueError(
            f"{header}: the record has {fields.n_sig} signals, {fields.sig_len} samples"
        )
    _check_signal_files(fields, header)
    try:
        record = wfdb.rdrecord(record_name, physical=True)
    except Exception as exc:
        raise ValueError(f"{header}: the signal files cannot be read ({exc})") from exc
    warnings = []
    if any(n > 1 for n in record.samps_per_frame or []):
        warnings.append(f"{header}: channels sampled faster than the frame rate were averaged")
    invalid = int(np.isnan(record.p_signal).sum())
    if invalid:
        warnings.append(f"{header}: {invalid} samples are marked invalid (NaN)")
    signal = Signal(
        record.p_signal.T,
        float(record.fs),
        [str(name) for name in record.sig_name],
        [str(unit) for unit in record.units],
        start=record.base_datetime,
        source=str(header),
        warnings=warnings,
        metadata={"format": "wfdb", "comments": list(record.comments or [])},
    )
    annotation_file = header.with_suffix(f".{annotator}") if annotator else None
    if annotation_file is not None and annotation_file.is_file():
        signal.annotations = read_wfdb_annotations(annotation_file, signal.n_samples)
    return signal


def read_wfdb_annotations(path: str | Path, n_samples: int | None = None) -> list[Annotation]:
    """The annotations of the WFDB annotation file `path` (``NAME.atr`` or any extension).
    The last rhythm episode ends at `n_samples` (the record's length) or, when that is not
    given, at the last annotation of the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such annotation file")
    try:
        ann = wfdb.rdann(str(path.with_suffix("")), path.suffix.lstrip("."))
    except Exception as exc:
        raise ValueError(f"{path}: not a valid WFDB annotation file ({exc})") from exc
    symbols = ann.symbol or []
    notes = ann.aux_note or [""] * len(symbols)
    channels = ann.chan if ann.chan is not None else np.zeros(len(symbols), int)
    annotations = [
        Annotation(int(sample), str(symbol), aux=str(note or "").rstrip("\x00"),
                   channel=int(chan) if chan else -1)
        for sample, symbol, note, chan in zip(ann.sample, symbols, notes, channels, strict=True)
    ]  # fmt: skip
    end = n_samples if n_samples is not None else int(ann.sample.max()) if len(symbols) else 0
    return close_episodes(annotations, end)


def write_wfdb_annotations(path: str | Path, annotations: list[Annotation], fs: float) -> Path:
    """Write `annotations` as the WFDB annotation file `path` (``NAME.atr``, ``NAME.qrs``...)
    at rate `fs`. Episode ends are implied by the next rhythm change, as WFDB stores them."""
    path = Path(path)
    if not path.suffix or not path.suffix[1:].isalnum():
        raise ValueError(f"{path}: an annotation file needs an extension such as .atr")
    if not math.isfinite(fs) or fs <= 0:
        raise ValueError(f"{path}: sampling frequency must be positive, got {fs}")
    unknown = sorted({a.symbol for a in annotations} - MIT_BIH_SYMBOLS)
    if unknown:
        raise ValueError(f"{path}: {unknown} are not WFDB annotation symbols")
    if not annotations:
        raise ValueError(f"{path}: WFDB cannot write an empty annotation file")
    ordered = sorted(annotations, key=lambda a: a.sample)
    # wfdb writes NAME.EXT in a folder and accepts only plain record names, so it writes into a
    # private folder beside `path`; the file then replaces `path` atomically (user work).
    with (
        atomic_writer(path) as temporary,
        tempfile.TemporaryDirectory(dir=path.parent, prefix=TEMPORARY_PREFIX) as folder,
    ):
        try:
            wfdb.wrann(
                "annotations",
                "atr",
                np.array([a.sample for a in ordered], dtype=np.int64),
                symbol=[a.symbol for a in ordered],
                chan=np.array([max(a.channel, 0) for a in ordered], dtype=np.int64),
                aux_note=[a.aux for a in ordered],
                fs=fs,
                write_dir=folder,
            )
        except ValueError as exc:  # wfdb's own checks (negative samples, unwritable text)
            raise ValueError(f"{path}: cannot be written as WFDB annotations ({exc})") from exc
        os.replace(Path(folder) / "annotations.atr", temporary)
    return path


def _check_signal_files(fields: wfdb.Record, header: Path) -> None:
    """Each uncompressed signal file holds at least what the header declares (wfdb itself
    only says "Samples were not loaded correctly"). Multi-segment records are left to wfdb."""
    if isinstance(fields, wfdb.MultiRecord):
        return
    needed: dict[str, float] = {}
    offsets: dict[str, int] = {}
    for name, fmt, frame, offset in zip(
        fields.file_name, fields.fmt, fields.samps_per_frame, fields.byte_offset or [], strict=False
    ):
        if fmt not in _BYTES_PER_SAMPLE:
            return  # compressed (FLAC) files: their length says nothing; wfdb checks them
        needed[name] = needed.get(name, 0) + _BYTES_PER_SAMPLE[fmt] * (frame or 1)
        offsets[name] = offset or 0
    for name, per_frame in needed.items():
        file = header.parent / name
        if not file.is_file():
            raise ValueError(f"{header}: its signal file {name} is missing")
        size = math.ceil(per_frame * fields.sig_len) + offsets.get(name, 0)
        if file.stat().st_size < size:
            raise ValueError(
                f"{header}: {name} holds {file.stat().st_size} bytes but the header declares "
                f"{fields.sig_len} samples, {size} bytes (truncated?)"
            )
