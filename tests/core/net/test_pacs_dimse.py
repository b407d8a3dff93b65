"""DIMSE against a real Orthanc: echo, find at each level, C-GET, C-MOVE, C-STORE and errors."""

from __future__ import annotations

import logging
import socket
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
    OTHER_FILES,
    OUR_AET,
    assert_corrupt_pair_handled,
    free_port,
    no_temporaries,
    upload_corrupt_pair,
)

from medgui.core.io.scan import scan
from medgui.core.net.dimse import DimseClient
from medgui.core.net.landing import Landing
from medgui.core.net.nodes import ArchiveError, parse_address
from medgui.core.net.query import Query
from medgui.core.net.scp import StorageListener


@pytest.fixture
def client(orthanc):
    return DimseClient(parse_address(orthanc.dimse_address), OUR_AET)


def _by_sop(paths) -> dict[str, pydicom.Dataset]:
    out = {}
    for path in paths:
        ds = pydicom.dcmread(path)
        out[str(ds.SOPInstanceUID)] = ds
    return out


ORIGINALS = _by_sop(MR_FILES + OTHER_FILES)


def assert_pixel_identical(files) -> None:
    """Every retrieved file is a Part 10 file with the original's pixels, bit for bit."""
    assert files
    for path in files:
        ds = pydicom.dcmread(path)  # no force: a proper Part 10 file with its meta header
        original = ORIGINALS[str(ds.SOPInstanceUID)]
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert np.array_equal(ds.pixel_array, original.pixel_array), path


def test_echo_answers_in_well_under_a_second(client):
    assert client.echo() < 1.0


def test_find_studies_by_name_wildcard_date_range_modality_and_accession(client):
    doe = client.find_studies(Query(patient_name="Doe*"))
    assert {s.patient_id for s in doe} == {DOE_ID}
    assert {s.description for s in doe} == {"Brain-MRA", "Brain", "Carotids"}
    by_date = client.find_studies(Query(date_from="20040101", date_to="20041231"))
    # (Other tests add studies of their own to the shared archive: a subset, and not Doe's.)
    assert {"1CT1", "4MR1", "5MR2"} <= {s.patient_id for s in by_date}
    assert DOE_ID not in {s.patient_id for s in by_date}
    ct = client.find_studies(Query(modality="CT"))
    assert [s.patient_id for s in ct] == ["1CT1"]
    (mra,) = client.find_studies(Query(patient_id=DOE_ID, accession="2"))
    assert (mra.uid, mra.series_count, mra.instances) == (BRAIN_MRA, 3, 11)


def test_find_patients_and_series(client):
    patients = client.find_patients(Query(patient_id=DOE_ID))
    assert [str(p.PatientName) for p in patients] == ["Doe^Peter"]
    series = client.find_series(BRAIN_MRA)
    assert [(s.number, s.instances) for s in series] == [(1, 1), (2, 3), (700, 7)]
    assert series[2].uid == ANGIO_SERIES and series[2].modality == "MR"


def test_c_get_retrieves_a_study_pixel_identical_into_the_study_index(client, tmp_path):
    seen = []
    result = client.retrieve(
        BRAIN_MRA, Landing(tmp_path), progress=lambda done, total: seen.append((done, total))
    )
    assert result.complete, result.lines()
    assert len(result.files) == result.new_files == 11
    assert seen[-1] == (11, 11) and len(seen) == 11  # one step per instance
    assert_pixel_identical(result.files)
    assert no_temporaries(tmp_path)
    # The local store is a folder that scan reads (and indexes) as it reads the originals.
    found, original = scan(tmp_path / BRAIN_MRA), scan(MR_FILES[0].parent.parent)
    kept = {(s.uid, s.number_of_images) for s in original.series if s.study_uid == BRAIN_MRA}
    assert {(s.uid, s.number_of_images) for s in found.series} == kept
    assert not found.errors
    # Again: nothing is fetched twice (de-duplicated by SOP Instance UID).
    again = client.retrieve(BRAIN_MRA, Landing(tmp_path))
    assert again.complete and again.new_files == 0 and len(again.files) == 11


def test_c_move_retrieves_one_series_through_our_storage_scp(client, orthanc, tmp_path):
    opened = []
    result = client.retrieve(
        BRAIN_MRA,
        Landing(tmp_path),
        series_uid=ANGIO_SERIES,
        method="move",
        listener_port=orthanc.move_port,
        series_done=opened.append,
    )
    assert result.complete, result.lines()
    assert len(result.files) == 7
    assert opened == [tmp_path / BRAIN_MRA / ANGIO_SERIES]
    assert_pixel_identical(result.files)


def test_multiframe_enhanced_mr_comes_back_whole(client, tmp_path):
    uid = str(pydicom.dcmread(PYDICOM_DATA / "emri_small.dcm").StudyInstanceUID)
    result = client.retrieve(uid, Landing(tmp_path))
    assert result.complete and len(result.files) == 1
    assert_pixel_identical(result.files)


