"""Scan a folder, a DICOMDIR or a file: headers only, grouped patient → study → series.

Every file ends up in exactly one place: an image series, a non-image object (SR, SEG, RT, ...)
listed with its kind, or `Scan.errors` with the reason it cannot be used.
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medgui.core.dicom.geometry import (
    describe_difference,
    expand_frames,
    group_by_geometry,
    plan_stack,
)
from medgui.core.dicom.header import read_instance_header, unusable_image_reason
from medgui.core.dicom.instance import DicomReadError, InstanceHeader
from medgui.core.io.files import ScanError, dicomdir_files, walk_files
from medgui.core.io.index import INDEX_ERRORS, ScanIndex, default_index
from medgui.core.io.itk import is_itk_file, itk_safe_path

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 400
_SKIP_NAMES = {"DICOMDIR"}
# Waveform files, recognised by name and magic only: reading them is core.signals' job (a layer
# above this one). A WFDB record is its .hea header; the files beside it with the same stem
# (signals .dat, annotations .atr/.qrs/...) belong to the record, not to the problems.
_EDF_MAGIC = b"0       "


@dataclass
class Series:
    """One series: DICOM instances sharing a SeriesInstanceUID (and geometry), or one file."""

    uid: str
    format: str = "dicom"  # dicom | nifti | nrrd | mha | wfdb | edf
    kind: str = "image"
    modality: str = ""
    description: str = ""
    series_number: int | None = None
    patient_id: str = ""
    patient_name: str = ""
    study_uid: str = ""
    study_date: str = ""
    study_description: str = ""
    instances: list[InstanceHeader] = field(default_factory=list)
    path: str = ""  # the file, for NIfTI/NRRD/MHA series
    shape_zyx: tuple[int, int, int] | None = None
    spacing_mm: tuple[float, float, float] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def number_of_images(self) -> int:
        return len(self.instances) if self.format == "dicom" else 1

    @property
    def files(self) -> list[str]:
        return [h.path for h in self.instances] if self.format == "dicom" else [self.path]

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "format": self.format,
            "kind": self.kind,
            "modality": self.modality,
            "description": self.description,
            "series_number": self.series_number,
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "study_uid": self.study_uid,
            "study_date": self.study_date,
            "number_of_images": self.number_of_images,
            "shape": list(self.shape_zyx) if self.shape_zyx else None,
            "spacing_mm": [round(s, 6) for s in self.spacing_mm] if self.spacing_mm else None,
            "warnings": list(self.warnings),
            "path": self.path or (str(Path(self.files[0]).parent) if self.files else ""),
        }


@dataclass
class Study:
    uid: str
    date: str
    description: str
    series: list[Series]


@dataclass
class Patient:
    id: str
    name: str
    studies: list[Study]


@dataclass
class Scan:
    """The result of `scan`: series (image and non-image) and the files that could not be used."""

    root: str
    series: list[Series] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)

    @property
    def image_series(self) -> list[Series]:
        return [s for s in self.series if s.kind == "image"]

    def patients(self) -> list[Patient]:
        """The series as a patient → study → series tree, for the series browser."""
        by_patient: dict[tuple, dict[str, list[Series]]] = defaultdict(lambda: defaultdict(list))
        for s in self.series:
            by_patient[(s.patient_id, s.patient_name)][s.study_uid].append(s)
        patients = []
        for (pid, name), studies in sorted(by_patient.items()):
            study_list = []
            for uid, series in studies.items():
                series.sort(
                    key=lambda s: (s.series_number is None, s.series_number or 0, s.description)
                )
                study_list.append(
                    Study(uid, series[0].study_date, series[0].study_description, series)
                )
            patients.append(Patient(pid, name, sorted(study_list, key=lambda st: st.date)))
        return patients

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "series": [s.to_json() for s in self.series],
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
        }


def _read_one(path: str) -> InstanceHeader | ScanError:
    with warnings.catch_warnings():
        # pydicom warns about every odd value in real-world files; the scan reports what matters.
        warnings.simplefilter("ignore")
        try:
            return read_instance_header(path)
        except DicomReadError as exc:
            return ScanError(exc.path, exc.reason)
        except RecursionError:
            return ScanError(path, "malformed header: nesting too deep")


def _read_chunk(paths: list[str]) -> list[InstanceHeader | ScanError]:
    return [_read_one(p) for p in paths]


def read_headers(
    paths: list[str], progress: Callable[[int, int], None] | None = None
) -> list[InstanceHeader | ScanError]:
    """Headers of many files, in worker processes when there are enough to pay for them."""
    if len(paths) < PARALLEL_MIN_FILES:
        results = []
        for n, p in enumerate(paths, 1):
            results.append(_read_one(p))
            if progress and n % 50 == 0:
                progress(n, len(paths))
        return results
    from medgui.core.dicom.pixels import decode_pool

    pool = decode_pool()
    chunk = max(32, len(paths) // (8 * pool.workers))
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    results: list[InstanceHeader | ScanError] = []
    for part in pool.map(_read_chunk, chunks):
        results.extend(part)
        if progress:
            progress(len(results), len(paths))
    return results


def _itk_series(path: str) -> Series | ScanError:
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    try:
        with itk_safe_path(path) as name:
            reader.SetFileName(name)
            reader.ReadImageInformation()
    except (RuntimeError, OSError) as exc:
        return ScanError(path, f"unreadable image file: {str(exc).strip().splitlines()[-1]}")
    size = reader.GetSize() + (1,) * (3 - reader.GetDimension())
    spacing = reader.GetSpacing() + (1.0,) * (3 - reader.GetDimension())
    suffix = path.lower()
    fmt = (
        "nifti" if ".nii" in suffix else "nrrd" if ".nrrd" in suffix or ".nhdr" in suffix else "mha"
    )
    name = Path(path).name
    return Series(
        uid=f"file:{os.path.abspath(path)}",
        format=fmt,
        modality=reader.GetMetaData("Modality") if reader.HasMetaDataKey("Modality") else "",
        description=name,
        patient_name=name,
        path=path,
        shape_zyx=(int(size[2]), int(size[1]), int(size[0])),
        spacing_mm=tuple(float(s) for s in spacing[:3]),
    )


def _is_record_part(path: str, files: set[str]) -> bool:
    """Whether `path` is a WFDB record's signal or annotation file (a .hea of its stem is here)."""
    stem, suffix = os.path.splitext(path)
    return suffix.lower() != ".hea" and f"{stem}.hea" in files


