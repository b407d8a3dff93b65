"""Helpers for the DICOM I/O tests: real test files, generated series, file geometry."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterable
from pathlib import Path

import data_store
import numpy as np
import pydicom
import pytest

from medgui.core.image.volume import Volume
from medgui.core.io.scan import Scan

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
PYDICOM_DATA = Path(data_store.__file__).parent / "data"
REAL_ROOTS = (PYDICOM_FILES, PYDICOM_DATA)


def real_file(name: str) -> Path:
    """A file of the pydicom wheel or of pydicom-data, by name (never downloads)."""
    for root in REAL_ROOTS:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(name)


def read_dataset(path: str | Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def modality_pixels(path: str | Path) -> np.ndarray:
    """pydicom's pixels of a file in modality units (the reference the loader must match)."""
    ds = read_dataset(path)
    source = ds
    if "SharedFunctionalGroupsSequence" in ds:  # enhanced objects: the shared rescale
        shared = ds.SharedFunctionalGroupsSequence[0]
        if "PixelValueTransformationSequence" in shared:
            source = shared.PixelValueTransformationSequence[0]
    slope = float(source.get("RescaleSlope", 1) or 1)
    intercept = float(source.get("RescaleIntercept", 0) or 0)
    return ds.pixel_array * slope + intercept


def ramp_volume(
    shape=(20, 32, 32),
    spacing=(0.7, 0.8, 2.5),
    origin=(-11.0, -12.5, 30.0),
    direction=None,
    start: int = 0,
) -> Volume:
    """A volume whose every voxel holds a different value (start, start + 1, ...)."""
    n = int(np.prod(shape))
    array = (np.arange(n, dtype=np.int32) + start).reshape(shape).astype(np.int16)
    return Volume(array, spacing, origin, np.eye(3) if direction is None else direction)


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """A proper rotation (det +1) from angles about x, y and z, in degrees."""
    a, b, c = np.radians([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def patch_files(paths: Iterable[Path], **values) -> None:
    """Set header attributes (by keyword) in existing files, in place."""
    for path in paths:
        ds = read_dataset(path)
        for keyword, value in values.items():
            setattr(ds, keyword, value)
        ds.save_as(path, enforce_file_format=True)


def set_positions(paths: list[Path], positions: Iterable[Iterable[float]]) -> None:
    """Rewrite ImagePositionPatient of each file."""
    for path, position in zip(paths, positions, strict=True):
        patch_files([path], ImagePositionPatient=[f"{v:.6f}" for v in position])


def assert_geometry_matches_files(volume: Volume, samples: int = 12, seed: int = 0) -> None:
    """For sampled voxels: voxel_to_world equals the position that the source file of that
    slice gives the voxel (IPP + i·row·Δcol + j·col·Δrow), and the voxel value equals that
    file's pixel (pydicom, modality units)."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = volume.shape_zyx
    present = [k for k, (path, _) in enumerate(volume.slice_sources) if path]
    assert present, "no slice has a source file"
    cache: dict[str, tuple[pydicom.Dataset, np.ndarray]] = {}
    picks = [(0, 0, present[0]), (nx - 1, ny - 1, present[-1])]
    picks += [(int(rng.integers(nx)), int(rng.integers(ny)), int(rng.choice(present)))]
    picks += [
        (int(rng.integers(nx)), int(rng.integers(ny)), int(rng.choice(present)))
        for _ in range(samples)
    ]
    for i, j, k in picks:
        path, frame = volume.slice_sources[k]
        if path not in cache:
            cache[path] = (read_dataset(path), modality_pixels(path))
        ds, pixels = cache[path]
        ipp, iop, spacing = _frame_geometry(ds, frame)
        row_dir, col_dir = np.asarray(iop[:3]), np.asarray(iop[3:])
        expected = ipp + i * row_dir * spacing[1] + j * col_dir * spacing[0]
        np.testing.assert_allclose(volume.voxel_to_world((i, j, k)), expected, atol=2e-3)
        frame_pixels = pixels[frame] if pixels.ndim == 3 else pixels
        assert volume.array[k, j, i] == frame_pixels[j, i], (i, j, k, path)


def _frame_geometry(ds: pydicom.Dataset, frame: int):
    if "PerFrameFunctionalGroupsSequence" in ds:
        per_frame = ds.PerFrameFunctionalGroupsSequence[frame]
        shared = ds.SharedFunctionalGroupsSequence[0]
        ipp = per_frame.PlanePositionSequence[0].ImagePositionPatient
        iop = shared.PlaneOrientationSequence[0].ImageOrientationPatient
        spacing = shared.PixelMeasuresSequence[0].PixelSpacing
    else:
        ipp, iop, spacing = ds.ImagePositionPatient, ds.ImageOrientationPatient, ds.PixelSpacing
    return np.asarray(ipp, float), [float(v) for v in iop], [float(v) for v in spacing]


def assert_each_file_once(found: Scan, files: Iterable[Path]) -> None:
    """Every file is in exactly one place: one series, or Scan.errors with a reason."""
    places: dict[str, list[str]] = {}
    for series in found.series:
        for path in series.files:
            places.setdefault(str(Path(path).resolve()), []).append(f"series {series.uid}")
    for error in found.errors:
        assert error.reason.strip(), f"{error.path}: empty reason"
        places.setdefault(str(Path(error.path).resolve()), []).append(f"error {error.reason}")
    for path in files:
        where = places.get(str(Path(path).resolve()), [])
        assert len(where) == 1, f"{path} appears {len(where)} times: {where}"


def assert_plausible(volume: Volume) -> None:
    """Finite positive spacing, an invertible direction, finite values, a consistent shape."""
    assert volume.array.size > 0
    assert all(np.isfinite(s) and s > 0 for s in volume.spacing_mm), volume.spacing_mm
    assert np.all(np.isfinite(volume.origin)), volume.origin
    assert abs(np.linalg.det(volume.direction)) > 1e-3, volume.direction
    assert volume.array.shape[:3] == volume.shape_zyx
    if volume.slice_sources:
        assert len(volume.slice_sources) == volume.shape_zyx[0]
    assert np.all(np.isfinite(volume.array.astype(np.float64)))


def dciodvfy_errors(path) -> list[str]:
    """The lines dciodvfy starts with "Error" (it writes its findings to stderr)."""
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (Debian/Ubuntu package dicom3tools) is not installed")
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
    return [
        line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")
    ]
