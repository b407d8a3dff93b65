"""The exports of the Export dialog and the `medgui sr` / `medgui deid` commands, each recorded
in the workspace's audit log: label maps as DICOM SEG, measurements and per-segment statistics
as DICOM SR, and a de-identified copy of a study (with its mapping file kept up to date) and
of its reports' text (``reports/report-N.txt`` in the copy: identifiers replaced, verified).

An export is all or nothing: its outputs are written under hidden temporary names beside their
destinations and moved into place once every one of them is written, so a failure or a cancel
leaves none behind. The audit log records the outputs once they are in place, and a failure as
"export_failed" with its reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medgui.core.annotations.measurements import Measurement, measurement_from_dict
from medgui.core.annotations.sr import export_sr
from medgui.core.deid.clean import DeidOptions
from medgui.core.deid.export import DeidSummary, deidentify_files, deidentify_folder
from medgui.core.deid.mapping import PseudonymMap
from medgui.core.deid.text import KnownIdentifiers, scrub_text, text_phi
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.seg import export_seg
from medgui.core.labels.stats import label_statistics
from medgui.core.text.report import ReportText
from medgui.core.util.atomic import atomic_write_text, fsync_directory, temporary_path_for
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.store import SeriesWork

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeriesExport:
    """Where to write one series' SEG and SR (None: not wanted)."""

    seg_path: Path | None = None
    sr_path: Path | None = None


@dataclass(frozen=True)
class DeidCopy:
    """A de-identified copy, in the new or empty folder `out`, of the study's `files` and of
    the SEG and SR written with it (so that their references resolve in the copy), and of the
    study's `reports` (their text)."""

    out: Path
    files: list[Path] = field(default_factory=list)
    options: DeidOptions = field(default_factory=DeidOptions)
    mapping_path: Path | None = None
    reports: list[ReportText] = field(default_factory=list)


def work_measurements(work: SeriesWork | None) -> list[Measurement]:
    """The measurements saved with a series (none without saved work)."""
    return [measurement_from_dict(item) for item in (work.measurements if work else [])]


def has_labels(labelmap: LabelMap | None) -> bool:
    """Whether `labelmap` exists and holds any labelled voxel."""
    return labelmap is not None and any(layer.any() for layer in labelmap.layers)


class _Staging:
    """Outputs written under temporary names beside their destinations (`stage`), then moved
    into place together (`commit`) or all removed (`discard`)."""

    def __init__(self) -> None:
        self.moves: list[tuple[Path, Path]] = []

    def stage(self, final: Path) -> Path:
        """The temporary name to write `final` at; ValueError when its folder is missing."""
        final = Path(final)
        if not final.parent.is_dir():
            raise ValueError(f"{final}: the folder {final.parent} does not exist")
        temporary = temporary_path_for(final)
        self.moves.append((temporary, final))
        return temporary

    def final(self, temporary: Path) -> Path:
        return dict(self.moves)[temporary]

    def commit(self) -> None:
        for temporary, final in self.moves:
            os.replace(temporary, final)  # a folder replaces only a missing or empty one
        for folder in {final.parent for _, final in self.moves}:
            fsync_directory(folder)

    def discard(self) -> None:
        for temporary, _ in self.moves:
            if temporary.is_dir():
                shutil.rmtree(temporary, ignore_errors=True)
            else:
                temporary.unlink(missing_ok=True)

    def reason(self, error: Exception) -> str:
        """The error's text naming the destinations, never the temporary names."""
        if isinstance(error, OSError) and error.strerror:
            named = {str(t): f for t, f in self.moves}.get(str(error.filename))
            where = named or (self.moves[-1][1] if self.moves else error.filename)
            return f"{where}: cannot write it ({error.strerror})"
        text = str(error)
        for temporary, final in self.moves:
            text = text.replace(str(temporary), str(final))
        return text


def _record_failure(audit: AuditLog, error: Exception, outputs: list[str]) -> None:
    # The log may sit on the same full disk: the error raised still says what happened.
    with contextlib.suppress(OSError):
        audit.record_failure("export_failed", error, outputs=outputs)


