"""The names of the workspace folder's parts, in one place: whoever reads or writes a
workspace (the store, the audit log, the model registry, training checkpoints, the command
line) builds its paths here.

    <workspace>/
      workspace.json      marks the folder as a medgui workspace (its format and version)
      series/<series>/    one folder per series (see `store`), with its ``.autosave/`` slots
      signals/<record>/   one folder per signal record (see `beats`): ``beats.json``, its labels
      models/             the model registry (`medgui.ml.models.registry`)
      reports/            one JSON file per imported report (see `reports`): text and study
      report_terms.txt    the user's own finding terms (`medgui.core.text.vocabulary`)
      synthetic/<class>/  generated images added to training (`synthetic`), never patient data
      audit.jsonl         the audit log (`audit`)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

WORKSPACE_FILE = "workspace.json"
SERIES_DIR = "series"
MODELS_DIR = "models"
AUDIT_FILE = "audit.jsonl"
AUTOSAVE_DIR = ".autosave"  # inside each series folder
SIGNALS_DIR = "signals"
BEATS_FILE = "beats.json"  # inside each signal record's folder
REPORTS_DIR = "reports"
REPORT_TERMS_FILE = "report_terms.txt"
SYNTHETIC_DIR = "synthetic"


def workspace_file(root: str | Path) -> Path:
    """The file that marks `root` as a medgui workspace."""
    return Path(root) / WORKSPACE_FILE


def is_workspace(folder: str | Path) -> bool:
    """Whether `folder` is a medgui workspace (it holds the marker file)."""
    return workspace_file(folder).is_file()


def series_root(root: str | Path) -> Path:
    """The folder that holds one folder per series."""
    return Path(root) / SERIES_DIR


def models_dir(root: str | Path) -> Path:
    """The model registry's folder."""
    return Path(root) / MODELS_DIR


def synthetic_dir(root: str | Path) -> Path:
    """The generated images added to training, one folder per class."""
    return Path(root) / SYNTHETIC_DIR


def audit_path(root: str | Path) -> Path:
    """The audit log."""
    return Path(root) / AUDIT_FILE


def signals_root(root: str | Path) -> Path:
    """The folder that holds one folder per signal record."""
    return Path(root) / SIGNALS_DIR


def signal_key(source: str | Path) -> str:
    """The key a signal record's work is stored under: its source file's absolute path, so
    that a record opened by a relative or an absolute path is one record."""
    return str(Path(source).resolve())


def signal_dir(root: str | Path, source: str | Path) -> Path:
    """The folder of the record read from `source`: ``h-`` and 24 hex digits of the SHA-256 of
    its key, as the store names path-keyed series (paths may hold characters, or lengths, that
    a file system refuses)."""
    digest = hashlib.sha256(signal_key(source).encode("utf-8")).hexdigest()[:24]
    return signals_root(root) / f"h-{digest}"


def reports_dir(root: str | Path) -> Path:
    """The folder that holds one file per imported report."""
    return Path(root) / REPORTS_DIR


def report_path(root: str | Path, report_id: str) -> Path:
    """The file of report `report_id`: ``h-`` and 24 hex digits of the SHA-256 of its id (ids
    come from CSV cells and file names, which a file system may refuse)."""
    digest = hashlib.sha256(report_id.encode("utf-8")).hexdigest()[:24]
    return reports_dir(root) / f"h-{digest}.json"


def report_terms_path(root: str | Path) -> Path:
    """The user's own finding terms."""
    return Path(root) / REPORT_TERMS_FILE
