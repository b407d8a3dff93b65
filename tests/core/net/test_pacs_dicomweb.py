"""DICOMweb against a real Orthanc (its DICOMweb plugin): QIDO-RS, WADO-RS, STOW-RS, errors."""

from __future__ import annotations

import time

import numpy as np
import pydicom
import pytest
from dicom_testing import PYDICOM_DATA, PYDICOM_FILES
from orthanc_testing import (
    ANGIO_SERIES,
    BRAIN_MRA,
    DOE_ID,
    MR_FILES,
    assert_corrupt_pair_handled,
    free_port,
    no_temporaries,
    upload_corrupt_pair,
)

from medgui.core.net.client import client_for
from medgui.core.net.dicomweb import WebClient
from medgui.core.net.landing import Landing
from medgui.core.net.nodes import ArchiveError, parse_address
from medgui.core.net.query import Query


@pytest.fixture
def web(orthanc):
    return client_for(parse_address(orthanc.web_address), "MEDGUI")


def test_a_url_node_gets_the_dicomweb_client(web):
    assert isinstance(web, WebClient)
    assert web.echo() < 1.0


def test_qido_search_with_wildcards_dates_and_modality(web):
    # Orthanc matches "Doe*" only when the * reaches it unencoded (see _ArchiveAdapter).
    doe = web.find_studies(Query(patient_name="Doe*", modality="MR"))
    assert {s.description for s in doe} == {"Brain-MRA", "Brain", "Carotids"}
    assert {s.patient_id for s in doe} == {DOE_ID}
    dated = web.find_studies(Query(date_from="20040101", date_to="20041231"))
    assert {"1CT1", "4MR1"} <= {s.patient_id for s in dated}
    assert DOE_ID not in {s.patient_id for s in dated}
    series = web.find_series(BRAIN_MRA)
    assert [(s.number, s.instances) for s in series] == [(1, 1), (2, 3), (700, 7)]


def test_wado_retrieve_is_pixel_identical_and_streams_progress(web, tmp_path):
    seen = []
    result = web.retrieve(
        BRAIN_MRA,
        Landing(tmp_path),
        series_uid=ANGIO_SERIES,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.complete, result.lines()
    assert seen == [(n, 7) for n in range(1, 8)]
    originals = {str(pydicom.dcmread(p).SOPInstanceUID): p for p in MR_FILES}
    for path in result.files:
        ds = pydicom.dcmread(path)
        original = pydicom.dcmread(originals[str(ds.SOPInstanceUID)])
        assert ds.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
        assert np.array_equal(ds.pixel_array, original.pixel_array)
    assert no_temporaries(tmp_path)


def test_wado_cancel_keeps_whole_files(web, tmp_path):
    landing = Landing(tmp_path)
    result = web.retrieve(
        BRAIN_MRA, landing, series_uid=ANGIO_SERIES, cancelled=lambda: landing.done >= 2
    )
    assert result.cancelled and len(result.files) == 2 and len(result.missing) == 5
    assert no_temporaries(tmp_path)


def test_wado_refuses_a_corrupt_instance_and_keeps_the_rest(web, orthanc, tmp_path):
    study, good, bad = upload_corrupt_pair(orthanc, tmp_path)
    result = web.retrieve(study, Landing(tmp_path / "store"))
    assert_corrupt_pair_handled(result, good, bad, tmp_path / "store")


def test_stow_stores_a_seg_that_the_search_then_finds(web, orthanc):
    seg = pydicom.dcmread(PYDICOM_DATA / "liver.dcm")
    result = web.send([PYDICOM_DATA / "liver.dcm", PYDICOM_FILES / "README.txt"])
    assert [why == "" for _, why in result.outcomes] == [True, False]
    assert orthanc.find_instance(str(seg.SOPInstanceUID))
    assert "SEG" in {s.modality for s in web.find_series(str(seg.StudyInstanceUID))}


def test_http_errors_name_the_node_and_the_status(orthanc, tmp_path):
    wrong_path = client_for(parse_address(f"http://127.0.0.1:{orthanc.http_port}/nope"), "M")
    with pytest.raises(ArchiveError, match=r"/nope: .*HTTP 404"):
        wrong_path.echo()
    down = client_for(parse_address(f"http://127.0.0.1:{free_port()}/dicom-web"), "M")
    start = time.monotonic()
    with pytest.raises(ArchiveError, match="cannot connect"):
        down.find_studies(Query())
    assert time.monotonic() - start < 5
    web = client_for(parse_address(orthanc.web_address), "M")
    with pytest.raises(ArchiveError, match=r"has no study 1\.2\.3\.999"):
        web.retrieve("1.2.3.999", Landing(tmp_path))
