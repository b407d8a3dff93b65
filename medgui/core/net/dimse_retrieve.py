"""Retrieve over DIMSE: C-GET (the instances come back on the same association) or C-MOVE (the
archive sends them to medgui's storage SCP, running for the duration). Cancel aborts the
association at the next instance."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from pydicom.dataset import Dataset
from pynetdicom import ALL_TRANSFER_SYNTAXES, build_role, evt
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)

from medgui.core.net.association import PENDING, require_context, status_text
from medgui.core.net.landing import Cancelled, Landing, Progress, RetrieveResult
from medgui.core.net.nodes import ArchiveError
from medgui.core.net.query import InstanceMatch
from medgui.core.net.retrieve import retrieve_series_by_series
from medgui.core.net.scp import StorageListener, store_handler

METHODS = ("get", "move")
_MAX_STORAGE_CONTEXTS = 126  # 128 less the C-GET context, less one spare


def _series_identifier(study_uid: str, series_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    return ds


def retrieve(
    client,
    study_uid: str,
    landing: Landing,
    *,
    series_uid: str | None = None,
    method: str = "get",
    listener_port: int = 0,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    series_done: Callable[[Path], None] | None = None,
) -> RetrieveResult:
    """Retrieve by C-GET or by C-MOVE to our storage SCP on `listener_port` (see
    `retrieve_series_by_series`)."""
    if method not in METHODS:
        raise ValueError(f"retrieve method must be one of {METHODS}, got {method!r}")
    stop = cancelled or (lambda: False)
    if method == "get":

        def fetch(series, instances, stop):
            return _get_series(client, landing, study_uid, series, instances, stop)
    else:

        def fetch(series, instances, stop):
            return _move_series(client, study_uid, series, stop)

    run = partial(
        retrieve_series_by_series, client, study_uid, landing, fetch, series_uid=series_uid,
        progress=progress, cancelled=stop, series_done=series_done,
    )  # fmt: skip
    if method == "get":
        return run()
    with StorageListener(landing, client.calling_ae, listener_port, cancelled=stop):
        return run()


def _run(client, assoc, responses, stop: Cancelled, what: str) -> tuple[int, str]:
    """Follow the pending responses, aborting the association as soon as the user cancels;
    (sub-operations the archive says failed, the error of its final response or "")."""
    status = Dataset()
    for response, _identifier in responses:
        if stop():
            assoc.abort()
            return 0, ""
        if getattr(response, "Status", -1) not in PENDING:
            status = response
    code = getattr(status, "Status", -1)
    failed = int(status.get("NumberOfFailedSuboperations", 0) or 0) if code >= 0 else 0
    # Success, warning (some sub-operations failed: counted) and cancelled are not errors.
    if code in (0x0000, 0xB000, 0xFE00):
        return failed, ""
    return failed, f"{client.node.label()}: {what} failed, {status_text(status, assoc)}"


def _get_series(
    client, landing: Landing, study: str, series: str, instances: list[InstanceMatch], stop
) -> tuple[int, str]:
    classes = sorted({i.sop_class for i in instances if i.sop_class})
    if len(classes) > _MAX_STORAGE_CONTEXTS:
        raise ArchiveError(f"{client.node.label()}: series {series} mixes too many SOP classes")
    model = StudyRootQueryRetrieveInformationModelGet
    contexts = [(model, None)] + [(c, ALL_TRANSFER_SYNTAXES) for c in classes]
    roles = [build_role(c, scp_role=True) for c in classes]
    handlers = [(evt.EVT_C_STORE, store_handler(landing, stop))]
    with client.associate(contexts, roles=roles, handlers=handlers) as assoc:
        require_context(assoc, client.node, model, "C-GET")
        return _run(client, assoc, assoc.send_c_get(_series_identifier(study, series), model),
                    stop, "C-GET")  # fmt: skip


def _move_series(client, study: str, series: str, stop) -> tuple[int, str]:
    model = StudyRootQueryRetrieveInformationModelMove
    with client.associate([(model, None)]) as assoc:
        require_context(assoc, client.node, model, "C-MOVE")
        responses = assoc.send_c_move(_series_identifier(study, series), client.calling_ae, model)
        return _run(client, assoc, responses, stop, "C-MOVE")
