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

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from medgui.core.atomic import atomic_writer
from medgui.core.deid import Deidentifier, DeidOptions, burned_in_reason
from medgui.core.deid_mapping import PseudonymMap
from medgui.core.deid_verify import Originals, VerificationReport, find_phi

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

    def lines(self) -> list[str]:
        """The summary as text lines (for the CLI and the Export dialog)."""
        out = [
            f"{len(self.written)} file(s) written in {len(self.series_uids)} series",
            "verification: no original patient name, ID, birth date or accession number remains"
            if self.verification.clean
            else "verification FAILED",
        ]
        out += [f"BURNED-IN TEXT POSSIBLE: {path}: {why}" for path, why in self.burned_in.items()]
        out += [f"error: {line}" for line in self.errors]
        return out


def _sources(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        files += [Path(root) / n for n in sorted(names) if n not in _SKIPPED_NAMES]
    return [f for f in files if not f.name.startswith(".")]


def _read(path: Path) -> pydicom.Dataset:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError, KeyError) as error:
        raise ValueError(f"{path}: not a readable DICOM file ({error})") from error


def _target(out: Path, ds: pydicom.Dataset) -> Path:
    keys = ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    parts = [str(ds.get(k) or "unknown") for k in keys]
    return out.joinpath(*parts[:3], parts[3] + ".dcm")


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
    return deidentify_files(_sources(source), out, options, pseudonyms, progress=progress)


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
    `DeidVerificationError` when an original value remains."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out}: the output folder must be new or empty")
    worker = Deidentifier(options or DeidOptions(), pseudonyms or PseudonymMap())
    summary = DeidSummary()
    try:
        originals = _write_all([Path(f) for f in files], out, worker, summary, progress)
        for done, (target, before) in enumerate(originals.items(), start=len(files)):
            if progress:
                progress(done, 2 * len(files))
            found = find_phi(_read(target), before)
            if found:
                summary.verification.findings[target] = found
        if not summary.verification.clean:
            raise DeidVerificationError(summary.verification, summary)
    except BaseException:
        for target in summary.written:  # never leave a partial or unverified copy behind
            target.unlink(missing_ok=True)
        raise
    if progress:
        progress(2 * len(files), 2 * len(files))
    return summary


def _write_all(files, out, worker, summary, progress) -> dict[Path, Originals]:
    """De-identify and write each file; returns each output's originals."""
    originals: dict[Path, Originals] = {}
    for done, path in enumerate(files):
        if progress:
            progress(done, 2 * len(files))
        try:
            ds = _read(path)
            reason = burned_in_reason(ds)
            if reason:
                summary.burned_in[path] = reason
            before = Originals.of(ds)
            worker.deidentify(ds)
            target = _target(out, ds)
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(target) as temporary:
                ds.save_as(temporary, enforce_file_format=True)
        except (ValueError, OSError, TypeError, AttributeError, KeyError) as error:
            text = str(error)
            summary.errors.append(text if text.startswith(str(path)) else f"{path}: {text}")
            continue
        summary.written[target] = path
        summary.series_uids.add(str(ds.get("SeriesInstanceUID") or ""))
        originals[target] = before
    return originals
