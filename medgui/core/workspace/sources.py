"""Where a saved series' images are: what to load for a `SeriesWork` (the classification
trainer and the case table both read a series' pixels from the files the save records)."""

from __future__ import annotations

from pathlib import Path

from medgui.core.io.itk import is_itk_file
from medgui.core.io.scan import Series, scan
from medgui.core.workspace.store import SeriesWork


def find_series(work: SeriesWork) -> Series | str:
    """What to load for a saved series: its NIfTI/NRRD/MHA file, or the scanned DICOM series
    with its UID in one of its source folders. ValueError when it is not found."""
    for source in map(Path, work.source_paths):
        if source.is_file() and is_itk_file(source):
            return str(source)
        if not source.exists():
            continue
        series = [s for s in scan(source).image_series if s.uid in (work.uid, work.key)]
        if series:
            return series[0]
    raise ValueError(
        f"series {work.description or work.key}: its images are not found in "
        f"{work.source_paths or 'any recorded folder'}"
    )
