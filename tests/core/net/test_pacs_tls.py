"""TLS: DICOM over TLS against an Orthanc that speaks only TLS, and DICOMweb over HTTPS through
a TLS front to it; the server's certificate verified (a test CA made with openssl)."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from dicom_testing import PYDICOM_FILES
from orthanc_testing import OUR_AET, TlsFiles, https_front, require_orthanc, running_orthanc

from medgui.core.net.client import client_for
from medgui.core.net.landing import Landing
from medgui.core.net.nodes import ArchiveError, parse_address
from medgui.core.net.query import Query

CT = PYDICOM_FILES / "CT_small.dcm"


@pytest.fixture(scope="module")
def tls_orthanc(tmp_path_factory):
    require_orthanc()
    root = tmp_path_factory.mktemp("orthanc-tls")
    tls = TlsFiles.make(root)
    with running_orthanc(root, tls=tls, files=[CT]) as server, https_front(server, tls) as url:
        server.https_address = url
        yield server


def _address(server, kind: str) -> str:
    return server.dimse_address if kind == "dimse" else server.https_address


@pytest.mark.parametrize("kind", ["dimse", "web"])
def test_tls_with_the_archive_s_ca_finds_and_retrieves(tls_orthanc, kind, tmp_path):
    node = replace(parse_address(_address(tls_orthanc, kind)), ca_file=str(tls_orthanc.tls.ca))
    assert node.tls or node.url.startswith("https://")
    client = client_for(node, OUR_AET)
    (study,) = client.find_studies(Query(patient_id="1CT1"))
    result = client.retrieve(study.uid, Landing(tmp_path))
    assert result.complete and len(result.files) == 1


@pytest.mark.parametrize("kind", ["dimse", "web"])
def test_an_untrusted_certificate_is_refused_and_said_so(tls_orthanc, kind):
    # No CA file: the system's certificates, which do not include the test CA.
    client = client_for(parse_address(_address(tls_orthanc, kind)), OUR_AET)
    with pytest.raises(ArchiveError, match="certificate verify failed|certificate was not"):
        client.echo()


def test_plain_dicom_to_a_tls_port_fails_clearly(tls_orthanc):
    plain = tls_orthanc.dimse_address.replace("dicoms://", "dicom://")
    with pytest.raises(ArchiveError, match=r"127\.0\.0\.1"):
        client_for(parse_address(plain), OUR_AET).echo()


@pytest.mark.parametrize(
    ("auth", "header"),
    [("bearer", "Bearer token-1"), ("basic", "Basic " + base64.b64encode(b"ann:token-1").decode())],
)
def test_dicomweb_login_is_sent_and_a_refusal_named(tls_orthanc, auth, header, monkeypatch):
    with https_front(tls_orthanc, tls_orthanc.tls, authorization=header) as url:
        node = replace(parse_address(url), ca_file=str(tls_orthanc.tls.ca), auth=auth,
                       username="ann")  # fmt: skip
        with pytest.raises(ArchiveError, match="HTTP 401"):
            client_for(node, OUR_AET).echo()  # no secret
        monkeypatch.setenv("MEDGUI_PACS_SECRET", "token-1")
        (study,) = client_for(node.with_secret(), OUR_AET).find_studies(Query(patient_id="1CT1"))
        assert study.patient_id == "1CT1"
