"""The names of the workspace folder's parts, in one place: whoever reads or writes a
workspace (the store, the audit log, the model registry, training checkpoints, the command
line) builds its paths here.

    <workspace>/
      workspace.json      marks the folder as a medgui workspace (its format and version)
      series/<series>/    one folder per series (see `store`), with its ``.autosave/`` slots
      models/             the model registry (`medgui.ml.models.registry`)
      audit.jsonl         the audit log (`audit`)
"""

from __future__ import annotations

from pathlib import Path

WORKSPACE_FILE = "workspace.json"
SERIES_DIR = "series"
MODELS_DIR = "models"
AUDIT_FILE = "audit.jsonl"
AUTOSAVE_DIR = ".autosave"  # inside each series folder


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


def audit_path(root: str | Path) -> Path:
    """The audit log."""
    return Path(root) / AUDIT_FILE
