"""The Export dialog's work off the GUI thread: DICOM SEG and SR of the series on show, and a
verified de-identified copy of its study (with the SEG and SR just written, so that their
references resolve in the copy); all of them or, on a failure, none.

`export_worker` is a `ProgressWorker`: `progressed(done, total)` per step or file (each is a
cancel point), `returned(ExportResult)`, `errored(exception)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from medgui.core.annotations.measurements import Measurement
from medgui.core.deid.clean import DeidOptions
from medgui.core.deid.export import DeidSummary
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.text.report import StudyRef
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.export import DeidCopy, SeriesExport, export_series
from medgui.core.workspace.reports import ReportStore
from medgui.workers.load_worker import ProgressWorker

SEG_NAME, SR_NAME, DEID_FOLDER = "labels_seg.dcm", "measurements_sr.dcm", "deidentified"


@dataclass(frozen=True)
class ExportRequest:
    """What to export, from what (data nobody changes while the worker runs), and where."""

    out_dir: Path
    volume: Volume
    labelmap: LabelMap | None
    measurements: list[Measurement]
    workspace_root: Path
    seg: bool = False
    sr: bool = False
    deid: bool = False
    deid_options: DeidOptions = field(default_factory=DeidOptions)
    study_files: list[Path] = field(default_factory=list)
    mapping_path: Path | None = None


@dataclass(frozen=True)
class ExportResult:
    """The files written and, for a de-identified copy, its summary."""

    written: list[Path]
    deid: DeidSummary | None = None
    deid_dir: Path | None = None

    def lines(self) -> list[str]:
        """The result as text lines for the dialog."""
        out = [f"written: {path}" for path in self.written]
        if self.deid is not None:
            out += [f"de-identified copy in {self.deid_dir}:", *self.deid.lines()]
        return out


def run_export(request: ExportRequest, progress=None) -> ExportResult:
    """Do the exports of `request`, SEG, SR and de-identified copy, all or nothing (see
    `core.dicom_export`)."""
    if not (request.seg or request.sr or request.deid):
        raise ValueError("nothing to export: choose SEG, SR or a de-identified copy")
    request.out_dir.mkdir(parents=True, exist_ok=True)
    targets = SeriesExport(
        request.out_dir / SEG_NAME if request.seg else None,
        request.out_dir / SR_NAME if request.sr else None,
    )
    deid_dir = request.out_dir / DEID_FOLDER
    deid = None
    if request.deid:
        study = StudyRef.from_metadata(request.volume.metadata)
        reports = ReportStore(request.workspace_root).for_study(study)
        deid = DeidCopy(
            deid_dir, list(request.study_files), request.deid_options, request.mapping_path, reports
        )
    written, summary = export_series(
        request.volume,
        request.labelmap,
        request.measurements,
        targets,
        AuditLog(request.workspace_root),
        progress,
        deid,
    )
    return ExportResult(written, summary, deid_dir if request.deid else None)


def export_worker(request: ExportRequest) -> ProgressWorker:
    """An unstarted worker running `run_export`; `returned(ExportResult)`."""
    return ProgressWorker(run_export, request)
