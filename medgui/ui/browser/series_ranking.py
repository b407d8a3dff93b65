"""Active learning across series: "Next most uncertain series" ranks the unlabelled series of
the scan on show (the series browser's list) by the active model's uncertainty and opens the
most uncertain one not opened this way yet, through the window's normal load path."""

from __future__ import annotations

from PySide6.QtCore import QObject

from medgui.workers.infer_worker import uncertain_series_worker


def scanned_candidates(app) -> list:
    """The image series the scan on show lists (whole series, not their parts); `app` is the
    `AppContext` (or anything with the `scan` on show)."""
    scan = app.scan
    if scan is None:
        return []
    images = scan.image_series
    return [s for s in images if "#part" not in s.uid] or list(images)


class SeriesRanking(QObject):
    """Runs the series ranking as `workbench`'s job and opens the top-ranked series through
    `app` (the `AppContext`)."""

    def __init__(self, workbench, app, model_name: str) -> None:
        super().__init__(workbench)
        self.workbench, self.app, self.model_name = workbench, app, model_name
        self.ranking: list = []  # [(series, nats), ...] of the last run, most uncertain first
        self.opened: set[str] = set()  # uids already opened by "Next most uncertain series"

    def start(self) -> None:
        workbench = self.workbench
        candidates = scanned_candidates(self.app)
        if workbench.job is not None:
            return
        if not candidates:
            self.app.say("Next most uncertain series: open a folder of series first")
            return
        worker = uncertain_series_worker(workbench.workspace_root, candidates, self.model_name)
        workbench.start_job(worker, "Ranking unlabelled series by uncertainty…", self._on_ranked)

    def _on_ranked(self, ranking) -> None:
        workbench = self.workbench
        if ranking is None:
            workbench.model_panel.status.setText("Cancelled")
            return
        self.ranking = list(ranking)
        if not ranking:
            workbench.model_panel.status.setText("No unlabelled series left in this scan")
            return
        choice = next((pair for pair in ranking if _uid(pair[0]) not in self.opened), None)
        if choice is None:  # all shown once: start over
            self.opened.clear()
            choice = ranking[0]
        series, nats = choice
        self.opened.add(_uid(series))
        workbench.model_panel.status.setText(
            f"Most uncertain unlabelled series: mean entropy {nats:.3f} nats "
            f"({len(ranking)} unlabelled)"
        )
        self.app.open_series(series)


def _uid(series) -> str:
    return str(getattr(series, "uid", series))
