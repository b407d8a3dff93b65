"""Where retrieved instances land, and what a retrieve or a send reports.

Each instance becomes one Part 10 file, `<root>/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm`,
written atomically: it is checked (header readable, UIDs present, uncompressed pixel data as
long as the header says) in its hidden temporary file and renamed into place only then. So a
retrieve cut short leaves whole files of the instances that arrived and nothing that looks like
one that did not; the result names what is missing. An instance already on disk is not written
again (de-duplication by SOP Instance UID).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from medgui.core.dicom.header import read_instance_header
from medgui.core.dicom.instance import DicomReadError
from medgui.core.dicom.pixels import check_pixel_length
from medgui.core.util.atomic import atomic_writer

# A UID used as a file or folder name must be a UID, never a path ("../x").
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_LISTED = 5  # how many missing or failed UIDs a summary line names

Progress = Callable[[int, int], None]  # (instances done, instances expected or 0 if unknown)
Cancelled = Callable[[], bool]


class InstanceRejected(ValueError):
    """An instance that arrived but cannot be kept (unreadable, no UIDs, truncated pixels)."""


def _uid(ds: pydicom.Dataset, keyword: str) -> str:
    value = str(ds.get(keyword, "") or "").strip().rstrip("\x00")
    if not _UID.match(value) or len(value) > 64:
        raise InstanceRejected(f"no valid {keyword} ({value!r})")
    return value


class Landing:
    """The folder retrieved instances are written to; thread-safe (a storage SCP calls it from
    its own threads)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self.written: list[Path] = []
        self.already_had: list[Path] = []
        self.arrived: set[str] = set()  # SOP Instance UIDs kept (written or already there)
        self.rejected: dict[str, str] = {}  # SOP Instance UID (or "?") -> reason
        # Called after each instance, on any thread: (its file, "") when kept (or already
        # there), (None, the reason) when rejected. A retrieve's progress, the listener's news.
        self.on_arrival: Callable[[Path | None, str], None] | None = None

    def series_folder(self, study: str, series: str) -> Path:
        return self.root / study / series

    def path_for(self, study: str, series: str, sop: str) -> Path:
        return self.series_folder(study, series) / f"{sop}.dcm"

    def accept(self, data: bytes) -> Path:
        """Keep one Part 10 encoded instance; its path. InstanceRejected says why it was not."""
        sop = "?"
        try:
            try:
                ds = pydicom.dcmread(BytesIO(data), stop_before_pixels=True)
            except (InvalidDicomError, ValueError, EOFError, OSError) as error:
                raise InstanceRejected(f"not readable DICOM ({error})") from error
            sop = _uid(ds, "SOPInstanceUID")
            path = self.path_for(_uid(ds, "StudyInstanceUID"), _uid(ds, "SeriesInstanceUID"), sop)
            if path.is_file():
                self.note_present(path)
                self._arrival(path)
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(path) as temporary:
                temporary.write_bytes(data)
                _check_file(temporary)
        except InstanceRejected as error:
            with self._lock:
                self.rejected[sop] = str(error)
            self._arrival(None, f"instance {sop}: {error}")
            raise
        with self._lock:
            self.written.append(path)
            self.arrived.add(sop)
        self._arrival(path)
        return path

    def _arrival(self, path: Path | None, why: str = "") -> None:
        if self.on_arrival is not None:
            self.on_arrival(path, why)

    def note_present(self, path: Path) -> None:
        """Count `path`, already on disk, as arrived."""
        with self._lock:
            self.already_had.append(path)
            self.arrived.add(path.stem)

    def take_present(self, study: str, series: str, sop_uids: list[str]) -> bool:
        """Whether every one of the series' instances is already on disk (then they count as
        arrived and the series need not be fetched again)."""
        paths = [self.path_for(study, series, uid) for uid in sop_uids]
        if not all(p.is_file() for p in paths):
            return False
        for path in paths:
            self.note_present(path)
        self._arrival(paths[-1])
        return True

    def accept_dataset(self, ds: pydicom.Dataset) -> Path:
        """Keep a decoded instance (DICOMweb hands these over) as a Part 10 file."""
        buffer = BytesIO()
        try:
            pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        except (ValueError, AttributeError, TypeError) as error:
            uid = str(ds.get("SOPInstanceUID", "?"))
            with self._lock:
                self.rejected[uid] = f"cannot be written as a DICOM file ({error})"
            raise InstanceRejected(self.rejected[uid]) from error
        return self.accept(buffer.getvalue())

    @property
    def done(self) -> int:
        """Instances handled so far: kept or rejected."""
        with self._lock:
            return len(self.arrived) + len(self.rejected)

    def result(self, node: str, expected: set[str]) -> RetrieveResult:
        """What arrived here, as the result of retrieving `expected` from `node`."""
        with self._lock:
            files = list(dict.fromkeys(self.written + self.already_had))
            return RetrieveResult(node, expected, files, len(self.written), dict(self.rejected))


def _check_file(path: Path) -> None:
    """Raise InstanceRejected when the file just written cannot be used as what it says."""
    try:
        header = read_instance_header(str(path))
        if header.kind == "image" and not UID(header.transfer_syntax_uid).is_compressed:
            check_pixel_length(header)
    except DicomReadError as error:
        raise InstanceRejected(error.reason) from error


def _listed(uids) -> str:
    uids = sorted(uids)
    more = f" and {len(uids) - _LISTED} more" if len(uids) > _LISTED else ""
    return ", ".join(uids[:_LISTED]) + more


@dataclass
class RetrieveResult:
    """What a retrieve brought: files kept, instances expected but missing, and why."""

    node: str
    expected: set[str]  # SOP Instance UIDs the archive listed for what was asked
    files: list[Path] = field(default_factory=list)  # written now or already there
    new_files: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    server_failures: int = 0  # sub-operations the archive itself reported as failed
    cancelled: bool = False
    error: str = ""  # the reason it stopped early, if it did

    @property
    def missing(self) -> set[str]:
        arrived = {p.stem for p in self.files}
        return self.expected - arrived

    @property
    def complete(self) -> bool:
        return not (self.missing or self.rejected or self.cancelled or self.error)

    @property
    def folders(self) -> list[Path]:
        """The series folders that received files, in order of arrival."""
        return list(dict.fromkeys(p.parent for p in self.files))

    def lines(self) -> list[str]:
        """A summary for people: counts first, then what went wrong, naming instances."""
        had = len(self.files) - self.new_files
        out = [
            f"{self.node}: {len(self.files)} of {len(self.expected)} instance(s) retrieved"
            + (f" ({had} already here)" if had else "")
        ]
        if self.cancelled:
            out.append("cancelled: the files that arrived are kept, the rest is missing")
        if self.error:
            out.append(f"stopped: {self.error}")
        for uid, reason in sorted(self.rejected.items()):
            out.append(f"rejected instance {uid}: {reason}")
        if self.server_failures:
            out.append(f"the archive reported {self.server_failures} failed sub-operation(s)")
        if self.missing:
            out.append(f"missing {len(self.missing)} instance(s): {_listed(self.missing)}")
        return out


@dataclass
class SendResult:
    """Per-file outcome of a send: (file, "" on success or the reason it failed)."""

    node: str
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(f, why) for f, why in self.outcomes if why]

    @property
    def sent(self) -> int:
        return sum(1 for _, why in self.outcomes if not why)

    def lines(self) -> list[str]:
        out = [f"{self.node}: sent {self.sent} of {len(self.outcomes)} file(s)"]
        out += [f"failed {f}: {why}" for f, why in self.failed]
        if self.cancelled:
            out.append("cancelled before every file was sent")
        return out
