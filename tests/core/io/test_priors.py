"""Finding the prior study of the same patient among the scanned series."""

from __future__ import annotations

import os

import numpy as np

from medgui.core import Volume
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.io.index import ScanIndex
from medgui.core.io.priors import find_prior, find_prior_indexed
from medgui.core.io.scan import Series, scan


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


def test_a_prior_from_another_folder_is_found_in_the_study_index(tmp_path):
    index = ScanIndex(tmp_path / "index.sqlite")
    volume = Volume(np.zeros((3, 8, 8), np.int16), metadata={"Modality": "CT"})
    for folder, patient, date in (
        ("2021", "P1", "20210505"),
        ("2023", "P1", "20230303"),
        ("other", "P2", "20220202"),  # another patient, in between
        ("now", "P1", "20240404"),
    ):
        info = SeriesInfo(patient_id=patient, study_date=date, series_description=folder)
        write_dicom_series(volume, tmp_path / folder, info=info)
        scan(tmp_path / folder, index=index)
    current = scan(tmp_path / "now", index=index).series
    metadata = {"PatientID": "P1", "StudyDate": "20240404", "Modality": "CT",
                "StudyInstanceUID": current[0].study_uid,
                "SeriesInstanceUID": current[0].uid}  # fmt: skip
    assert find_prior(current, metadata) is None  # the folder opened holds no prior
    prior = find_prior_indexed(current, metadata, index)
    assert prior.description == "2023" and prior.study_date == "20230303"
    assert find_prior_indexed(current, {**metadata, "PatientID": "P3"}, index) is None
    # A file gone since it was indexed is not offered.
    for path in prior.files:
        os.remove(path)
    assert find_prior_indexed(current, metadata, index).description == "2021"
