"""A retrieve, series by series, whatever the protocol: the plan, the progress, what is missing.

The archive is first asked which instances the study or series holds: that list is the
progress bar's total, what a series already on disk is checked against (it is not fetched
again), and what the result names as missing when the retrieve is cancelled or cut short.
Series are fetched one after another, so that the first can be opened while the rest arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medgui.core.net.landing import Cancelled, Landing, Progress, RetrieveResult
from medgui.core.net.nodes import ArchiveError
from medgui.core.net.query import InstanceMatch

# Fetch one series: (series UID, its instances, cancelled) -> (sub-operations the archive
# reported as failed, an error that ended it or "").
FetchSeries = Callable[[str, list[InstanceMatch], Cancelled], tuple[int, str]]


def retrieve_series_by_series(
    client,
    study_uid: str,
    landing: Landing,
    fetch: FetchSeries,
    *,
    series_uid: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    series_done: Callable[[Path], None] | None = None,
) -> RetrieveResult:
    """Retrieve a study (or one series) into a fresh `landing` with `fetch`.

    Failures of the archive, the network or a single instance end up in the result, with what
    arrived kept; only the query before anything is fetched raises ArchiveError (an unknown
    study, a node that is down).
    """
    node = client.node.label()
    series_uids = [series_uid] if series_uid else [s.uid for s in client.find_series(study_uid)]
    if not series_uids:
        raise ArchiveError(f"{node}: the archive has no study {study_uid}")
    plan = {uid: client.find_instances(study_uid, uid) for uid in series_uids}
    expected = {i.uid for instances in plan.values() for i in instances}
    if not expected:
        raise ArchiveError(f"{node}: the archive lists no instances for {series_uid or study_uid}")
    stop = cancelled or (lambda: False)
    if progress is not None:
        landing.on_arrival = lambda _path, _why: progress(landing.done, len(expected))
    errors: list[str] = []
    server_failures = 0
    for uid, instances in plan.items():
        if stop():
            break
        if landing.take_present(study_uid, uid, [i.uid for i in instances]):
            failed, error = 0, ""
        else:
            try:
                failed, error = fetch(uid, instances, stop)
            except ArchiveError as exc:
                errors.append(str(exc))
                break
        server_failures += failed
        if error:
            errors.append(error)
        folder = landing.series_folder(study_uid, uid)
        if series_done is not None and not stop() and folder.is_dir():
            series_done(folder)
    result = landing.result(node, expected)
    result.cancelled = stop()
    result.server_failures = server_failures
    result.error = "; ".join(errors)
    return result
