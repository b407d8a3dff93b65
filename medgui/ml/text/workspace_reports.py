"""The report task's labels from a workspace: its imported reports, each labelled with the
findings the extractor reads as positive in it.

Why the extractor's positives and not the user's overrides: the Reports dock keeps no
per-report override. What the user decides lives on series class tags (a hand tag wins over a
report tag), which label images, not text: a study's series may disagree, and tying a tag back
to a report means reading every series' DICOM headers. The report's own positive findings are
the labels its text states (negation and hedges already taken out), which is what a text
classifier can learn. Uncertain findings are not labels (CheXpert's U-Zeros).
"""

from __future__ import annotations

from pathlib import Path

from medgui.core.text.findings import POSITIVE
from medgui.core.workspace.reports import ReportStore
from medgui.ml.text.data import ReportRow

MIN_REPORTS = 5  # fewer cannot give a training and a validation part for two labels


def workspace_rows(root: str | Path) -> tuple[list[ReportRow], list[str]]:
    """Every readable report of the workspace at `root` with its positive findings as labels,
    and a line per report file that could not be read. ValueError naming the workspace when it
    holds fewer than `MIN_REPORTS` reports."""
    store = ReportStore(root)
    reports, problems = store.load()
    if len(reports) < MIN_REPORTS:
        raise ValueError(
            f"{root}: {len(reports)} report(s) imported; the report classifier needs at least "
            f"{MIN_REPORTS} (File → Import reports…)"
        )
    rows = []
    for number, report in enumerate(reports, start=1):
        found = store.findings(report)
        labels = tuple(f.finding for f in found if f.status == POSITIVE)
        rows.append(ReportRow(report.report_id, report.text, labels, number))
    return rows, problems
