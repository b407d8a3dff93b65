"""Workers for report text: importing report files, reading a study's reports and their
findings, and searching the workspace's reports (each reads files: never on the GUI thread)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from medgui.core.text.report import StudyRef
from medgui.core.workspace.report_tags import tag_workspace_series
from medgui.core.workspace.reports import import_reports, search_workspace, study_reports
from medgui.workers.load_worker import ProgressWorker


def import_worker(root: Path, paths: Sequence[Path], study: StudyRef | None) -> ProgressWorker:
    """An unstarted worker importing `paths` into the workspace at `root`;
    `returned(ReadResult)`."""
    return ProgressWorker(import_reports, root, list(paths), study)


def study_worker(root: Path, study: StudyRef) -> ProgressWorker:
    """An unstarted worker reading `study`'s reports; `returned(StudyReports)`."""
    return ProgressWorker(study_reports, root, study)


def search_worker(root: Path, query: str) -> ProgressWorker:
    """An unstarted worker searching the reports; `returned(list[SearchHit])`."""
    return ProgressWorker(search_workspace, root, query)


def tag_worker(root: Path, finding: str, uncertain: str, skip: Sequence[str]) -> ProgressWorker:
    """An unstarted worker tagging the workspace's series from their reports;
    `returned(ReportTagRun)`."""
    return ProgressWorker(tag_workspace_series, root, finding, uncertain, list(skip))
