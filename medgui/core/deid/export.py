"""A de-identified copy of a folder of DICOM files (images, SEG, SR), verified after writing.

Every file under the source is read, de-identified (`deid.Deidentifier`) and written atomically
to ``OUT/<pseudonym>/<new StudyInstanceUID>/<new SeriesInstanceUID>/<new SOPInstanceUID>.dcm``:
no original file or folder name (which may hold a name or an ID) reaches the output. A file that
cannot be read or written is named in the summary and the rest carries on. Images that may show
burned-in text are flagged in the summary, never passed as clean.

Then the verification pass reads every output back and searches all its element values for the
source's patient name, ID, birth date and accession number; if any remains, every file of this
export is removed again and `DeidVerificationError` lists what was found where.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from medgui.core.deid.clean import Deidentifier, DeidOptions, burned_in_reason
from medgui.core.deid.mapping import PseudonymMap
from medgui.core.deid.synthetic import is_synthetic_file
from medgui.core.deid.verify import Originals, VerificationReport, find_phi
from medgui.core.util.atomic import atomic_writer
from medgui.core.util.bounded_file import BoundedFile

Progress = Callable[[int, int], None]
# A DICOMDIR indexes the originals by name and ID; a new one can be built from the output.
_SKIPPED_NAMES = frozenset({"DICOMDIR"})


class DeidVerificationError(ValueError):
    """Original identifying values remained in the output (which has been removed again)."""

    def __init__(self, report: VerificationReport, summary: DeidSummary) -> None:
        self.report, self.summary = report, summary
        lines = report.lines()
        super().__init__(
            f"de-identification verification failed: {len(lines)} original value(s) remain; "
            "the export was removed:\n  " + "\n  ".join(lines)
        )


@dataclass
class DeidSummary:
    """What a folder export did: per output file its source, the burned-in flags (source →
    reason), errors (one line per file that failed) and the verification result."""

    written: dict[Path, Path] = field(default_factory=dict)
    series_uids: set[str] = field(default_factory=set)
    burned_in: dict[Path, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    verification: VerificationReport = field(default_factory=VerificationReport)
    # Inputs left out on purpose (DICOMDIR, hidden files, FIFOs...), and doubts about written
    # files (values that overflow), one line each naming the file.
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)  # report text written, de-identified

    def lines(self) -> list[str]:
        """The summary as text lines (for the CLI and the Export dialog)."""
        out = [
            f"{len(self.written)} file(s) written in {len(self.series_uids)} series; "
            f"{len(self.errors)} failed, {len(self.skipped)} skipped",
            "verification: no original patient name, ID, birth date or accession number remains"
            if self.verification.clean
            else "verification FAILED",
        ]
        if self.reports:
            out.append(f"{len(self.reports)} report(s) written with names, IDs and dates replaced")
        out += [f"BURNED-IN TEXT POSSIBLE: {path}: {why}" for path, why in self.burned_in.items()]
        out += [f"warning: {line}" for line in self.warnings]
        out += [f"skipped: {line}" for line in self.skipped]
        out += [f"error: {line}" for line in self.errors]
        return out


def _sources(folder: Path, summary: DeidSummary) -> list[Path]:
    if folder.is_file():
        return [folder]
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if name in _SKIPPED_NAMES:
                summary.skipped.append(f"{path}: a DICOMDIR indexes the originals by name and ID")
            elif name.startswith("."):
                summary.skipped.append(f"{path}: a hidden file")
            elif is_synthetic_file(path):
                summary.skipped.append(f"{path}: a generated (synthetic) image, no patient data")
            else:
                files.append(path)
    return files


def _not_regular(path: Path) -> str:
    """Why `path` is no file to copy ("" for a regular file): reading a FIFO would hang."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot stat ({error.strerror or error})"
    if stat.S_ISREG(mode):
        return ""
    kinds = {stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket", stat.S_ISDIR: "a folder"}
    kind = next((name for test, name in kinds.items() if test(mode)), "a device")
    return f"not a regular file ({kind})"


def _read(path: Path) -> pydicom.Dataset:
    """The whole dataset of `path`; ValueError naming the file when it is not readable DICOM,
    is cut short (a value runs past its end) or nests sequences beyond Python's stack."""
    try:
        with warnings.catch_warnings(), BoundedFile(path) as handle:
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(handle)
            if handle.overrun_bytes:
                raise ValueError(
                    f"truncated: an element runs {handle.overrun_bytes} bytes past the end of "
                    "the file"
                )
            return ds
    except RecursionError as error:
        raise ValueError(f"{path}: sequences nested too deeply to read") from error
    except (InvalidDicomError, OSError, ValueError, EOFError, KeyError, struct.error) as error:
        raise ValueError(f"{path}: not a readable DICOM file ({error})") from error


def _target(out: Path, ds: pydicom.Dataset) -> Path:
    keys = ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    parts = [str(ds.get(k) or "unknown") for k in keys]
    target = out.joinpath(*parts[:3], parts[3] + ".dcm")
    # The parts are pseudonyms and generated UIDs; a value from elsewhere must not escape OUT.
    if (
        not target.resolve().is_relative_to(out.resolve())
        or len(target.parts) != len(out.parts) + 4
    ):
        raise ValueError(f"{target}: would lie outside the output folder {out}")
    return target


def _overflow_warning(ds: pydicom.Dataset) -> str:
    """Why the rescaled values of `ds` are not finite numbers ("" when they are)."""
    if "PixelData" not in ds or "RescaleSlope" not in ds:
        return ""
    try:
        slope, intercept = float(ds.RescaleSlope), float(ds.get("RescaleIntercept") or 0)
        largest = 2.0 ** int(ds.get("BitsStored") or 16)
    except (TypeError, ValueError):
        return "RescaleSlope/RescaleIntercept are not numbers"
    with np.errstate(over="ignore", invalid="ignore"):
        extremes = np.float64(slope) * np.array([-largest, largest]) + np.float64(intercept)
    if not np.isfinite(extremes).all():
        return (
            f"RescaleSlope {slope:g} and RescaleIntercept {intercept:g} overflow the pixel values"
        )
    return ""


def _check_folders(source: Path, out: Path) -> None:
    if not source.exists():
        raise ValueError(f"{source}: no such file or folder")
    source_dir, out = source.resolve(), out.resolve()
    if out == source_dir or out.is_relative_to(source_dir) and source.is_dir():
        raise ValueError(f"{out}: the output folder must lie outside the source {source}")


def deidentify_folder(
    source: str | Path,
    out: str | Path,
    options: DeidOptions | None = None,
    pseudonyms: PseudonymMap | None = None,
    *,
    progress: Progress | None = None,
) -> DeidSummary:
    """De-identify every DICOM file under `source` into the new or empty folder `out` (see
    `deidentify_files`); ValueError for a missing source or an output inside it."""
    source, out = Path(source), Path(out)
    _check_folders(source, out)
    summary = DeidSummary()
    files = _sources(source, summary)
    return _export(files, out, options, pseudonyms, progress, summary)


def deidentify_files(
    files: Sequence[str | Path],
    out: str | Path,
    options: DeidOptions | None = None,
    pseudonyms: PseudonymMap | None = None,
    *,
    progress: Progress | None = None,
) -> DeidSummary:
    """De-identify `files` into the new or empty folder `out`, then verify the output (see
    the module docstring). `options` default to the basic profile alone; `pseudonyms` (e.g.
    loaded from a mapping CSV) gains the patients it did not know. `progress(done, total)` is
    called per file and may raise to cancel, which removes what was written.
    `DeidVerificationError` when an original value remains.

    Every input is written or named in the summary with the reason: `errors` for files that
    failed (unreadable, truncated, a SOPInstanceUID already written, a failed write),
    `skipped` for what is not a file to copy, `warnings` for doubts about a written file."""
    return _export([Path(f) for f in files], Path(out), options, pseudonyms, progress, None)


def _export(files, out, options, pseudonyms, progress, summary) -> DeidSummary:
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out}: the output folder must be new or empty")
    made_out = not out.exists()
    worker = Deidentifier(options or DeidOptions(), pseudonyms or PseudonymMap())
    summary = summary or DeidSummary()
    total = 2 * len(files)
    try:
        originals = _write_all(files, out, worker, summary, progress)
        for done, (target, before) in enumerate(list(originals.items()), start=len(files)):
            if progress:
                progress(done, total)
            try:
                found = find_phi(_read(target), before)
            except ValueError as error:  # cannot read back what was written: not exported
                summary.errors.append(f"{summary.written.pop(target)}: not verified: {error}")
                target.unlink(missing_ok=True)
                continue
            if found:
                summary.verification.findings[target] = found
        if not summary.verification.clean:
            raise DeidVerificationError(summary.verification, summary)
    except BaseException:
        for target in summary.written:  # never leave a partial or unverified copy behind
            target.unlink(missing_ok=True)
        _remove_empty_folders(out, made_out)
        raise
    _remove_empty_folders(out, False)
    if progress:
        progress(total, total)
    return summary