def test_send_a_seg_and_find_it_in_the_archive(client, orthanc):
    seg = PYDICOM_DATA / "liver.dcm"  # a real DICOM SEG
    ds = pydicom.dcmread(seg)
    result = client.send([seg, PYDICOM_FILES / "README.txt"])
    assert result.sent == 1 and len(result.failed) == 1
    assert "README.txt" in result.failed[0][0] and "not a readable DICOM" in result.failed[0][1]
    assert orthanc.find_instance(str(ds.SOPInstanceUID))
    series = client.find_series(str(ds.StudyInstanceUID))
    assert "SEG" in {s.modality for s in series}


def test_a_node_that_is_down_is_named_within_five_seconds(orthanc):
    node = parse_address(f"dicom://ORTHANC@127.0.0.1:{free_port()}")
    start = time.monotonic()
    with pytest.raises(
        ArchiveError, match=r"127\.0\.0\.1:\d+: cannot connect \(Connection refused"
    ):
        DimseClient(node, OUR_AET).echo()
    assert time.monotonic() - start < 5


def test_a_node_that_accepts_but_never_answers_is_named_within_five_seconds():
    """A hung archive: the TCP connection opens (the socket listens) but nothing answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        node = parse_address(f"dicom://HUNG@127.0.0.1:{silent.getsockname()[1]}")
        start = time.monotonic()
        with pytest.raises(ArchiveError, match="no answer to the association request within 5 s"):
            DimseClient(node, OUR_AET).echo()
        assert time.monotonic() - start < 6


def test_a_wrong_called_ae_title_is_rejected_and_said_so(orthanc):
    node = parse_address(f"dicom://NOT_ORTHANC@127.0.0.1:{orthanc.dicom_port}")
    with pytest.raises(ArchiveError, match=r"rejected .*Called AE title not recognised"):
        DimseClient(node, OUR_AET).find_studies(Query())


def test_a_calling_ae_title_the_archive_does_not_know_is_suspected(orthanc):
    stranger = DimseClient(parse_address(orthanc.dimse_address), "STRANGER")
    with pytest.raises(ArchiveError, match="does it accept our AE title 'STRANGER'"):
        stranger.find_studies(Query())


def test_an_unknown_study_is_named(client, tmp_path):
    with pytest.raises(ArchiveError, match=r"has no study 1\.2\.3\.999"):
        client.retrieve("1.2.3.999", Landing(tmp_path))


def test_cancel_halfway_keeps_whole_files_and_names_the_missing(client, tmp_path):
    landing = Landing(tmp_path)
    result = client.retrieve(
        BRAIN_MRA, landing, series_uid=ANGIO_SERIES, cancelled=lambda: landing.done >= 3
    )
    assert result.cancelled and not result.complete
    assert 3 <= len(result.files) < 7
    assert len(result.missing) == 7 - len(result.files)
    assert any("missing" in line for line in result.lines())
    assert_pixel_identical(result.files)  # what arrived is whole
    on_disk = list((tmp_path / BRAIN_MRA / ANGIO_SERIES).iterdir())
    assert sorted(on_disk) == sorted(result.files) and no_temporaries(tmp_path)


def test_a_corrupt_instance_is_refused_and_the_rest_kept(client, orthanc, tmp_path):
    study, good, bad = upload_corrupt_pair(orthanc, tmp_path)
    result = client.retrieve(study, Landing(tmp_path / "store"))
    assert_corrupt_pair_handled(result, good, bad, tmp_path / "store")


def test_a_corrupt_instance_over_c_move_is_refused_to_the_sender(client, orthanc, tmp_path):
    """Our storage SCP answers the corrupt instance with a failure status (never a false
    success); Orthanc then ends the whole C-MOVE, and the result says both."""
    study, good, bad = upload_corrupt_pair(orthanc, tmp_path)
    landing = Landing(tmp_path / "store")
    result = client.retrieve(study, landing, method="move", listener_port=orthanc.move_port)
    assert not result.complete and "truncated pixel data" in result.rejected[bad]
    assert "C-MOVE failed" in result.error
    assert bad in result.missing and {p.stem for p in result.files} <= {good}
    assert no_temporaries(tmp_path / "store")


def test_our_storage_scp_receives_what_is_sent_to_it(tmp_path):
    landing = Landing(tmp_path)
    with StorageListener(landing, "LISTENER", 0) as listener:
        node = parse_address(f"dicom://LISTENER@127.0.0.1:{listener.port}")
        sent = DimseClient(node, OUR_AET).send(MR_FILES[:3])
    assert sent.sent == 3
    assert_pixel_identical(landing.written)


def test_no_patient_data_reaches_the_logs(client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    client.find_studies(Query(patient_id=DOE_ID))
    client.retrieve(BRAIN_MRA, Landing(tmp_path), series_uid=ANGIO_SERIES)
    assert DOE_ID not in caplog.text and "Doe^Peter" not in caplog.text
