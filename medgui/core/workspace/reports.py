"""Reports in the workspace: imported, linked to their studies, read for findings, searched,
and turned into class tags.

Each report is one file ``reports/h-<digest>.json`` (`layout.report_path`), written atomically:
``{"format": "medgui-report", "version": 1, "report": ReportText.to_json()}``. Importing a
report with an id already stored replaces it. Findings are read with the CheXpert vocabulary
and the user's terms in ``report_terms.txt`` (reloaded when that file changes).

A study's report findings become a class tag on its series through `report_class`: the
finding's name when positive, "No <finding>" when negative; an uncertain finding is left out
("ignore", the default) or counted as positive or negative (CheXpert's U-Ones and U-Zeros).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from medgui.core.text.findings import (
    NEGATIVE,
    POSITIVE,
    STATUSES,
    UNCERTAIN,
    Finding,
    FindingsExtractor,
    aggregate,
    sentences,
)
from medgui.core.text.read import ReadResult, read_reports
from medgui.core.text.report import ReportText, StudyRef
from medgui.core.text.vocabulary import load_vocabulary
from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json
from medgui.core.workspace.layout import (
    report_path,
    report_terms_path,
    reports_dir,
    workspace_file,
)

FORMAT_VERSION = 1
Progress = Callable[[int, int], None]
UNCERTAIN_POLICIES = ("ignore", "positive", "negative")


@dataclass(frozen=True)
class StudyReports:
    """The reports of one study with each one's findings, their findings taken together, and
    the report files that could not be read."""

    reports: list[tuple[ReportText, list[Finding]]]
    findings: list[Finding]
    problems: list[str]


@dataclass(frozen=True)
class SearchHit:
    """A report that answers a search, the sentence that does, and (for a finding search) the
    finding and its status there."""

    report: ReportText
    sentence: str
    finding: str = ""
    status: str = ""


class ReportStore:
    """The reports of the workspace at `root`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._extractor: FindingsExtractor | None = None
        self._terms_stamp: tuple[int, int] | None = None

    def add(self, report: ReportText) -> Path:
        """Store `report` (replacing one with the same id); returns its file."""
        if not workspace_file(self.root).exists():
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_json(
                workspace_file(self.root), {"format": "medgui-workspace", "version": 1}
            )
        document = {
            "format": "medgui-report",
            "version": FORMAT_VERSION,
            "report": report.to_json(),
        }
        reports_dir(self.root).mkdir(parents=True, exist_ok=True)
        return atomic_write_json(report_path(self.root, report.report_id), document)

    def load(self) -> tuple[list[ReportText], list[str]]:
        """Every stored report (in id order) and a line per file that cannot be read."""
        found, problems = [], []
        for path in sorted(reports_dir(self.root).glob("h-*.json")):
            try:
                data = read_json(path, "report")
                found.append(ReportText.from_json(data.get("report") or {}))
            except ValueError as error:
                problems.append(f"{path}: {error}" if str(path) not in str(error) else str(error))
        return sorted(found, key=lambda r: r.report_id), problems

    def reports(self) -> list[ReportText]:
        """Every readable stored report."""
        return self.load()[0]

    def get(self, report_id: str) -> ReportText | None:
        """The report `report_id`, or None."""
        path = report_path(self.root, report_id)
        if not path.is_file():
            return None
        return ReportText.from_json(read_json(path, "report").get("report") or {})

    def remove(self, report_id: str) -> None:
        """Delete report `report_id` (nothing when there is none)."""
        report_path(self.root, report_id).unlink(missing_ok=True)

    def for_study(self, study: StudyRef) -> list[ReportText]:
        """The reports linked to `study`."""
        if study.is_empty():
            return []
        return [r for r in self.reports() if r.study.matches(study)]

    @property
    def extractor(self) -> FindingsExtractor:
        """The findings extractor with the user's terms (rebuilt when the terms file changes);
        ValueError naming the terms file when it is malformed."""
        path = report_terms_path(self.root)
        stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.is_file() else None
        if self._extractor is None or stamp != self._terms_stamp:
            self._extractor = FindingsExtractor(load_vocabulary(path))
            self._terms_stamp = stamp
        return self._extractor

    def findings(self, report: ReportText) -> list[Finding]:
        """The findings of one report."""
        return self.extractor.extract(report.text)

    def study_findings(self, study: StudyRef) -> list[Finding]:
        """The findings of every report of `study` taken together (one status per finding)."""
        extractor = self.extractor
        mentions = [m for r in self.for_study(study) for m in extractor.mentions(r.text)]
        return aggregate(mentions, extractor.vocabulary.findings) if mentions else []


