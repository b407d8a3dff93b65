"""Workers for reports: building the report (model cards read, key images rendered) and
writing it, so the dialog's preview and Save never stall the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from superqt.utils import FunctionWorker, create_worker

from medgui.core.image.volume import Volume
from medgui.core.workspace.store import SeriesWork
from medgui.workers.load_worker import ProgressWorker


@dataclass
class ReportRequest:
    """What the report of the series on show is made from (copies the GUI will not change)."""

    volume: Volume
    work: SeriesWork
    workspace_root: Path
    findings: str = ""
    impression: str = ""
    pseudonymise: bool = False
    runs: list = field(default_factory=list)  # medgui.reports.model_section.ModelRun


def _build(request: ReportRequest, progress=None):
    from medgui.reports.build import build_report
    from medgui.reports.model_section import active_cards

    cards, notes = active_cards(request.workspace_root)
    report = build_report(
        request.volume,
        request.work,
        cards=cards,
        runs=request.runs,
        findings=request.findings,
        impression=request.impression,
        pseudonymise=request.pseudonymise,
        progress=progress,
    )
    report.notes[:0] = notes
    return report


def build_report_worker(request: ReportRequest) -> ProgressWorker:
    """An unstarted worker building the report of `request`: `returned(Report)`, progress
    per key image; None when cancelled."""
    return ProgressWorker(_build, request)


def _write(report, path: Path, size: str, workspace_root: Path, series: str) -> Path:
    from medgui.reports.write import write_report

    return write_report(report, path, size=size, workspace_root=workspace_root, series=series)


def write_report_worker(
    report, path: str | Path, size: str, workspace_root: str | Path, series: str
) -> FunctionWorker:
    """An unstarted worker writing `report` to `path` (PDF/HTML by suffix) and recording it in
    the workspace's audit log: `returned(path)`."""
    return create_worker(
        _write,
        report,
        Path(path),
        size,
        Path(workspace_root),
        series,
        _start_thread=False,
        _ignore_errors=True,
    )
