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
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from dicom_testing import PYDICOM_DATA, PYDICOM_FILES
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

    @property
    def dimse_address(self) -> str:
        return f"dicom://{ARCHIVE_AET}@127.0.0.1:{self.dicom_port}"

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
        return {
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
        assoc = ae.associate("127.0.0.1", self.dicom_port, ae_title=ARCHIVE_AET)
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


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A running Orthanc holding the test data (see the module's docstring)."""
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip(
            f"Orthanc is not installed ({ORTHANC} and {DICOMWEB_PLUGIN}; "
            "apt-get install orthanc orthanc-dicomweb)"
        )
    root = tmp_path_factory.mktemp("orthanc")
    server = OrthancServer(root, free_port(), free_port(), free_port())
    try:
        server.start()
        server.upload(MR_FILES + OTHER_FILES)
        yield server
    finally:
        server.stop()


def no_temporaries(folder: Path) -> bool:
    """Whether no hidden temporary file was left anywhere under `folder`."""
    return not any(name.startswith(".") for _, _, names in os.walk(folder) for name in names)
