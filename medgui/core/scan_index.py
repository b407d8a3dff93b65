"""The local study index: headers of scanned files in SQLite, keyed by path, size and mtime.

Reopening a folder re-reads only the files that changed, as a workstation's local database does.
The index is a cache: deleting it loses nothing but time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from platformdirs import user_data_dir

from medgui.core.dicom_header import InstanceHeader

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    header TEXT,
    error TEXT
)
"""
# Bump when InstanceHeader changes meaning, so that stale rows are ignored rather than misread.
SCHEMA_VERSION = 4


def data_dir() -> Path:
    """medgui's per-user data folder (MEDGUI_DATA_DIR overrides it, for tests and portable use)."""
    override = os.environ.get("MEDGUI_DATA_DIR")
    folder = Path(override) if override else Path(user_data_dir("medgui", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ScanIndex:
    """A SQLite file of header records; safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                self._db.execute("DROP TABLE IF EXISTS files")
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db.execute(_SCHEMA)

    def lookup(self, paths: list[str]):
        """Split `paths` into cached results (headers or ScanErrors) and paths to read afresh."""
        from medgui.core.scan import ScanError

        cached, todo = [], []
        with self._lock:
            rows = {}
            for start in range(0, len(paths), 500):
                part = paths[start : start + 500]
                marks = ",".join("?" * len(part))
                query = (
                    f"SELECT path, size, mtime_ns, header, error FROM files WHERE path IN ({marks})"
                )
                rows.update({r[0]: r for r in self._db.execute(query, part)})
        for p in paths:
            row = rows.get(p)
            try:
                stat = os.stat(p)
            except OSError:
                todo.append(p)
                continue
            if row is None or row[1] != stat.st_size or row[2] != stat.st_mtime_ns:
                todo.append(p)
            elif row[4] is not None:
                cached.append(ScanError(p, row[4]))
            else:
                cached.append(InstanceHeader.from_json(json.loads(row[3])))
        return cached, todo

    def store(self, paths: list[str], results: list) -> None:
        """Remember freshly read results (headers or ScanErrors) for `paths`."""
        records = []
        for p, item in zip(paths, results, strict=True):
            try:
                stat = os.stat(p)
            except OSError:
                continue
            if isinstance(item, InstanceHeader):
                records.append(
                    (p, stat.st_size, stat.st_mtime_ns, json.dumps(item.to_json()), None)
                )
            else:
                records.append((p, stat.st_size, stat.st_mtime_ns, None, item.reason))
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", records)

    def close(self) -> None:
        with self._lock:
            self._db.close()


_DEFAULT: dict[str, ScanIndex] = {}


def default_index() -> ScanIndex:
    """The index in the user data dir (one connection per data dir per process)."""
    path = str(data_dir() / "scan-index.sqlite")
    if path not in _DEFAULT:
        _DEFAULT[path] = ScanIndex(path)
    return _DEFAULT[path]
