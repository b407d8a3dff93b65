"""DICOMweb with dicomweb-client: search (QIDO-RS), retrieve (WADO-RS) and store (STOW-RS).

The same calls as `DimseClient`, so that the command line and the window treat both kinds of
node alike. HTTPS verifies the server's certificate (against the node's CA file when it names
one); HTTP failures become ArchiveErrors naming the node, the status and what was asked.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from requests.adapters import HTTPAdapter

from medgui.core.net.association import CONNECT_TIMEOUT_S
from medgui.core.net.landing import (
    Cancelled,
    InstanceRejected,
    Landing,
    Progress,
    RetrieveResult,
    SendResult,
)
from medgui.core.net.nodes import ArchiveError, Node
from medgui.core.net.query import (
    INSTANCE_KEYS,
    SERIES_KEYS,
    STUDY_KEYS,
    InstanceMatch,
    Query,
    SeriesMatch,
    StudyMatch,
)
from medgui.core.net.retrieve import retrieve_series_by_series

DEFAULT_TIMEOUT_S = 30.0
# Orthanc (1.10) matches query values without percent-decoding them: "Doe%2A" finds nothing
# where "Doe*" finds Doe^Peter. RFC 3986 allows these characters in a query as they are.
_PLAIN_IN_QUERY = {"%2A": "*", "%3F": "?", "%5E": "^", "%2C": ","}
# Instances as stored (compressed stays compressed): what the archive holds, byte for byte.
_AS_STORED = (("application/dicom", "*"),)


def _http_reason(error: requests.RequestException) -> str:
    response = getattr(error, "response", None)
    if response is not None:
        return f"HTTP {response.status_code} {response.reason}"
    if isinstance(error, requests.exceptions.SSLError):
        return f"the server's certificate was not accepted ({error})"
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect"
    return str(error)


class _ArchiveAdapter(HTTPAdapter):
    """Sends QIDO-RS wildcards (* ?), the name separator (^) and list commas unencoded, and
    verifies HTTPS against the node's CA file when it has one: requests lets
    $REQUESTS_CA_BUNDLE override a session's `verify`, so it is set on each request here."""

    def __init__(self, ca_file: str = "") -> None:
        super().__init__()
        self.ca_file = ca_file

    def send(self, request, *args, **kwargs):
        base, mark, query = request.url.partition("?")
        for encoded, plain in _PLAIN_IN_QUERY.items():
            query = query.replace(encoded, plain).replace(encoded.lower(), plain)
        request.url = base + mark + query
        if self.ca_file:
            kwargs["verify"] = self.ca_file
        return super().send(request, *args, **kwargs)


class WebClient:
    """The DICOMweb services of one node (a base URL such as http://host:8042/dicom-web)."""

    def __init__(self, node: Node, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.node = node
        session = requests.Session()
        for scheme in ("http://", "https://"):
            session.mount(scheme, _ArchiveAdapter(node.ca_file))
        headers = {}
        if node.auth == "basic":
            session.auth = (node.username, node.secret)
        elif node.auth == "bearer":
            headers["Authorization"] = f"Bearer {node.secret}"
        self._api = DICOMwebClient(
            node.url,
            session=session,
            headers=headers or None,
            timeout=(min(CONNECT_TIMEOUT_S, timeout_s), timeout_s),
        )
        # Its default retries a refused connection five times over 30 s: a node that is down
        # must be reported at once, and the user decides whether to try again.
        self._api.set_http_retry_params(retry=False)

    def _call(self, what: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except requests.RequestException as error:
            raise ArchiveError(
                f"{self.node.label()}: {what} failed ({_http_reason(error)})"
            ) from error

    def _search(self, what: str, function, **kwargs) -> list[Dataset]:
        found = self._call(what, function, **kwargs)
        return [Dataset.from_json(item) for item in found]

    def echo(self) -> float:
        """A one-study search, the DICOMweb counterpart of C-ECHO; the round trip in seconds."""
        start = time.perf_counter()
        self._call("the verification search", self._api.search_for_studies, limit=1)
        return time.perf_counter() - start

    def find_studies(self, query: Query) -> list[StudyMatch]:
        found = self._search(
            "study search",
            self._api.search_for_studies,
            search_filters=query.filters(),
            fields=list(STUDY_KEYS),
        )
        return sorted((StudyMatch.from_dataset(ds) for ds in found), key=lambda s: (s.date, s.uid))

    def find_series(self, study_uid: str) -> list[SeriesMatch]:
        found = self._search(
            "series search",
            self._api.search_for_series,
            study_instance_uid=study_uid,
            fields=list(SERIES_KEYS),
        )
        matches = [SeriesMatch.from_dataset(ds) for ds in found]
        return sorted(matches, key=lambda s: (s.number is None, s.number or 0, s.uid))

    def find_instances(self, study_uid: str, series_uid: str) -> list[InstanceMatch]:
        found = self._search(
            "instance search",
            self._api.search_for_instances,
            study_instance_uid=study_uid,
            series_instance_uid=series_uid,
            fields=list(INSTANCE_KEYS),
        )
        return [InstanceMatch.from_dataset(ds) for ds in found]

    def retrieve(
        self,
        study_uid: str,
        landing: Landing,
        *,
        series_uid: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        series_done=None,
        method: str = "wado",
        listener_port: int = 0,
    ) -> RetrieveResult:
        """WADO-RS, series by series, streamed: each instance lands as it arrives. `method`
        and `listener_port` (C-GET/C-MOVE choices of `DimseClient.retrieve`) do not apply."""

        def fetch(series: str, _instances, stop: Cancelled) -> tuple[int, str]:
            stream = self._api.iter_series(study_uid, series, media_types=_AS_STORED)
            try:
                for ds in stream:
                    if stop():
                        break
                    try:
                        landing.accept_dataset(ds)
                    except InstanceRejected:
                        continue  # named in landing.rejected; the rest still lands
            except (requests.RequestException, InvalidDicomError, ValueError) as error:
                reason = (
                    _http_reason(error)
                    if isinstance(error, requests.RequestException)
                    else f"unreadable response ({error})"
                )
                return 0, f"{self.node.label()}: retrieve of series {series} failed ({reason})"
            finally:
                stream.close()
            return 0, ""

        return retrieve_series_by_series(
            self,
            study_uid,
            landing,
            fetch,
            series_uid=series_uid,
            progress=progress,
            cancelled=cancelled,
            series_done=series_done,
        )

    def send(
        self,
        paths: Iterable[str | Path],
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SendResult:
        """STOW-RS each file in turn (a result per instance); one bad file never stops the rest."""
        result = SendResult(self.node.label())
        paths = [str(p) for p in paths]
        for done, path in enumerate(paths, 1):
            if cancelled is not None and cancelled():
                result.cancelled = True
                break
            result.outcomes.append((path, self._store_one(path)))
            if progress is not None:
                progress(done, len(paths))
        return result

    def _store_one(self, path: str) -> str:
        """ "" when the archive kept `path`, else the reason."""
        try:
            ds = pydicom.dcmread(path)
        except (InvalidDicomError, OSError, ValueError) as error:
            return f"not a readable DICOM file ({error})"
        try:
            answer = self._api.store_instances([ds])
        except requests.RequestException as error:
            return _http_reason(error)
        for failed in answer.get("FailedSOPSequence", []):
            return f"refused (failure reason {failed.get('FailureReason', '?')})"
        return ""
