"""A real archive for the PACS tests: Orthanc (with its DICOMweb plugin) on free local ports.

The session fixture `orthanc` writes a configuration in a temporary folder (its own storage and
index, HTTP and DICOM ports that were free, remote access and authentication off, our storage
SCP registered as the C-MOVE destination), starts the server, waits until both its REST API and
C-ECHO answer, uploads real test series through the REST API (independent of the code under
test) and stops it at the end. CI installs it (`.ci/run`: orthanc, orthanc-dicomweb); where it
is missing the tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pydicom
import pytest
from dicom_testing import PYDICOM_DATA, PYDICOM_FILES
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import Verification

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
ARCHIVE_AET = "ORTHANC"
OUR_AET = "MEDGUI"
_START_TIMEOUT_S = 60.0

# The uploaded data: patient 98890234 (Doe^Peter, three MR studies, 19 instances), CT_small and
# MR_small (pydicom), and an enhanced multi-frame MR and a classic MR from pydicom-data.
MR_FILES = sorted(
    p for p in (PYDICOM_FILES / "dicomdirtests" / "98892003").rglob("*") if p.is_file()
)
OTHER_FILES = [
    PYDICOM_FILES / "CT_small.dcm",
    PYDICOM_FILES / "MR_small.dcm",
    PYDICOM_DATA / "emri_small.dcm",
    PYDICOM_DATA / "MR2_UNCR.dcm",
]
DOE_ID = "98890234"
# The Doe^Peter study "Brain-MRA": three series, 1 + 3 + 7 instances.
BRAIN_MRA = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.1"
ANGIO_SERIES = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118"


def free_port() -> int:
    """A TCP port nothing listens on at this moment (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.05):
    """Poll `condition` until it returns something true; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"{what} did not happen within {timeout_s:g} s")


@dataclass
class OrthancServer:
    root: Path
    dicom_port: int
    http_port: int
    move_port: int  # where Orthanc sends C-MOVE results for AE title MEDGUI
    process: subprocess.Popen | None = None
    tls: TlsFiles | None = None  # DICOM TLS with these certificates

    @property
    def dimse_address(self) -> str:
        scheme = "dicoms" if self.tls else "dicom"
        return f"{scheme}://{ARCHIVE_AET}@127.0.0.1:{self.dicom_port}"

    @property
    def web_address(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicom-web"

    def rest(self, path: str, data: bytes | None = None, method: str | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}{path}", data=data, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def upload(self, paths) -> list[dict]:
        return [self.rest("/instances", Path(p).read_bytes()) for p in paths]

    def find_instance(self, sop_uid: str) -> list[str]:
        """Orthanc's ids of the instances with this SOP Instance UID (REST, not our code)."""
        query = {"Level": "Instance", "Query": {"SOPInstanceUID": sop_uid}}
        return self.rest("/tools/find", json.dumps(query).encode())

    def config(self) -> dict:
        tls = {}
        if self.tls is not None:
            # DICOM TLS only: Orthanc 1.10's own HTTPS (SslEnabled) crashes at the first request
            # with this system's OpenSSL 3, so HTTPS goes through `https_front` instead.
            tls = {
                "DicomTlsEnabled": True,
                "DicomTlsCertificate": str(self.tls.server_cert),
                "DicomTlsPrivateKey": str(self.tls.server_key),
                "DicomTlsTrustedCertificates": str(self.tls.ca),
                "DicomTlsRemoteCertificateRequired": False,
            }
        return tls | {
            "Name": "medgui-test",
            "StorageDirectory": str(self.root / "storage"),
            "IndexDirectory": str(self.root / "index"),
            "DicomAet": ARCHIVE_AET,
            "DicomPort": self.dicom_port,
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomCheckCalledAet": True,  # a wrong called AE title is rejected, as in a hospital
            "DicomModalities": {"medgui": [OUR_AET, "127.0.0.1", self.move_port]},
            "HttpCompressionEnabled": False,
            "SaveJobs": False,
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }

    def start(self) -> None:
        path = self.root / "orthanc.json"
        path.write_text(json.dumps(self.config(), indent=1))
        log = open(self.root / "orthanc.log", "wb")  # noqa: SIM115 (lives as long as Orthanc)
        self.process = subprocess.Popen([str(ORTHANC), str(path)], stdout=log, stderr=log)
        wait_until(self._answers_http, _START_TIMEOUT_S, f"Orthanc's REST API on {self.http_port}")
        wait_until(self._answers_echo, _START_TIMEOUT_S, f"Orthanc's C-ECHO on {self.dicom_port}")

    def _answers_http(self) -> bool:
        if self.process.poll() is not None:
            log = (self.root / "orthanc.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Orthanc exited with {self.process.returncode}:\n{log}")
        try:
            return bool(self.rest("/system"))
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def _answers_echo(self) -> bool:
        ae = AE(ae_title=OUR_AET)
        ae.add_requested_context(Verification)
        tls = None
        if self.tls is not None:
            tls = (ssl.create_default_context(cafile=str(self.tls.ca)), "127.0.0.1")
        assoc = ae.associate("127.0.0.1", self.dicom_port, ae_title=ARCHIVE_AET, tls_args=tls)
        if not assoc.is_established:
            return False
        status = assoc.send_c_echo()
        assoc.release()
        return getattr(status, "Status", -1) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def require_orthanc() -> None:
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip(
            f"Orthanc is not installed ({ORTHANC} and {DICOMWEB_PLUGIN}; "
            "apt-get install orthanc orthanc-dicomweb)"
        )


