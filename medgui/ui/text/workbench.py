"""Report text in the window: the Reports dock, File → Import reports…, and tags from reports.

When a series has loaded, the reports of its study (linked by study UID, accession number, or
patient ID and date) are read with their findings in a worker and shown. "Accept as tag" tags
the series on show with the selected finding through the label session (one undo step, saved
with the series like any tag); a tag the user set by hand is left as it is. Import and search
run in workers too: they read every report file.

When the workspace has an active report model (registry name "report"), a worker scores the
report on show: each label's probability, and the words that drove the label the user picks
(the most probable one at first), which the text then highlights.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from medgui.core.text.report import StudyRef
from medgui.core.workspace.reports import report_class, tag_origin
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.dock_actions import dock_action
from medgui.ui.text.reports_panel import ReportsPanel
from medgui.workers.report_model_worker import score_worker
from medgui.workers.text_worker import import_worker, search_worker, study_worker, tag_worker

_FILTER = "Reports (*.dcm *.pdf *.txt *.csv *.html *.htm);;All files (*)"


class ReportsWorkbench(QObject):
    """The Reports dock and its menu actions, built from the application context `app`.
    `study_shown()` when the reports of the study on show are listed; `imported(n)` after an
    import; `searched()` when search results are listed; `tagged(bool)` after Accept;
    `tagged_all(run)` after tagging the workspace's series."""

    study_shown = Signal()
    imported = Signal(int)
    searched = Signal()
    tagged = Signal(bool)
    tagged_all = Signal(object)  # ReportTagRun
    scored = Signal(object)  # the report model's ReportScores (None: no model)

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self.panel = ReportsPanel()
        (self.dock,) = app.add_docks([("Reports", self.panel)], app.right_dock)
        self.study = StudyRef()
        self.findings: list = []
        self.report_ids: list[str] = []
        self.hits: list = []
        self.workers: list = []  # kept until they finish
        self._generation = 0
        self._scoring = 0  # the latest scoring asked for: older answers are dropped
        quit_action = app.menu_actions["quit"]
        action = QAction("Import &reports…", app.shell)
        action.triggered.connect(self.ask_import)
        app.menu_holding("quit").insertAction(quit_action, action)
        app.menu_actions["import_reports"] = action
        view = dock_action(self.dock, "Ctrl+Shift+N")  # N: narrative text (O opens a folder)
        app.menu_holding("reset").addAction(view)
        app.menu_actions["reports_dock"] = view
        self.panel.import_requested.connect(self.ask_import)
        self.panel.accept_requested.connect(self.accept)
        self.panel.tag_all_requested.connect(self.tag_all)
        self.panel.search_requested.connect(self.search)
        self.panel.hit_chosen.connect(self._show_hit)
        self.panel.report_shown.connect(lambda _text: self.score())
        self.panel.model.label_chosen.connect(self.score)
        app.jobs.volume_loaded.connect(self._on_loaded)

    @property
    def root(self) -> Path:
        return Path(self.app.workspace.root)

    def _start(self, worker, done) -> None:
        self.workers.append(worker)
        worker.returned.connect(done)
        worker.errored.connect(lambda error: self.panel.show_message(f"Reports: {error}"))
        worker.finished.connect(lambda: self.workers.remove(worker))
        worker.start()

    # The study on show.

    def _on_loaded(self, volume, *_args) -> None:
        self.show_study(StudyRef.from_metadata(volume.metadata))

    def show_study(self, study: StudyRef) -> None:
        """List the reports of `study` and their findings (read in a worker)."""
        self.study = study
        self._generation += 1
        generation = self._generation
        self._start(study_worker(self.root, study), lambda r: self._on_study(r, generation))

    def _on_study(self, result, generation: int) -> None:
        if result is None or generation != self._generation:
            return  # another study was asked for since
        self.findings = result.findings
        self.report_ids = [report.report_id for report, _found in result.reports]
        self.panel.show_study(result.reports, result.findings)
        if result.problems:
            self.panel.show_message("; ".join(result.problems))
        self.study_shown.emit()

    # The report model.

    def score(self, label: str = "") -> None:
        """Score the report on show with the active report model (in a worker), explaining
        `label` (default: the one picked, else the most probable)."""
        text = self.panel.current_text()
        if not text:
            return
        label = label or self.panel.model.chosen_label()  # kept from report to report
        self._scoring += 1
        asked = self._scoring
        self._start(score_worker(self.root, text, label), lambda r: self._on_scored(r, asked))

    def refresh_model(self, *_args) -> None:
        """A model was trained or made active: score the report on show again."""
        self.score()

    def _on_scored(self, scores, asked: int) -> None:
        if asked != self._scoring:
            return  # another report or label was asked for since
        self.panel.show_scores(scores)
        self.scored.emit(scores)

    # Import.

    def ask_import(self) -> None:
        """Ask for report files and import them."""
        paths, _ = QFileDialog.getOpenFileNames(self.app.shell, "Import reports", "", _FILTER)
        if paths:
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: Sequence[Path]) -> None:
        """Import the reports in `paths` into the workspace (in a worker); a report that
        names no study is linked to the study on show."""
        study = None if self.study.is_empty() else self.study
        self.panel.show_message("Importing reports…")
        self._start(import_worker(self.root, paths, study), self._on_imported)

    def _on_imported(self, result) -> None:
        if result is None:
            return
        lines = [f"{len(result.reports)} report(s) imported", *result.problems]
        self.panel.show_message("\n".join(lines))
        self.app.say(lines[0])
        self.show_study(self.study)
        self.imported.emit(len(result.reports))

    # Tags from reports.

    def accept(self, finding: str, uncertain: str = "ignore") -> bool:
        """Tag the series on show with `finding` as its study's reports state it; False (and
        a message) when there is no series, the finding gives no tag, or the user's own tag is
        there."""
        session = self.app.session
        decided = report_class(self.findings, finding, uncertain)
        if session is None or decided is None:
            why = f"{finding} is not stated positive or negative (uncertain ones: see the choice)"
            self.panel.show_message(f"No tag: {'open a series first' if session is None else why}")
            self.tagged.emit(False)
            return False
        name, classes, found = decided
        done = session.tag_from_report(None, name, classes, tag_origin(found, self.report_ids))
        self.panel.show_message(
            f"Series tagged '{name}' from the report"
            if done
            else "The series tag was set by hand: it stays (clear it to take the report's)"
        )
        self.tagged.emit(done)
        return done

    def tag_all(self, finding: str, uncertain: str = "ignore") -> None:
        """Tag the series on show (through its session) and every other saved series of the
        workspace (in a worker, each saved) with `finding` from their studies' reports."""
        session = self.app.session
        skip = []
        if session is not None:
            skip.append(session.key)
            if report_class(self.findings, finding, uncertain) is not None:
                self.accept(finding, uncertain)
        self.panel.show_message(f"Tagging the workspace's series with {finding}…")
        self._start(tag_worker(self.root, finding, uncertain, skip), self._on_tagged_all)

    def _on_tagged_all(self, run) -> None:
        if run is None:
            return
        self.panel.show_message("\n".join(run.lines()))
        self.app.say(run.lines()[0])
        self.tagged_all.emit(run)

    # Search.

    def search(self, query: str) -> None:
        """Search the workspace's reports (in a worker) and list the hits."""
        self._start(search_worker(self.root, query), self._on_hits)

    def _on_hits(self, hits) -> None:
        if hits is None:
            return
        self.hits = hits
        lines = []
        for hit in hits:
            status = f" [{hit.status}]" if hit.status else ""
            report = hit.report
            name = Path(report.source).name if report.source else report.report_id
            lines.append(f"{name} · {report.study.describe()}{status}: "
                         f"{hit.sentence}")  # fmt: skip
        self.panel.show_hits(lines)
        self.searched.emit()

    def _show_hit(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            report = self.hits[row].report
            if report.study.matches(self.study):
                self.panel.choose_report(report.report_id)
            else:
                self.app.say(f"{report.report_id} belongs to {report.study.describe()}")