def import_reports(
    root: str | Path,
    paths: Iterable[str | Path],
    study: StudyRef | None = None,
    progress: Progress | None = None,
) -> ReadResult:
    """Read the reports in `paths` and store them in the workspace at `root`. A report that
    names no study is linked to `study` when given (the study on show), else stored unlinked
    and listed in `problems`; unreadable files are listed there too."""
    result = read_reports(paths, progress)
    store, stored = ReportStore(root), []
    for report in result.reports:
        if report.study.is_empty() and study is not None and not study.is_empty():
            report = ReportText(
                report.report_id,
                report.text,
                report.source,
                report.kind,
                study,
                report.patient_name,
            )
        elif report.study.is_empty():
            result.problems.append(
                f"{report.source} ({report.report_id}): names no study (no study UID, accession "
                "number, or patient ID and date); stored without a link"
            )
        try:
            store.add(report)
        except OSError as error:
            result.problems.append(f"{report.source}: cannot be stored ({error})")
            continue
        stored.append(report)
    result.reports = stored
    return result


def report_class(
    findings: Iterable[Finding], finding: str, uncertain: str = "ignore"
) -> tuple[str, list[str], Finding] | None:
    """The class tag `finding` gives a series: (class name, the pair of classes, the finding),
    or None when the reports do not mention it or it is uncertain and `uncertain` is
    "ignore". ValueError for an unknown policy."""
    if uncertain not in UNCERTAIN_POLICIES:
        raise ValueError(f"uncertain findings: one of {UNCERTAIN_POLICIES}, not {uncertain!r}")
    found = next((f for f in findings if f.finding == finding), None)
    if found is None:
        return None
    status = (
        found.status
        if found.status != UNCERTAIN
        else {"positive": POSITIVE, "negative": NEGATIVE}.get(uncertain)
    )
    if status is None:
        return None
    classes = [finding, f"No {finding}"]
    return (classes[0] if status == POSITIVE else classes[1]), classes, found


def tag_origin(found: Finding, report_ids: Iterable[str]) -> dict[str, str]:
    """The origin a report tag keeps: source, report ids, finding, status, sentence."""
    return {
        "source": "report",
        "reports": ", ".join(report_ids),
        "finding": found.finding,
        "status": found.status,
        "sentence": found.sentence,
    }


def parse_query(query: str, findings: Iterable[str]) -> tuple[str, str] | None:
    """(finding, status or "") when `query` names a finding, optionally ", status" after it
    ("pleural effusion, positive"); None for a free-text query."""
    names = {name.lower(): name for name in findings}
    text = " ".join(query.lower().split())
    head, _, tail = text.rpartition(",")
    if head and tail.strip() in STATUSES and head.strip() in names:
        return names[head.strip()], tail.strip()
    return (names[text], "") if text in names else None


def search(store: ReportStore, query: str) -> list[SearchHit]:
    """The reports that answer `query`: a finding with an optional status (see `parse_query`)
    or free text (every word, in any case, somewhere in the report)."""
    if not query.strip():
        return []
    reports, extractor = store.reports(), store.extractor
    wanted = parse_query(query, extractor.vocabulary.findings)
    hits = []
    if wanted is not None:
        name, status = wanted
        for report in reports:
            for found in extractor.extract(report.text):
                if found.finding == name and status in ("", found.status):
                    hits.append(SearchHit(report, found.sentence, name, found.status))
        return hits
    words = [re.escape(w) for w in query.lower().split()]
    for report in reports:
        lower = report.text.lower()
        if all(re.search(w, lower) for w in words):
            sentence = next(
                (
                    report.text[a:b].strip()
                    for a, b in sentences(report.text)
                    if re.search(words[0], report.text[a:b].lower())
                ),
                "",
            )
            hits.append(SearchHit(report, sentence))
    return hits


def study_reports(
    root: str | Path, study: StudyRef, progress: Progress | None = None
) -> StudyReports:
    """The reports of `study` in the workspace at `root` with their findings (for the dock,
    run off the GUI thread: it reads every report file)."""
    store = ReportStore(root)
    reports, problems = store.load()
    mine = [r for r in reports if not study.is_empty() and r.study.matches(study)]
    extractor = store.extractor
    per_report = [(r, extractor.extract(r.text)) for r in mine]
    mentions = [m for r in mine for m in extractor.mentions(r.text)]
    findings = aggregate(mentions, extractor.vocabulary.findings) if mentions else []
    if progress:
        progress(1, 1)
    return StudyReports(per_report, findings, problems)


def search_workspace(root: str | Path, query: str, progress: Progress | None = None):
    """`search` in the workspace at `root` (for a worker: `progress` is called once done)."""
    hits = search(ReportStore(root), query)
    if progress:
        progress(1, 1)
    return hits
