"""`load_volume`: a series, a folder, a DICOM file or a NIfTI/NRRD/MHA file → `Volume`.

`iter_load` is the same work as a generator: each `LoadProgress` it yields reports a slice that
has landed in the (preallocated, already geometrically correct) volume, so a viewer can show the
first slice at once, and a worker can cancel between slices by closing the generator.
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from medgui.core.dicom import pixels as px
from medgui.core.dicom.geometry import SlicePlan, plan_series
from medgui.core.dicom.instance import DicomReadError, InstanceHeader
from medgui.core.image.volume import Volume
from medgui.core.io.itk import is_itk_file, read_itk_volume
from medgui.core.io.scan import Series, scan
from medgui.core.io.series_choice import choose_series

# Compressed series with fewer files than this decode in-process: workers cost ~0.3 s to start.
POOL_MIN_FILES = 8
READ_THREADS = max(1, min(4, os.cpu_count() or 1))
_METADATA_FROM_HEADER = {
    "Modality": "modality",
    "PatientName": "patient_name",
    "PatientID": "patient_id",
    "PatientBirthDate": "patient_birth_date",
    "PatientSex": "patient_sex",
    "StudyDate": "study_date",
    "StudyTime": "study_time",
    "StudyDescription": "study_description",
    "StudyInstanceUID": "study_instance_uid",
    "SeriesInstanceUID": "series_instance_uid",
    "SeriesDescription": "series_description",
    "SeriesNumber": "series_number",
    "AccessionNumber": "accession_number",
    "PhotometricInterpretation": "photometric",
    "RescaleType": "rescale_type",
    "TransferSyntaxUID": "transfer_syntax_uid",
    "SOPClassUID": "sop_class_uid",
}


class LoadCancelled(Exception):
    """Raised by `load_volume` when its progress callback asks to stop."""


@dataclass
class LoadProgress:
    done: int
    total: int
    slice_index: int
    volume: Volume


def _metadata(h: InstanceHeader, plan: SlicePlan) -> dict:
    meta = {key: getattr(h, attr) for key, attr in _METADATA_FROM_HEADER.items()}
    if h.window_center is not None and h.window_width is not None:
        center = (
            px.invert_window(h, h.window_center)
            if h.photometric == "MONOCHROME1"
            else h.window_center
        )
        meta["WindowCenter"], meta["WindowWidth"] = center, h.window_width
    meta["frames_are_time"] = plan.frames_are_time
    meta["spacing_source"] = plan.spacing_source
    meta["oriented"] = plan.oriented
    meta["PatientOrientation"] = list(h.patient_orientation)
    meta["source_format"] = "dicom"
    return meta


def _resolve(source: str | Path | Series, series: str | None = None) -> Series | Path:
    if isinstance(source, Series):
        return source
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file() and is_itk_file(path):
        return path
    return choose_series(scan(path, index=path.is_dir()), path, series)


def iter_load(source: str | Path | Series, series: str | None = None) -> Iterator[LoadProgress]:
    """Load a volume slice by slice; every yield is a slice that landed (and a cancel point).
    `series` picks one series of a folder that holds several (see `choose_series`)."""
    target = _resolve(source, series)
    if isinstance(target, Path) or target.format != "dicom":
        volume = read_itk_volume(target if isinstance(target, Path) else target.path)
        yield LoadProgress(1, 1, 0, volume)
        return
    yield from _iter_dicom(target)


def _iter_dicom(series: Series) -> Iterator[LoadProgress]:
    plan, _ = plan_series(series.instances)
    refs = [r for r in plan.slices if r is not None]
    headers = list({id(r.header): r.header for r in refs}.values())
    fmt = px.choose_format(headers)
    n_acquired = len(plan.slices)
    rows, cols = refs[0].header.rows, refs[0].header.columns
    shape = (n_acquired, rows, cols) + ((3,) if fmt.is_color else ())
    # Which output slices each file fills: files are opened once, frames read in file order.
    jobs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_path = {}
    for k, ref in enumerate(plan.slices):
        if ref is not None:
            jobs[ref.header.path].append((ref.frame, k))
            by_path[ref.header.path] = ref.header
    # Files whose declared pixels cannot be in them fail before anything is allocated: a header
    # may declare petabytes (65535 frames of 65535 x 65535) in a file of a few kilobytes.
    early = {p: e for p in jobs if (e := _declared_size_problem(by_path[p])) is not None}
    if len(early) == len(jobs):
        _raise_none_readable(list(early.values()), refs)
    _check_memory(shape, fmt.dtype, headers)
    array = np.zeros(shape, fmt.dtype)
    volume = Volume(
        array,
        spacing_mm=plan.spacing_mm,
        origin=plan.origin,
        direction=plan.direction,
        # What the scan said about the series (other parts listed apart) holds for its volume.
        warnings=list(dict.fromkeys(plan.warnings + series.warnings)),
        metadata=_metadata(refs[0].header, plan),
        slice_sources=[(r.header.path, r.frame) if r else ("", -1) for r in plan.slices],
    )
    failed: list[int] = []
    problems: list[DicomReadError] = []
    done = 0
    readable = {p: slots for p, slots in jobs.items() if p not in early}
    for path, outcome in chain(early.items(), _read_all(readable, by_path, array)):
        slots = jobs[path]
        if isinstance(outcome, DicomReadError):
            failed.extend(k for _, k in slots)
            problems.append(outcome)
            volume.warnings.append(f"incomplete: {Path(path).name}: {outcome.reason}")
            volume.metadata["incomplete"] = True
        for _, k in slots:
            done += 1
            yield LoadProgress(done, len(refs), k, volume)
    if len(problems) == len(jobs):
        # Not one slice could be read: a blank volume would pass for an image, so say why instead.
        _raise_none_readable(problems, refs)
    _finish(volume, plan, failed)
    yield LoadProgress(done, len(refs), len(plan.slices) - 1, volume)


def _raise_none_readable(problems: list[DicomReadError], refs) -> None:
    if len(problems) == 1:
        raise problems[0]
    reasons = "; ".join(f"{Path(e.path).name}: {e.reason}" for e in problems[:3])
    folder = Path(refs[0].header.path).parent
    raise DicomReadError(folder, f"none of its {len(problems)} image files is readable: {reasons}")


def _declared_size_problem(h: InstanceHeader) -> DicomReadError | None:
    """An uncompressed file too small for the pixels its header declares, as an error."""
    if not px.can_read_directly(h):
        return None
    try:
        px.check_pixel_length(h)
    except DicomReadError as exc:
        return exc
    return None


def _check_memory(shape: tuple[int, ...], dtype: np.dtype, headers: list[InstanceHeader]) -> None:
    """Refuse a volume larger than the memory available, naming the file that declares most."""
    needed = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    available = available_memory()
    if available is None or needed <= available:
        return
    h = max(headers, key=lambda h: h.number_of_frames * h.rows * h.columns)
    raise DicomReadError(
        h.path,
        f"declares {h.number_of_frames} frame(s) of {h.rows}×{h.columns}: the series would need "
        f"{_gib(needed)} of memory, {_gib(available)} is available",
    )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (MemAvailable on Linux), None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def _read_all(jobs, by_path, array) -> Iterator[tuple[str, DicomReadError | None]]:
    """Read every file's frames into `array`, yielding (path, error or None) as each finishes."""
    direct = [p for p in jobs if px.can_read_directly(by_path[p])]
    decode = [p for p in jobs if p not in set(direct)]

    def read_direct(path: str) -> DicomReadError | None:
        try:
            px.read_frames_directly(by_path[path], [(f, array[k]) for f, k in jobs[path]])
        except DicomReadError as exc:
            return exc
        except OSError as exc:
            return DicomReadError(path, f"cannot read file ({exc})")
        return None

    if direct:
        # readinto and numpy release the GIL: two threads keep two cores copying pages.
        with ThreadPoolExecutor(max_workers=READ_THREADS) as threads:
            yield from zip(direct, threads.map(read_direct, direct), strict=True)
    if not decode:
        return
    if len(decode) < POOL_MIN_FILES:
        results = ((p, _decode_guarded(p)) for p in decode)
    else:
        pool = px.decode_pool()
        futures = {p: pool.submit(_decode_guarded, p) for p in decode}
        results = ((p, _pool_result(p, futures[p])) for p in decode)
    try:
        for path, decoded in results:
            if isinstance(decoded, DicomReadError):
                yield path, decoded
                continue
            try:
                px.place_decoded(decoded, by_path[path], [(f, array[k]) for f, k in jobs[path]])
                yield path, None
            except DicomReadError as exc:
                yield path, exc
    finally:
        if len(decode) >= POOL_MIN_FILES:
            for future in futures.values():
                future.cancel()


