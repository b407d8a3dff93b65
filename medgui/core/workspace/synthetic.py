"""Generated images the user added to training: ``<workspace>/synthetic/<class>/*.png``, each
marked synthetic (`core.deid.synthetic`). The classification task reads them as labelled
training images that never validate and are counted apart in the model card; no export walks
this folder, and de-identification skips the mark wherever the files go.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np

from medgui.core.deid.synthetic import is_synthetic_file, write_synthetic_png
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.layout import synthetic_dir


def class_folder_name(class_name: str) -> str:
    """A class name safe as one folder name."""
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", class_name).strip(" .") or "class"


def add_synthetic(root: str | Path, class_name: str, images: list[np.ndarray]) -> list[Path]:
    """Write `images` (uint8) of `class_name` into the workspace, recorded in its audit log."""
    folder = synthetic_dir(root) / class_folder_name(class_name)
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        write_synthetic_png(image, folder / f"synthetic_{uuid.uuid4().hex[:12]}.png", class_name)
        for image in images
    ]
    AuditLog(root).record("synthetic_added", class_name=class_name, images=len(written))
    return written


def synthetic_images(root: str | Path) -> dict[str, list[Path]]:
    """{class folder name: its marked images}, sorted (unmarked files are not ours: left out)."""
    base = synthetic_dir(root)
    if not base.is_dir():
        return {}
    found = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        files = [p for p in sorted(folder.glob("*.png")) if is_synthetic_file(p)]
        if files:
            found[folder.name] = files
    return found
