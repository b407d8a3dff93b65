"""The patient columns of a case: age at the study, sex and weight, from a series' DICOM header.

Age is the header's PatientAge (0010,1010: "045Y", "006M", "012W", "003D") when present, since
a de-identified study keeps it while dropping the birth date; otherwise the whole years between
PatientBirthDate and StudyDate. Weight is PatientWeight (0010,1030, kg). Missing values stay
missing (NaN): the model imputes them with an indicator, a made-up number would mislead it.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

import pydicom

from medgui.core.dicom.instance import InstanceHeader
from medgui.core.dicom.values import as_text, first_float

_AGE = re.compile(r"(\d{1,3})([DWMY])")
_UNIT_YEARS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


def _date(text: str) -> _dt.date | None:
    try:
        return _dt.datetime.strptime(text.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return None


def age_years(patient_age: str, birth_date: str, study_date: str) -> float:
    """Age at the study in years (see the module docstring); NaN when neither gives it."""
    match = _AGE.fullmatch(patient_age.strip().upper())
    if match:
        return int(match.group(1)) * _UNIT_YEARS[match.group(2)]
    born, seen = _date(birth_date), _date(study_date)
    if born is None or seen is None or seen < born:
        return math.nan
    return float(seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day)))


def patient_columns(header: InstanceHeader | None) -> dict[str, object]:
    """``age_years``, ``sex`` (M, F, O or empty) and ``weight_kg`` of the patient of the file
    `header` describes (all missing for a file with no DICOM header, such as NIfTI)."""
    if header is None:
        return {"age_years": math.nan, "sex": "", "weight_kg": math.nan}
    try:
        extra = pydicom.dcmread(
            header.path, stop_before_pixels=True, specific_tags=["PatientAge", "PatientWeight"]
        )
    except (OSError, ValueError, pydicom.errors.InvalidDicomError):
        extra = pydicom.Dataset()  # the header's own fields still give age and sex
    weight = first_float(extra.get("PatientWeight"))
    return {
        "age_years": age_years(
            as_text(extra.get("PatientAge")), header.patient_birth_date, header.study_date
        ),
        "sex": header.patient_sex.strip().upper(),
        "weight_kg": weight if weight and weight > 0 else math.nan,
    }