def _pool_result(path: str, future) -> np.ndarray | DicomReadError:
    """A worker's result; a worker that died (a decoder crash, the OOM killer) breaks the pool,
    which starts afresh for the next load (`WorkerPool`), and the files it held are named, not
    raised."""
    try:
        return future.result()
    except BrokenProcessPool:
        return DicomReadError(path, "the decoding process died (decoder crash or out of memory)")


def _decode_guarded(path: str) -> np.ndarray | DicomReadError:
    """Runs in a worker: errors come back as values so one bad slice never stops the series."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return px.decode_file(path)
        except DicomReadError as exc:
            return exc
        except MemoryError:
            return DicomReadError(path, "pixel data too large to decode")


def _finish(volume: Volume, plan: SlicePlan, failed: list[int]) -> None:
    """Blank slices (missing or undecodable) take the lowest value; uneven stacks are resampled."""
    blanks = [k for k, ref in enumerate(plan.slices) if ref is None] + failed
    if blanks:
        good = np.setdiff1d(np.arange(volume.array.shape[0]), blanks)
        low = volume.array[good].min() if good.size else 0
        volume.array[blanks] = low
    if plan.resample_from_mm is not None:
        positions = np.asarray(plan.resample_from_mm)
        volume.array = _resample_along_k(volume.array, positions, plan.spacing_mm[2])
        # slice_sources must describe the new grid: a slice that lies on an acquired one keeps
        # its file; an interpolated one comes from no single file.
        targets = positions[0] + plan.spacing_mm[2] * np.arange(volume.array.shape[0])
        sources = []
        for target in targets:
            hit = np.flatnonzero(np.abs(positions - target) < 1e-3)
            sources.append(volume.slice_sources[hit[0]] if hit.size else ("", -1))
        volume.slice_sources = sources


def _resample_along_k(array: np.ndarray, positions_mm: np.ndarray, step_mm: float) -> np.ndarray:
    """Linear interpolation between the two acquired slices around each regular position."""
    n = int(round((positions_mm[-1] - positions_mm[0]) / step_mm)) + 1
    targets = positions_mm[0] + step_mm * np.arange(n)
    upper = np.clip(np.searchsorted(positions_mm, targets, side="right"), 1, len(positions_mm) - 1)
    lower = upper - 1
    weight = (targets - positions_mm[lower]) / (positions_mm[upper] - positions_mm[lower])
    out = np.empty((n, *array.shape[1:]), array.dtype)
    for k in range(n):
        blend = array[lower[k]] * (1 - weight[k]) + array[upper[k]] * weight[k]
        out[k] = np.rint(blend) if out.dtype.kind in "iu" else blend
    return out


def load_volume(
    source: str | Path | Series,
    progress: Callable[[LoadProgress], bool | None] | None = None,
    *,
    series: str | None = None,
) -> Volume:
    """Load `source` (a Series from `scan`, a folder with one series, a DICOM file, or a
    NIfTI/NRRD/MHA file) into a `Volume` in modality units (HU for CT). In a folder of several
    series, `series` names one by UID, number or description; label maps on an image series'
    grid do not count as series of their own.

    `progress` is called for each slice that lands; returning False cancels (`LoadCancelled`).
    Problems that still allow a volume (gaps, uneven spacing, an undecodable slice) are listed in
    `Volume.warnings`; a source with no usable image raises ValueError naming it and the reason.
    """
    last = None
    loader = iter_load(source, series)
    for last in loader:
        if progress is not None and progress(last) is False:
            loader.close()
            raise LoadCancelled(f"loading {source} was cancelled")
    if last is None:
        raise ValueError(f"{source}: nothing to load")
    return last.volume
