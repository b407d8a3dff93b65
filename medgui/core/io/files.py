"""Which files a scan reads: the regular files of a folder, and those a DICOMDIR lists.

Anything that is not a regular file (a named pipe, a socket, a device) is listed with the reason
it was skipped, never opened: reading a pipe blocks forever.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pydicom


@dataclass
class ScanError:
    path: str
    reason: str


def walk_files(root: Path) -> tuple[list[str], list[ScanError]]:
    """The regular files under `root` (hidden ones left out), and every other entry with why.

    A named pipe, socket or device would block or never end when read: it is listed, not opened.
    """
    if not root.is_dir():
        problem = _not_regular(str(root))
        return ([], [problem]) if problem else ([str(root)], [])
    found, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                path = os.path.join(dirpath, name)
                problem = _not_regular(path)
                (skipped if problem else found).append(problem or path)
    return found, skipped


def _not_regular(path: str) -> ScanError | None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return ScanError(path, f"cannot read ({exc.strerror or exc})")
    if stat.S_ISREG(mode):
        return None
    return ScanError(path, f"not a regular file ({_file_kind(mode)}), skipped")


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def dicomdir_files(path: Path) -> tuple[list[str], list[ScanError]]:
    """The image files a DICOMDIR references (ReferencedFileID is relative to its folder)."""
    try:
        ds = pydicom.dcmread(path)
        records = ds.DirectoryRecordSequence
    except (pydicom.errors.InvalidDicomError, AttributeError, ValueError, OSError) as exc:
        return [], [ScanError(str(path), f"unreadable DICOMDIR: {exc}")]
    files, errors = [], []
    for record in records:
        ref = record.get("ReferencedFileID")
        if not ref:
            continue
        parts = [ref] if isinstance(ref, str) else list(ref)
        target = path.parent.joinpath(*parts)
        if not target.exists():
            # CDs written on other systems may have changed the case of the file names.
            alt = path.parent.joinpath(*[p.lower() for p in parts])
            if alt.exists():
                target = alt
            else:
                errors.append(ScanError(str(target), "listed in the DICOMDIR but missing on disk"))
                continue
        problem = _not_regular(str(target))
        (errors if problem else files).append(problem or str(target))
    return files, errors
