"""Patient IDs never leave the machine through a model: the split names patients by keyed hash.

The model card records which patients trained and which validated (reproducibility), and a
card travels in every exported bundle. So a split group "patient:<PatientID>" is stored as
"patient:<HMAC-SHA256(key, PatientID)>" (16 hex digits). The key is random, made once per
workspace (or per model folder when training from plain folders) and kept there in
``.medgui-split-key``, never in a card or bundle; the same data splits the same way again, so a
resumed run and a retrained model still compare. The hash → PatientID table is written beside
the key (``.medgui-split-ids.json``) so that the user, on this machine, can say which patient a
group is. Without a folder (in-memory training) the key lives as long as the process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from medgui.core.util.atomic import atomic_write_json, atomic_write_text
from medgui.core.util.jsonfile import read_json
from medgui.core.workspace.layout import is_workspace
from medgui.core.workspace.store import Workspace

KEY_FILE = ".medgui-split-key"
IDS_FILE = ".medgui-split-ids.json"
PATIENT = "patient:"
_PROCESS_KEY = secrets.token_bytes(32)


def key_folder(sources: Any, out_dir: str = "") -> Path | None:
    """Where the key of a training run lives: the workspace it reads, else its checkpoint
    folder (``<out_dir>/checkpoint``, local and never exported), else nowhere."""
    root = None
    if isinstance(getattr(sources, "workspace", None), Workspace):  # a WorkspaceSource
        root = sources.workspace.root
    elif isinstance(sources, Workspace):
        root = sources.root
    elif isinstance(sources, Mapping) and sources.get("workspace"):
        root = sources["workspace"]
    elif isinstance(sources, str | Path):
        root = sources if is_workspace(sources) else None
    if root is not None:
        return Path(root)
    return Path(out_dir) / "checkpoint" if out_dir else None


def folder_key(folder: Path | None) -> bytes:
    """The key kept in `folder` (made on first use, readable by the user only)."""
    if folder is None:
        return _PROCESS_KEY
    path = folder / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable split key ({error})") from error
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, secrets.token_hex(32) + "\n")
    if os.name != "nt":
        os.chmod(path, 0o600)
    return folder_key(folder)


def pseudonymise(groups: Iterable[str], folder: Path | None) -> dict[str, str]:
    """{group: stored group} for split groups: "patient:<id>" becomes "patient:<hmac>", others
    (series keys, file paths) stay. The table of the new hashes is added to `folder`'s."""
    key = folder_key(folder)
    mapping, table = {}, {}
    for group in groups:
        if group.startswith(PATIENT):
            patient = group[len(PATIENT) :]
            digest = hmac.new(key, patient.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            mapping[group], table[digest] = PATIENT + digest, patient
        else:
            mapping[group] = group
    if folder is not None and table:
        path = folder / IDS_FILE
        try:
            known = read_json(path) if path.is_file() else {}
        except ValueError:
            known = {}  # only a convenience for the user: rebuilt from this run
        if not known.items() >= table.items():
            atomic_write_json(path, known | table)
    return mapping