def _remove_empty_folders(out: Path, including_out: bool) -> None:
    """Remove the folders a failed write left empty (OUT was new or empty, so all are ours)."""
    if not out.is_dir():
        return
    for root, _dirs, _names in os.walk(out, topdown=False):
        folder = Path(root)
        if folder != out or including_out:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def _write_all(files, out, worker, summary, progress) -> dict[Path, Originals]:
    """De-identify and write each file; returns each output's originals. A file that fails is
    named in `summary.errors` with the reason, and the rest carries on."""
    originals: dict[Path, Originals] = {}
    for done, path in enumerate(files):
        if progress:
            progress(done, 2 * len(files))
        why_not = _not_regular(path)
        if why_not:
            summary.skipped.append(f"{path}: {why_not}")
            continue
        try:
            ds = _read(path)
            reason = burned_in_reason(ds)
            before = Originals.of(ds)
            worker.deidentify(ds)
            target = _target(out, ds)
            if target in summary.written:
                raise ValueError(
                    f"not written: its SOPInstanceUID is that of {summary.written[target]} "
                    "(a duplicate instance)"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(target) as temporary:
                ds.save_as(temporary, enforce_file_format=True)
        except RecursionError:
            summary.errors.append(f"{path}: not written: sequences nested too deeply")
            continue
        except Exception as error:  # noqa: BLE001 - one bad file never stops the rest
            text = str(error) or type(error).__name__
            summary.errors.append(text if text.startswith(str(path)) else f"{path}: {text}")
            continue
        if reason:
            summary.burned_in[path] = reason
        overflow = _overflow_warning(ds)
        if overflow:
            summary.warnings.append(f"{path}: {overflow}")
        summary.written[target] = path
        summary.series_uids.add(str(ds.get("SeriesInstanceUID") or ""))
        originals[target] = before
    return originals