def _check_deid_folder(out: Path) -> None:
    """Refuse a copy's folder before anything is written (as `deidentify_files` would)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out}: the output folder must be new or empty")
    if not out.parent.is_dir():
        raise ValueError(f"{out}: the folder {out.parent} does not exist")


def export_series(
    volume: Volume,
    labelmap: LabelMap | None,
    measurements: Sequence[Measurement],
    targets: SeriesExport,
    audit: AuditLog,
    progress: Progress | None = None,
    deid: DeidCopy | None = None,
) -> tuple[list[Path], DeidSummary | None]:
    """Write the SEG (the label map) and/or the SR (measurements, plus per-segment statistics
    when a SEG is written with it) of one series, and the de-identified copy `deid`, all or
    nothing (see the module). Returns the SEG and SR files written and the copy's summary.
    ValueError naming the destination and the reason when anything fails."""
    staging, cancelled = _Staging(), []

    def report(done: int, total: int) -> None:
        try:
            progress(done, total)
        except BaseException:
            cancelled.append(True)  # `progress` raises to cancel: that is no failure
            raise

    try:
        step = report if progress else None
        seg, sr, summary = _write(volume, labelmap, measurements, targets, staging, deid, step)
        staging.commit()
    except BaseException as error:
        staging.discard()
        if cancelled or not isinstance(error, Exception):
            raise
        wanted = (targets.seg_path, targets.sr_path, deid.out if deid is not None else None)
        outputs = [str(path) for path in wanted if path is not None]
        _record_failure(audit, error, outputs)
        reason = staging.reason(error)
        if reason == str(error):
            raise
        raise ValueError(reason) from error
    series = str(volume.metadata.get("SeriesInstanceUID") or "")
    seg_path = staging.final(seg) if seg is not None else None
    written = []
    if seg_path is not None:
        audit.record("seg_exported", path=seg_path, series=series)
        written.append(seg_path)
    if sr is not None:
        sr_path = staging.final(sr)
        audit.record(
            "sr_exported", path=sr_path, series=series, seg=seg_path, measurements=len(measurements)
        )
        written.append(sr_path)
    if deid is not None:
        where = f"{len(deid.files) + len(written)} file(s)"
        _record_deid(audit, deid.out, where, deid.options, summary)
    return written, summary


def _write(volume, labelmap, measurements, targets, staging, deid, progress):
    """(SEG, SR, de-identified copy's summary) written under `staging`'s temporary names."""
    steps = (targets.seg_path is not None) + (targets.sr_path is not None)
    for path in (targets.sr_path, targets.seg_path):  # refused before anything is written
        if path is not None and not Path(path).parent.is_dir():
            raise ValueError(f"{path}: the folder {Path(path).parent} does not exist")
    if deid is not None:
        _check_deid_folder(deid.out)
    if progress:
        progress(0, steps)
    seg = sr = summary = None
    if targets.seg_path is not None:
        if not has_labels(labelmap):
            raise ValueError(f"{targets.seg_path}: the series has no labels to export")
        seg = staging.stage(targets.seg_path)
        export_seg(labelmap, volume, seg)
        if progress:
            progress(1, steps)
    if targets.sr_path is not None:
        stats = label_statistics(labelmap, volume) if seg is not None else []
        sr = staging.stage(targets.sr_path)
        export_sr(volume, measurements, stats, seg, sr)
    if progress:
        progress(steps, steps)
    if deid is not None:
        files = [*deid.files, *(p for p in (seg, sr) if p is not None)]
        if not files:
            raise ValueError("the series on show has no DICOM files to de-identify")
        out = staging.stage(deid.out)
        summary = _deidentify(files, out, deid.options, deid.mapping_path, progress)
        known = KnownIdentifiers.from_metadata(volume.metadata)
        written = write_deidentified_reports(deid.reports, out / "reports", known)
        summary.reports = [deid.out / path.relative_to(out) for path in written]  # once in place
    return seg, sr, summary


def write_deidentified_reports(
    reports: Sequence[ReportText], folder: Path, known: KnownIdentifiers
) -> list[Path]:
    """Each report's text with identifiers replaced (`scrub_text`: the patient's own from
    `known` and the report, and by pattern) as ``folder/report-N.txt``; the files in the
    order of `reports`. ValueError, before anything is written, when a text still holds one."""
    texts = []
    for report in reports:
        own = KnownIdentifiers(
            " ".join(n for n in (known.name, report.patient_name) if n),
            (*known.ids, *(v for v in (report.study.patient_id, report.study.accession) if v)),
            (*known.dates, *((report.study.study_date,) if report.study.study_date else ())),
        )
        text = scrub_text(report.text, own)
        left = text_phi(text, own)
        if left:
            raise ValueError(
                f"report {report.report_id}: its de-identified text still holds {left}"
            )
        texts.append(text)
    if texts:
        folder.mkdir(parents=True, exist_ok=True)
    return [atomic_write_text(folder / f"report-{n}.txt", text) for n, text in enumerate(texts, 1)]


def _deidentify(source, out, options, mapping_path, progress) -> DeidSummary:
    pseudonyms = PseudonymMap.load(mapping_path) if mapping_path else PseudonymMap()
    if isinstance(source, str | Path):
        summary = deidentify_folder(source, out, options, pseudonyms, progress=progress)
    else:
        summary = deidentify_files(source, out, options, pseudonyms, progress=progress)
    if mapping_path:
        pseudonyms.save(mapping_path)
    return summary


def _record_deid(audit: AuditLog, out: Path, where: str, options: DeidOptions, summary) -> None:
    audit.record(
        "deid_exported",
        path=Path(out),
        source=where,
        files=len(summary.written),
        series=len(summary.series_uids),
        burned_in=len(summary.burned_in),
        errors=len(summary.errors),
        keep_dates_shifted=options.keep_dates_shifted,
        keep_patient_characteristics=options.keep_patient_characteristics,
    )


def export_deidentified(
    source: str | Path | Sequence[Path],
    out: str | Path,
    options: DeidOptions,
    audit: AuditLog,
    mapping_path: str | Path | None = None,
    progress: Progress | None = None,
) -> DeidSummary:
    """A verified de-identified copy of `source` (a folder, or a list of files) in `out` (see
    `deid_export`). With `mapping_path`, pseudonyms come from that CSV when it exists, and the
    patients this export added are written back to it atomically after a successful export."""
    where = str(source) if isinstance(source, str | Path) else f"{len(source)} file(s)"
    try:
        summary = _deidentify(source, out, options, mapping_path, progress)
    except Exception as error:
        _record_failure(audit, error, [str(out)])
        raise
    _record_deid(audit, Path(out), where, options, summary)
    return summary
