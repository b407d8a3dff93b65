"""Writing a report file: the format follows the file's suffix, the write is atomic, and the
workspace's audit log records it (or its failure)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from reportlab.platypus.doctemplate import LayoutError

from medgui.core.util.atomic import atomic_write_bytes
from medgui.core.workspace.audit import AuditLog
from medgui.reports.html import render_html
from medgui.reports.pdf import page_size, render_pdf
from medgui.reports.report_model import Report

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def report_format(path: str | Path) -> str:
    """ "pdf" or "html" from `path`'s suffix; ValueError naming the file otherwise."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise ValueError(f"{path}: a report is written as .pdf or .html")
    return found


def write_report(
    report: Report,
    path: str | Path,
    *,
    size: str = "A4",
    workspace_root: str | Path | None = None,
    series: str = "",
) -> Path:
    """Write `report` to `path` (PDF or HTML by suffix, PDF on page size `size`) atomically;
    record "report_written" in the audit log of `workspace_root` when given. Returns `path`."""
    path = Path(path)
    kind = report_format(path)
    page_size(size)  # a bad size fails before anything is written
    if not path.parent.is_dir():
        raise ValueError(f"{path}: the folder {path.parent} does not exist")
    try:
        data = render_pdf(report, size) if kind == "pdf" else render_html(report).encode("utf-8")
        atomic_write_bytes(path, data)  # a failed write leaves no file (nor a temporary)
    except (OSError, ValueError, LayoutError) as error:
        if workspace_root is not None:
            # The log may sit on the same full disk: the error below still says what happened.
            with contextlib.suppress(OSError):
                AuditLog(workspace_root).record_failure(
                    "report_failed", error, path=path.resolve(), series=series
                )
        raise ValueError(_reason(path, error)) from error
    if workspace_root is not None:
        details = {"path": path.resolve(), "series": series, "format": kind}
        if kind == "pdf":
            details["page_size"] = size
        AuditLog(workspace_root).record(
            "report_written", **details, pseudonymised=report.pseudonymised
        )
    return path


def _reason(path: Path, error: Exception) -> str:
    """What went wrong, naming `path` (never the temporary file the write went to)."""
    if isinstance(error, OSError):
        return f"{path}: cannot write the report ({error.strerror or error})"
    if isinstance(error, LayoutError):
        return f"{path}: cannot lay out the report ({str(error)[:200]})"
    return str(error) if str(error).startswith(str(path)) else f"{path}: {error}"
