"""The exports of the Export dialog and the `medgui sr` / `medgui deid` commands, each recorded
in the workspace's audit log: label maps as DICOM SEG, measurements and per-segment statistics
as DICOM SR, and a de-identified copy of a study (with its mapping file kept up to date)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from medgui.core.audit import AuditLog
from medgui.core.deid import DeidOptions
from medgui.core.deid_export import DeidSummary, deidentify_files, deidentify_folder
from medgui.core.deid_mapping import PseudonymMap
from medgui.core.dicom_seg import export_seg
from medgui.core.dicom_sr import export_sr
from medgui.core.label_stats import label_statistics
from medgui.core.labelmap import LabelMap
from medgui.core.measurements import Measurement, measurement_from_dict
from medgui.core.volume import Volume
from medgui.core.workspace import SeriesWork

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeriesExport:
    """Where to write one series' SEG and SR (None: not wanted)."""

    seg_path: Path | None = None
    sr_path: Path | None = None


def work_measurements(work: SeriesWork | None) -> list[Measurement]:
    """The measurements saved with a series (none without saved work)."""
    return [measurement_from_dict(item) for item in (work.measurements if work else [])]


def has_labels(labelmap: LabelMap | None) -> bool:
    """Whether `labelmap` exists and holds any labelled voxel."""
    return labelmap is not None and any(layer.any() for layer in labelmap.layers)


def export_series(
    volume: Volume,
    labelmap: LabelMap | None,
    measurements: Sequence[Measurement],
    targets: SeriesExport,
    audit: AuditLog,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the SEG (the label map) and/or the SR (measurements, plus per-segment statistics
    when a SEG is written with it) of one series; returns the files written."""
    series = str(volume.metadata.get("SeriesInstanceUID") or "")
    written: list[Path] = []
    steps = (targets.seg_path is not None) + (targets.sr_path is not None)
    if progress:
        progress(0, steps)
    seg = None
    if targets.seg_path is not None:
        if not has_labels(labelmap):
            raise ValueError(f"{targets.seg_path}: the series has no labels to export")
        seg = export_seg(labelmap, volume, targets.seg_path)
        audit.record("seg_exported", path=seg, series=series)
        written.append(seg)
        if progress:
            progress(1, steps)
    if targets.sr_path is not None:
        stats = label_statistics(labelmap, volume) if seg is not None else []
        sr = export_sr(volume, measurements, stats, seg, targets.sr_path)
        audit.record("sr_exported", path=sr, series=series, seg=seg, measurements=len(measurements))
        written.append(sr)
    if progress:
        progress(steps, steps)
    return written


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
    pseudonyms = PseudonymMap.load(mapping_path) if mapping_path else PseudonymMap()
    if isinstance(source, str | Path):
        summary = deidentify_folder(source, out, options, pseudonyms, progress=progress)
        where = str(source)
    else:
        summary = deidentify_files(source, out, options, pseudonyms, progress=progress)
        where = f"{len(source)} file(s)"
    if mapping_path:
        pseudonyms.save(mapping_path)
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
    return summary
