"""DICOM networking with pynetdicom: verify (C-ECHO), query (C-FIND, study root and patient
root), retrieve (C-GET or C-MOVE, in `dimse_retrieve`) and send (C-STORE)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)

from medgui.core.net.association import (
    DEFAULT_TIMEOUT_S,
    PENDING,
    open_association,
    require_context,
    status_text,
)
from medgui.core.net.dimse_retrieve import retrieve
from medgui.core.net.landing import Cancelled, Progress, RetrieveResult, SendResult
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

_MAX_CONTEXTS = 127  # PS3.8: at most 128 presentation contexts in one association
PATIENT_KEYS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                "NumberOfPatientRelatedStudies")  # fmt: skip


def identifier(level: str, keys: Iterable[str], values: dict[str, str]) -> Dataset:
    """A C-FIND identifier: `keys` asked for (empty) and `values` matched at `level`."""
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword in keys:
        setattr(ds, keyword, "")
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


class DimseClient:
    """The DIMSE services of one node, called as `calling_ae` (each call one association)."""

    def __init__(self, node: Node, calling_ae: str, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.node, self.calling_ae, self.timeout_s = node, calling_ae, timeout_s

    def associate(self, contexts, **kwargs):
        """An association with the node offering `contexts` (see `open_association`)."""
        return open_association(
            self.node, self.calling_ae, contexts, timeout_s=self.timeout_s, **kwargs
        )

    def echo(self) -> float:
        """C-ECHO; the round trip in seconds. ArchiveError names the node and the reason."""
        start = time.perf_counter()
        with self.associate([(Verification, None)]) as assoc:
            status = assoc.send_c_echo()
            if getattr(status, "Status", -1) != 0:
                raise ArchiveError(
                    f"{self.node.label()}: echo failed, {status_text(status, assoc)}"
                )
        return time.perf_counter() - start

    def find(self, ds: Dataset, model=StudyRootQueryRetrieveInformationModelFind) -> list[Dataset]:
        """Every match of the C-FIND `ds`; ArchiveError when the archive answers a failure."""
        matches = []
        with self.associate([(model, None)]) as assoc:
            require_context(assoc, self.node, model, "this query (C-FIND) model")
            for status, found in assoc.send_c_find(ds, model):
                code = getattr(status, "Status", -1)
                if code in PENDING:
                    if found is not None:
                        matches.append(found)
                elif code != 0:
                    level = ds.QueryRetrieveLevel.lower()
                    raise ArchiveError(
                        f"{self.node.label()}: {level} query failed, {status_text(status, assoc)}"
                    )
        return matches

    def find_patients(self, query: Query) -> list[Dataset]:
        """Patient-level matches (patient root) for the patient keys of `query`."""
        keys = {k: v for k, v in query.filters().items() if k in ("PatientName", "PatientID")}
        ds = identifier("PATIENT", PATIENT_KEYS, keys)
        return self.find(ds, PatientRootQueryRetrieveInformationModelFind)

    def find_studies(self, query: Query) -> list[StudyMatch]:
        found = self.find(identifier("STUDY", STUDY_KEYS, query.filters()))
        return sorted((StudyMatch.from_dataset(ds) for ds in found), key=lambda s: (s.date, s.uid))

    def find_series(self, study_uid: str) -> list[SeriesMatch]:
        found = self.find(identifier("SERIES", SERIES_KEYS, {"StudyInstanceUID": study_uid}))
        matches = [SeriesMatch.from_dataset(ds) for ds in found]
        return sorted(matches, key=lambda s: (s.number is None, s.number or 0, s.uid))

    def find_instances(self, study_uid: str, series_uid: str) -> list[InstanceMatch]:
        keys = {"StudyInstanceUID": study_uid, "SeriesInstanceUID": series_uid}
        found = self.find(identifier("IMAGE", INSTANCE_KEYS, keys))
        return [InstanceMatch.from_dataset(ds) for ds in found]

    def retrieve(
        self,
        study_uid: str,
        landing,
        *,
        series_uid: str | None = None,
        method: str = "get",
        listener_port: int = 0,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        series_done=None,
    ) -> RetrieveResult:
        """Bring a study (or one series) into `landing` by C-GET, or by C-MOVE to a storage
        SCP medgui runs on `listener_port` for the duration (see `dimse_retrieve`)."""
        return retrieve(
            self, study_uid, landing, series_uid=series_uid, method=method,
            listener_port=listener_port, progress=progress, cancelled=cancelled,
            series_done=series_done,
        )  # fmt: skip

    def send(
        self,
        paths: Iterable[str | Path],
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SendResult:
        """C-STORE each file; one file that cannot be read or is refused never stops the rest."""
        result = SendResult(self.node.label())
        readable: list[tuple[str, Dataset]] = []
        for path in map(str, paths):
            try:
                readable.append((path, pydicom.dcmread(path, stop_before_pixels=True)))
            except (InvalidDicomError, OSError, ValueError) as error:
                result.outcomes.append((path, f"not a readable DICOM file ({error})"))
        contexts = sorted(
            {(str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)) for _, ds in readable
             if "SOPClassUID" in ds and "TransferSyntaxUID" in ds.file_meta}
        )  # fmt: skip
        if len(contexts) > _MAX_CONTEXTS:
            raise ArchiveError(
                f"{self.node.label()}: {len(contexts)} kinds of object in one send; "
                f"send at most {_MAX_CONTEXTS} at a time"
            )
        if not readable:
            return result
        with self.associate([(c, [s]) for c, s in contexts]) as assoc:
            for done, (path, _header) in enumerate(readable, 1):
                if cancelled is not None and cancelled():
                    result.cancelled = True
                    break
                result.outcomes.append((path, self._store_one(assoc, path)))
                if progress is not None:
                    progress(done, len(readable))
        return result

    def _store_one(self, assoc, path: str) -> str:
        """ "" when the archive kept `path`, else the reason."""
        try:
            ds = pydicom.dcmread(path)
            status = assoc.send_c_store(ds)
        except (InvalidDicomError, OSError, ValueError, AttributeError) as error:
            return str(error)
        code = getattr(status, "Status", -1)
        # 0xB000, 0xB007, 0xB006: stored with a warning (coerced, elements discarded).
        if code == 0 or 0xB000 <= code <= 0xB0FF:
            return ""
        return status_text(status)