@contextmanager
def running_orthanc(root: Path, tls: TlsFiles | None = None, files=()):
    """An Orthanc in `root` on free ports, holding `files`, stopped when the block ends."""
    server = OrthancServer(root, free_port(), free_port(), free_port(), tls=tls)
    try:
        server.start()
        server.upload(files)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A running Orthanc holding the test data (see the module's docstring)."""
    require_orthanc()
    with running_orthanc(tmp_path_factory.mktemp("orthanc"), files=MR_FILES + OTHER_FILES) as s:
        yield s


@dataclass(frozen=True)
class TlsFiles:
    """A test CA and a server certificate it signed for 127.0.0.1 (PEM files)."""

    ca: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def make(cls, folder: Path) -> TlsFiles:
        """Made with the openssl command (skips when there is none)."""
        if shutil.which("openssl") is None:
            pytest.skip("the openssl command is needed to make the TLS test certificates")
        ca, key = folder / "ca.pem", folder / "server.key"
        cert = folder / "server.pem"
        ext = folder / "ext.cnf"
        ext.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
        steps = (
            f"req -x509 -newkey rsa:2048 -nodes -keyout {folder}/ca.key -out {ca} -days 2 "
            "-subj /CN=medgui-test-CA",
            f"req -newkey rsa:2048 -nodes -keyout {key} -out {folder}/server.csr "
            "-subj /CN=127.0.0.1",
            f"x509 -req -in {folder}/server.csr -CA {ca} -CAkey {folder}/ca.key "
            f"-CAcreateserial -out {cert} -days 2 -extfile {ext}",
        )
        for step in steps:
            subprocess.run(["openssl", *step.split()], check=True, capture_output=True)
        return cls(ca, cert, key)


class _Forward(BaseHTTPRequestHandler):
    """Passes each request on to `target` (plain HTTP) and its answer back."""

    target = ""
    authorization = ""  # when set, requests without this Authorization header get 401

    def _forward(self) -> None:
        if self.authorization and self.headers.get("Authorization") != self.authorization:
            self.send_response(401, "Unauthorized")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        request = urllib.request.Request(
            self.target + self.path, data=body, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, answer_headers, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, payload = error.code, error.headers, error.read()
        self.send_response(status)
        for key, value in answer_headers.items():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _forward

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def https_front(server: OrthancServer, tls: TlsFiles, authorization: str = ""):
    """An HTTPS front for Orthanc's HTTP port (as nginx is in many hospitals), which asks for
    `authorization` when given; its base URL."""
    target = f"http://127.0.0.1:{server.http_port}"
    handler = type("Forward", (_Forward,), {"target": target, "authorization": authorization})
    front = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.server_cert, tls.server_key)
    front.socket = context.wrap_socket(front.socket, server_side=True)
    thread = threading.Thread(target=front.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{front.server_address[1]}/dicom-web"
    finally:
        front.shutdown()
        front.server_close()


def upload_corrupt_pair(server: OrthancServer, folder: Path) -> tuple[str, str, str]:
    """Orthanc stores what it is given: a copy of MR_small whose pixel data was cut in half
    goes in beside a good copy, in a study of their own; (study, good, bad) UIDs."""
    series, study = generate_uid(), generate_uid()
    good, bad = (pydicom.dcmread(PYDICOM_FILES / "MR_small.dcm") for _ in range(2))
    for ds in (good, bad):
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.PatientID = "CORRUPT"
    bad.PixelData = bad.PixelData[: len(bad.PixelData) // 2]
    for name, ds in (("good.dcm", good), ("bad.dcm", bad)):
        ds.save_as(folder / name)
    server.upload([folder / "good.dcm", folder / "bad.dcm"])
    return study, str(good.SOPInstanceUID), str(bad.SOPInstanceUID)


def assert_corrupt_pair_handled(result, good: str, bad: str, store: Path) -> None:
    """The good instance kept, the bad one refused and named, nothing half-written left."""
    assert not result.complete
    assert [p.stem for p in result.files] == [good]
    assert "truncated pixel data" in result.rejected[bad]
    assert result.missing == {bad}
    assert any("rejected instance" in line for line in result.lines())
    assert no_temporaries(store)


def no_temporaries(folder: Path) -> bool:
    """Whether no hidden temporary file was left anywhere under `folder`."""
    return not any(name.startswith(".") for _, _, names in os.walk(folder) for name in names)
