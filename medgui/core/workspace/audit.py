"""The audit log: an append-only JSON-lines record of what was done in a workspace.

One line per event in ``<workspace>/audit.jsonl``: series opened, labels saved, models trained
and run, reports and exports written — what, when, and where to. Lines are only ever appended
(``O_APPEND``, the whole line, then fsync; a failed write is cut back off), so a crash can at
worst cut the last line short; `read_audit` reports such a line instead of failing on it, and
never rewrites the file.
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medgui.core.workspace.layout import audit_path

FORMAT = "medgui-audit"
VERSION = 1

# The actions medgui records; `record` refuses others so a typo never makes a new kind.
ACTIONS = frozenset(
    {
        "series_opened",
        "labels_saved",
        "labels_exported",
        "model_trained",
        "model_run",
        "model_imported",
        "model_exported",
        "synthetic_added",  # generated images added to training (no patient data)
        "report_written",
        "seg_exported",
        "sr_exported",
        "deid_exported",
        # A write that was started and failed (nothing was left behind): what, where, why.
        "export_failed",
        "report_failed",
    }
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log: `action`, ISO 8601 UTC `time`, the `user`, and free `details`."""

    action: str
    time: str
    user: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditRead:
    """What `read_audit` found: the entries, and the lines it could not read with the reason."""

    entries: list[AuditEntry]
    problems: list[str]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


class AuditLog:
    """Appends events to ``<workspace_root>/audit.jsonl``; safe to share between threads."""

    _lock = threading.Lock()

    def __init__(self, workspace_root: str | Path) -> None:
        self.path = audit_path(workspace_root)

    def record(self, action: str, **details: Any) -> AuditEntry:
        """Append one event. `details` must be JSON-serialisable (paths become strings)."""
        if action not in ACTIONS:
            raise ValueError(
                f"unknown audit action {action!r}; known: {', '.join(sorted(ACTIONS))}"
            )
        details = {k: str(v) if isinstance(v, Path) else v for k, v in details.items()}
        entry = AuditEntry(
            action=action,
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            user=_user(),
            details=details,
        )
        line = json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "action": action,
                "time": entry.time,
                "user": entry.user,
                "details": details,
            },
            ensure_ascii=False,
            default=str,
        )
        data = (line + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            # O_APPEND: every write lands at the end, even with another process appending too.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _append_line(descriptor, data, self.path)
            finally:
                os.close(descriptor)
        return entry

    def record_failure(self, action: str, error: BaseException, **details: Any) -> AuditEntry:
        """Append failure `action` ("export_failed", "report_failed") with the error's text."""
        return self.record(action, **details, error=f"{type(error).__name__}: {error}")

    def read(self) -> AuditRead:
        """Every entry in the order written (see `read_audit`)."""
        return read_audit(self.path)


def _append_line(descriptor: int, data: bytes, path: Path) -> None:
    """Append `data` whole or not at all: `os.write` may write only part of it (a full disk, a
    signal), and a cut line would merge with the next entry. On failure the file is cut back to
    where it ended and the error names the log."""
    start = os.fstat(descriptor).st_size
    view = memoryview(data)
    try:
        while view:
            written = os.write(descriptor, view)
            if written == 0:
                raise OSError(errno.ENOSPC, "short write: nothing more could be written")
            view = view[written:]
        os.fsync(descriptor)
    except OSError as error:
        try:
            os.ftruncate(descriptor, start)
        except OSError:
            pass  # the reader names a cut last line; the first error is the one to report
        raise OSError(
            error.errno, f"cannot append to the audit log: {error.strerror or error}", str(path)
        ) from error


def read_audit(path: str | Path) -> AuditRead:
    """Read an audit log; a line that is cut short or not a medgui entry is named in
    `problems` (with its line number) and the rest is still returned."""
    path = Path(path)
    entries: list[AuditEntry] = []
    problems: list[str] = []
    if not path.exists():
        return AuditRead(entries, problems)
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if data.get("format") != FORMAT:
                    raise ValueError("not a medgui audit entry")
                entries.append(
                    AuditEntry(
                        action=str(data["action"]),
                        time=str(data["time"]),
                        user=str(data.get("user", "")),
                        details=dict(data.get("details", {})),
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                problems.append(f"{path}: line {number}: {error}")
    return AuditRead(entries, problems)