def _waveform_series(path: str) -> Series | ScanError:
    """A WFDB record (its .hea) or an EDF file as a series of kind "waveform"; its content is
    read when it is opened. An .edf without EDF's first bytes is named as a problem now."""
    fmt = "wfdb" if path.lower().endswith(".hea") else "edf"
    if fmt == "edf":
        try:
            with open(path, "rb") as file:
                head = file.read(len(_EDF_MAGIC))
        except OSError as exc:
            return ScanError(path, f"cannot read ({exc.strerror or exc})")
        if head != _EDF_MAGIC:
            return ScanError(path, "not an EDF file (its first bytes are not EDF's header)")
    name = Path(path).name
    return Series(
        uid=f"file:{os.path.abspath(path)}",
        format=fmt,
        kind="waveform",
        description=name,
        patient_name=name,
        path=path,
    )


def _series_key(h: InstanceHeader) -> str:
    return (
        h.series_instance_uid
        or f"{h.patient_id}|{h.study_instance_uid}|{h.modality}|{h.series_number}"
    )


def _new_series(uid: str, h: InstanceHeader) -> Series:
    return Series(
        uid=uid,
        kind=h.kind,
        modality=h.modality,
        description=h.series_description,
        series_number=h.series_number,
        patient_id=h.patient_id,
        patient_name=h.patient_name,
        study_uid=h.study_instance_uid,
        study_date=h.study_date,
        study_description=h.study_description,
    )


