"""Finding the prior study of the same patient among the scanned series."""

from __future__ import annotations

from medgui.core.io.priors import find_prior
from medgui.core.io.scan import Series


def _series(uid, patient, study, date, modality="CT", kind="image"):
    return Series(uid=uid, patient_id=patient, study_uid=study, study_date=date,
                  modality=modality, kind=kind)  # fmt: skip


def test_the_latest_earlier_study_of_the_same_patient_same_modality_first():
    current = {"PatientID": "P1", "StudyDate": "20240301", "StudyInstanceUID": "s3",
               "Modality": "CT"}  # fmt: skip
    series = [
        _series("a", "P1", "s1", "20220101"),
        _series("b", "P1", "s2", "20230601", modality="MR"),
        _series("c", "P1", "s2", "20230601"),
        _series("d", "P1", "s3", "20240301"),  # the current study itself
        _series("e", "P2", "s4", "20240101"),  # another patient
        _series("f", "P1", "s5", "20250101"),  # later
        _series("g", "P1", "s6", "20231231", kind="waveform"),
    ]
    assert find_prior(series, current).uid == "c"
    assert find_prior(series[:1], current).uid == "a"
    assert find_prior(series[3:], current) is None
    assert find_prior(series, {**current, "PatientID": ""}) is None
    assert find_prior(series, {**current, "StudyDate": "2024"}) is None
