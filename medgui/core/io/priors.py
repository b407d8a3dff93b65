"""Finding a prior: the latest earlier study of the same patient (by patient ID and study date)
among the series scanned and those the local study index knows from other folders, to read
beside the current one."""

from __future__ import annotations

from collections.abc import Iterable

from medgui.core.io.index import INDEX_ERRORS, ScanIndex
from medgui.core.io.scan import Series, build_series


def _date(text: str) -> str:
    """A DICOM DA (YYYYMMDD) to compare as text; anything else compares as no date."""
    text = (text or "").strip()
    return text if len(text) == 8 and text.isdigit() else ""


def find_prior(series: Iterable[Series], metadata: dict) -> Series | None:
    """The series to compare the image of `metadata` (its PatientID, StudyDate, Modality,
    StudyInstanceUID) with: of the same patient's image series from studies dated before it,
    those of the latest such study, preferring the same modality, then the series with the
    most images. None without a patient ID, a date, or an earlier study."""
    patient = str(metadata.get("PatientID") or "").strip()
    date = _date(str(metadata.get("StudyDate") or ""))
    study = str(metadata.get("StudyInstanceUID") or "")
    if not patient or not date:
        return None
    earlier = [
        s
        for s in series
        if s.kind == "image"
        and s.patient_id.strip() == patient
        and s.study_uid != study
        and "" < _date(s.study_date) < date
    ]
    if not earlier:
        return None
    latest = max(_date(s.study_date) for s in earlier)
    modality = str(metadata.get("Modality") or "")
    return max(
        (s for s in earlier if _date(s.study_date) == latest),
        key=lambda s: (s.modality == modality, s.number_of_images),
    )


def find_prior_indexed(
    series: Iterable[Series], metadata: dict, index: ScanIndex | None
) -> Series | None:
    """`find_prior` among `series` and the series of the same patient in the study `index`
    (imported earlier from any folder). The index is a cache: when it fails, only `series`
    are searched. Reads headers: run it off the GUI thread."""
    series = list(series)
    indexed: list[Series] = []
    patient = str(metadata.get("PatientID") or "")
    if index is not None and patient.strip():
        try:
            headers = index.patient_headers(patient)
        except INDEX_ERRORS:
            headers = []
        known = {s.uid for s in series}
        current = str(metadata.get("SeriesInstanceUID") or "")
        indexed = [s for s in build_series(headers) if s.uid not in known and s.uid != current]
    return find_prior(series + indexed, metadata)