def build_series(headers: Iterable[InstanceHeader]) -> list[Series]:
    """Group headers into series; split a series whose images cannot share one volume."""
    grouped: dict[str, list[InstanceHeader]] = defaultdict(list)
    for h in headers:
        grouped[_series_key(h)].append(h)
    result = []
    for uid, members in grouped.items():
        images = [h for h in members if h.kind == "image"]
        others = [h for h in members if h.kind != "image"]
        for n, h in enumerate(others):
            # Series uids key the rows of the series browser: each object needs its own even when
            # several share a series (or, lacking identity, the same fallback key).
            series = _new_series(uid if n == 0 and not images else f"{uid}#object{n + 1}", h)
            series.instances = [h]
            result.append(series)
        if not images:
            continue
        groups = group_by_geometry(expand_frames(images))
        for part, refs in enumerate(groups):
            headers_in = list({id(r.header): r.header for r in refs}.values())
            series = _new_series(uid if part == 0 else f"{uid}#part{part + 1}", headers_in[0])
            series.instances = headers_in
            if part:
                why = describe_difference(groups[0], refs)
                series.description = f"{series.description} (part {part + 1}: {why})"
            plan = plan_stack(refs)
            series.shape_zyx = plan.shape_zyx
            series.spacing_mm = plan.spacing_mm
            series.warnings = list(plan.warnings)
            if part == 0 and len(groups) > 1:
                series.warnings.append(
                    f"{len(groups) - 1} other part(s) of this series listed separately"
                )
            result.append(series)
    return result


def _open_index(index: ScanIndex | None | bool) -> ScanIndex | None:
    if index is not True:
        return index or None
    try:
        return default_index()
    except INDEX_ERRORS as exc:
        return _index_failed(exc)


_warned_about_index: list[str] = []


def _index_failed(exc: Exception) -> None:
    """The index is a cache: when it fails (a full disk, a locked or damaged file) the scan goes
    on without it, and says so once per process."""
    if not _warned_about_index:
        _warned_about_index.append(str(exc))
        warnings.warn(
            f"the study index is unavailable ({exc}); scanning without it", RuntimeWarning,
            stacklevel=3,
        )  # fmt: skip


def scan(
    path: str | Path,
    *,
    index: ScanIndex | None | bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Scan:
    """Scan `path` (a folder, recursively; a DICOMDIR; or one file) without reading pixels.

    `index=True` uses the local study index in the user data dir, so that reopening a folder
    re-reads only files whose size or modification time changed; pass a `ScanIndex` to use
    another, or False for none.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such file or folder")
    files, skipped = walk_files(root)
    result = Scan(root=str(root), errors=skipped)
    dicom_candidates = []
    files_set = set(files)
    for f in files:
        if os.path.basename(f).upper() in _SKIP_NAMES:
            listed, errors = dicomdir_files(Path(f))
            result.errors.extend(errors)
            dicom_candidates.extend(listed)
            # The DICOMDIR is a file of the folder too: list it (as a non-image object) unless
            # it is already named in the errors as unreadable.
            if not any(e.path == f for e in errors):
                dicom_candidates.append(f)
            continue
        if _is_record_part(f, files_set):
            continue
        if f.lower().endswith((".hea", ".edf")):
            item = _waveform_series(f)
            (result.errors if isinstance(item, ScanError) else result.series).append(item)
        elif is_itk_file(f):
            item = _itk_series(f)
            (result.errors if isinstance(item, ScanError) else result.series).append(item)
        else:
            dicom_candidates.append(f)
    # A folder holding a DICOMDIR lists its files twice: once walked, once referenced.
    dicom_candidates = list(dict.fromkeys(os.path.normpath(f) for f in dicom_candidates))
    store = _open_index(index)
    headers, todo = [], dicom_candidates
    if store is not None:
        try:
            cached, todo = store.lookup(dicom_candidates)
        except INDEX_ERRORS as exc:
            store, todo = _index_failed(exc), dicom_candidates
        else:
            for item in cached:
                (result.errors if isinstance(item, ScanError) else headers).append(item)
    fresh = read_headers(todo, progress)
    for item in fresh:
        (result.errors if isinstance(item, ScanError) else headers).append(item)
    if store is not None:
        try:
            store.store(todo, fresh)
            if root.is_dir():
                # Rows of files deleted since the last scan would keep their patients' data.
                store.keep_only(root, dicom_candidates)
        except INDEX_ERRORS as exc:
            _index_failed(exc)
    usable = []
    for h in headers:
        reason = unusable_image_reason(h)
        if reason:
            result.errors.append(ScanError(h.path, reason))
        else:
            usable.append(h)
    result.series.extend(build_series(usable))
    return result
