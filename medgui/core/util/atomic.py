"""Atomic file writes: a reader (or the next start after a crash) sees the old file or the new
one, never a half-written mix.

Every write goes to a temporary file in the destination's own folder (a rename is only atomic
within one file system), is flushed and fsynced, then renamed over the destination with
`os.replace`; the folder is fsynced last so that the rename itself survives a power cut. A kill
at any moment leaves at worst a hidden ``.tmp-*`` file beside the intact destination, which
`remove_stale_temporaries` clears up later.
"""

from __future__ import annotations

import errno
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMPORARY_PREFIX = ".tmp-"
# fsync on a folder is refused by some file systems (and impossible on Windows); the rename is
# still atomic there, only its durability across a power cut is the file system's business.
_DIRECTORY_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.EBADF, errno.EACCES, errno.EPERM}


def temporary_path_for(path: str | Path) -> Path:
    """A fresh hidden name beside `path` that ends with its full name, so that libraries that
    pick a format by suffix (``.nii.gz``, ``.nrrd``) still see the right one."""
    path = Path(path)
    return path.with_name(f"{TEMPORARY_PREFIX}{uuid.uuid4().hex[:12]}-{path.name}")


def is_temporary(path: str | Path) -> bool:
    """Whether `path` is one of the temporary files this module writes."""
    return Path(path).name.startswith(TEMPORARY_PREFIX)


def fsync_file(path: str | Path) -> None:
    """Flush a file's data to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(folder: str | Path) -> None:
    """Flush a folder's entries (renames, deletions) to the disk where the OS allows it."""
    if os.name == "nt":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError as error:
        if error.errno in _DIRECTORY_FSYNC_UNSUPPORTED:
            return
        raise
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in _DIRECTORY_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(descriptor)


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[Path]:
    """Give a temporary path to write `path`'s new content to; on a clean exit it replaces `path`.

    The caller writes the whole file at the yielded path (with any library). If the block raises,
    the temporary file is removed and `path` is untouched. The folder must exist.
    """
    path = Path(path)
    temporary = temporary_path_for(path)
    try:
        yield temporary
        if not temporary.is_file():
            raise FileNotFoundError(f"{path}: nothing was written to {temporary.name}")
        fsync_file(temporary)
        os.replace(temporary, path)
        fsync_directory(path.parent)
    except OSError as error:
        named = naming_path(error, path)
        if named is error:
            raise
        raise named from error
    finally:
        temporary.unlink(missing_ok=True)


def naming_path(error: OSError, path: str | Path) -> OSError:
    """`error` if it names `path`, else the same error about `path`: a write to a full disk
    raises "[Errno 28] No space left on device" with no file name, or names a temporary file
    the user never sees."""
    path = str(path)
    if error.filename == path:
        return error
    # Some libraries re-raise the OS's error as a bare message (pydicom adds a traceback to
    # it): the errno and its reason are on the one it came from.
    cause: BaseException | None = error
    while cause is not None and not (isinstance(cause, OSError) and cause.errno is not None):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return error if path in str(error) else OSError(f"{path}: {error}")
    return OSError(cause.errno, cause.strerror, path)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Replace `path` with `data` atomically; returns `path`."""
    path = Path(path)
    with atomic_writer(path) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Replace `path` with `text` atomically; returns `path`."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path: str | Path, data: Any, indent: int | None = 1) -> Path:
    """Replace `path` with `data` as JSON (UTF-8) atomically; returns `path`.

    NaN and infinity raise `ValueError` rather than being written as the non-JSON tokens that
    Python would otherwise emit (other readers would reject the file).
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def remove_stale_temporaries(folder: str | Path, older_than_s: float = 3600.0) -> list[Path]:
    """Delete temporaries left in `folder` by a killed writer; returns what was removed.

    Only files older than `older_than_s` go, so that a save running in another thread or process
    at this moment keeps its file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_s
    removed = []
    for entry in folder.iterdir():
        if is_temporary(entry) and entry.is_file() and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
