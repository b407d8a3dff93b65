"""Finding a prior: the latest earlier study of the same patient (by patient ID and study date)
among the series scanned, to read beside the current one."""

from __future__ import annotations

from collections.abc import Iterable

from medgui.core.io.scan import Series


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
