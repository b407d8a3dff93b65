"""The local study index: headers of scanned files in SQLite, keyed by path, size and mtime.

Reopening a folder re-reads only the files that changed, as a workstation's local database does.
The index is a cache: deleting it loses nothing but time. It holds identifying data (names, IDs,
birth dates, accession numbers), so rows of files that are gone are dropped when their folder is
rescanned, and `forget` and `clear` remove a folder's rows or all of them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from platformdirs import user_data_dir

from medgui.core.dicom.instance import InstanceHeader

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    header TEXT,
    error TEXT,
    patient_id TEXT
);
CREATE INDEX IF NOT EXISTS files_by_patient ON files(patient_id)
"""
# What a failing index raises: the scan goes on without it (a full disk, a locked or damaged file).
INDEX_ERRORS = (sqlite3.Error, OSError)
# Bump when InstanceHeader changes meaning, so that stale rows are ignored rather than misread.
# 4: absolute paths as keys; 5: PatientOrientation and ImagerPixelSpacing; 6: patient ID column
# (a patient's priors are found without reading every header)
SCHEMA_VERSION = 6


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
            self._db.executescript(_SCHEMA)

    def _execute(self, sql: str, params=()) -> list:
        with self._lock, self._db:
            return self._db.execute(sql, params).fetchall()

    def _paths_under(self, root: str) -> list:
        """Keys of the rows for `root` and the files below it (text keys by range, so the
        primary key's index serves it; the rare byte-string keys one by one)."""
        root = os.path.normpath(os.path.abspath(root)).rstrip(os.sep)
        keys = []
        if isinstance(_key(root), str):  # no text key lies below a name that is not UTF-8
            text = self._execute(
                "SELECT path FROM files WHERE path = ? OR (path >= ? AND path < ?)",
                (root, root + os.sep, root + chr(ord(os.sep) + 1)),
            )
            keys = [r[0] for r in text]
        for (key,) in self._execute("SELECT path FROM files WHERE typeof(path) = 'blob'"):
            path = os.fsdecode(key)
            if path == root or path.startswith(root + os.sep):
                keys.append(key)
        return keys

    def _delete(self, keys: list) -> int:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM files WHERE path = ?", [(k,) for k in keys])
        return len(keys)

    def forget(self, root: str | Path) -> int:
        """Drop the rows of `root` (a file or folder) and everything below it; how many."""
        return self._delete(self._paths_under(str(root)))

    def keep_only(self, root: str | Path, present: list[str]) -> int:
        """After a rescan of `root`: drop the rows of files below it that are no longer there."""
        keep = {_key(p) for p in present}
        return self._delete([k for k in self._paths_under(str(root)) if k not in keep])

    def prune(self) -> int:
        """Drop the rows of every file that no longer exists; how many."""
        keys = [r[0] for r in self._execute("SELECT path FROM files")]
        return self._delete([k for k in keys if not os.path.lexists(k)])

    def count(self) -> int:
        return self._execute("SELECT COUNT(*) FROM files")[0][0]

    def clear(self) -> int:
        """Drop every row and compact the file, so that no trace of the headers is left in it."""
        n = self.count()
        with self._lock:
            self._db.execute("DELETE FROM files")
            self._db.commit()
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return n

    def lookup(self, paths: list[str]):
        """Split `paths` into cached results (headers or ScanErrors) and paths to read afresh."""
        from medgui.core.io.files import ScanError

        cached, todo = [], []
        with self._lock:
            rows = {}
            for start in range(0, len(paths), 500):
                part = paths[start : start + 500]
                marks = ",".join("?" * len(part))
                query = (
                    f"SELECT path, size, mtime_ns, header, error FROM files WHERE path IN ({marks})"
                )
                keys = [_key(p) for p in part]
                rows.update({r[0]: r for r in self._db.execute(query, keys)})
        for p in paths:
            row = rows.get(_key(p))
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
                header = json.dumps(item.to_json())
                patient = item.patient_id.strip() or None
                records.append((_key(p), stat.st_size, stat.st_mtime_ns, header, None, patient))
            else:
                reason = item.reason.encode("utf-8", "backslashreplace").decode()
                records.append((_key(p), stat.st_size, stat.st_mtime_ns, None, reason, None))
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", records)

    def patient_headers(self, patient_id: str) -> list[InstanceHeader]:
        """The headers of the files of patient `patient_id` scanned from any folder, by the
        patient ID column (no folder is rescanned); files gone or changed since are left out."""
        patient = patient_id.strip()
        if not patient:
            return []
        rows = self._execute(
            "SELECT path, size, mtime_ns, header FROM files "
            "WHERE patient_id = ? AND header IS NOT NULL",
            (patient,),
        )
        headers = []
        for key, size, mtime_ns, header in rows:
            try:
                stat = os.stat(key)
            except OSError:
                continue
            if stat.st_size == size and stat.st_mtime_ns == mtime_ns:
                headers.append(InstanceHeader.from_json(json.loads(header)))
        return headers

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _key(path: str) -> str | bytes:
    """The key of `path`: its absolute path as text, or as bytes for a name that is not valid
    UTF-8 (a Latin-1 name from an old CD), which SQLite cannot store as text."""
    path = os.path.abspath(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


_DEFAULT: dict[str, ScanIndex] = {}


def default_index() -> ScanIndex:
    """The index in the user data dir (one connection per data dir per process)."""
    path = str(data_dir() / "scan-index.sqlite")
    if path not in _DEFAULT:
        _DEFAULT[path] = ScanIndex(path)
    return _DEFAULT[path]
