"""NIfTI, NRRD and MetaImage volumes through SimpleITK.

ITK already works in LPS and orders spacing/origin/direction as (i, j, k), and
``sitk.GetArrayFromImage`` returns ``(z, y, x)``: a `Volume` maps onto an ITK image one to one,
so no axis flips happen here (NIfTI's RAS is converted to LPS by ITK's own reader and writer).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from medgui.core.image.volume import Volume
from medgui.core.util.atomic import atomic_writer

ITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")

_FORMAT_BY_SUFFIX = {
    ".nii": "nifti",
    ".nii.gz": "nifti",
    ".nrrd": "nrrd",
    ".nhdr": "nrrd",
    ".mha": "mha",
    ".mhd": "mha",
}
# Single-file formats worth compressing; detached headers (.nhdr/.mhd) stay raw so that other
# tools can memory-map their data file, and plain .nii is uncompressed by definition.
_COMPRESSED_SUFFIXES = (".nii.gz", ".nrrd", ".mha")
# Single-file formats can be written to a temporary name and renamed; a detached header names its
# data file, so a rename would break the link.
_SINGLE_FILE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")
# MetaImage stores modality as an enum; NRRD keeps whatever string was written.
_METAIO_MODALITY = {"MET_MOD_CT": "CT", "MET_MOD_MR": "MR", "MET_MOD_NM": "NM", "MET_MOD_US": "US"}
# DICOM direction cosines carry ~6 significant digits; anything looser is a real shear.
_ORTHONORMAL_TOLERANCE = 1e-4
# Below this much free space a short write is put down to a full disk.
_LOW_SPACE_BYTES = 1 << 20


def itk_suffix(path: str | Path) -> str | None:
    """The ITK suffix of `path` (lower case, ``.nii.gz`` as one suffix), or None."""
    name = Path(path).name.lower()
    # Longest first, so that ".nii.gz" wins over a bare ".gz" mismatch.
    for suffix in sorted(ITK_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return None


def is_itk_file(path: str | Path) -> bool:
    """True when `path` has a NIfTI, NRRD or MetaImage suffix (case-insensitive)."""
    return itk_suffix(path) is not None


def _sitk_reason(error: RuntimeError) -> str:
    """The human part of a SimpleITK exception (it prefixes the C++ source location)."""
    text = str(error).strip()
    marker = "sitk::ERROR:"
    if marker in text:
        text = text.split(marker, 1)[1]
    return " ".join(text.split())


def _modality(image: sitk.Image) -> str:
    if not image.HasMetaDataKey("Modality"):
        return ""
    value = image.GetMetaData("Modality").strip()
    if value.startswith("MET_MOD_"):
        return _METAIO_MODALITY.get(value, "")
    return value


def _collapse_4d(image: sitk.Image, path: Path) -> tuple[sitk.Image, list[str]]:
    """First 3-D volume of a 4-D image, with a warning naming how many were dropped.

    `Volume` has no time axis and its 4th array axis means colour, so stacking frames would be
    misread as channels; showing the first frame and saying so is the honest option.
    """
    n_frames = image.GetSize()[3]
    size = list(image.GetSize()[:3]) + [0]
    first = sitk.Extract(
        image,
        size=size,
        index=[0, 0, 0, 0],
        directionCollapseToStrategy=sitk.ExtractImageFilter.DIRECTIONCOLLAPSETOSUBMATRIX,
    )
    warnings = []
    if n_frames > 1:
        warnings.append(
            f"{path.name} is 4-D with {n_frames} volumes; showing the first, {n_frames - 1} dropped"
        )
    return first, warnings


@contextmanager
def itk_safe_path(path: str | Path, writing: bool = False) -> Iterator[str]:
    """A name SimpleITK can take for `path`.

    SimpleITK aborts the whole process (std::logic_error) on a path that is not valid UTF-8, such
    as a Latin-1 name from an old CD. Such a file is read through an ASCII-named link (or copy)
    in a temporary folder, and written to an ASCII name, then renamed to `path`.
    """
    path = Path(path)
    if _utf8(str(path)):
        yield str(path)
        return
    suffix = itk_suffix(path) or ""
    with tempfile.TemporaryDirectory(prefix="medgui-") as folder:
        if writing:
            # The same folder when its own name allows it, so that the rename cannot cross disks.
            near = path.parent if _utf8(str(path.parent.absolute())) else Path(folder)
            temporary = near / f".medgui-{uuid.uuid4().hex}{suffix}"
            try:
                yield str(temporary)
                shutil.move(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
            return
        link = Path(folder) / f"image{suffix}"
        try:
            os.symlink(path.absolute(), link)
        except OSError:
            shutil.copyfile(path, link)
        yield str(link)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_itk_volume(path: str | Path) -> Volume:
    """Read a NIfTI/NRRD/MetaImage file into a `Volume` (geometry exactly as ITK reports it).

    Vector pixels become ``(z, y, x, c)``; a 2-D image becomes one slice with a 1 mm slice
    spacing and a warning; a 4-D image keeps its first volume with a warning. Raises `ValueError`
    naming the file and the reason when it is missing or not a readable image.
    """
    path = Path(path)
    suffix = itk_suffix(path)
    if suffix is None:
        raise ValueError(f"{path}: not a NIfTI/NRRD/MetaImage file (expected {ITK_SUFFIXES})")
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    if suffix == ".nii.gz" and path.with_name(path.name[:-3]).exists():
        # niftilib opens "x.nii" in place of "x.nii.gz" when both exist: refuse to guess.
        raise ValueError(
            f"{path}: {path.name[:-3]} lies beside it and the NIfTI reader would read that file "
            "instead; rename one of them"
        )
    try:
        with itk_safe_path(path) as name:
            image = sitk.ReadImage(name)
    except RuntimeError as error:
        raise ValueError(f"{path}: cannot read image: {_sitk_reason(error)}") from error

    warnings: list[str] = []
    dimension = image.GetDimension()
    if dimension == 4:
        image, warnings = _collapse_4d(image, path)
        dimension = 3
    elif dimension not in (2, 3):
        raise ValueError(f"{path}: {dimension}-D images are not supported (need 2-D, 3-D or 4-D)")

    array = sitk.GetArrayFromImage(image)
    if np.iscomplexobj(array):
        raise ValueError(f"{path}: complex-valued images are not supported")
    spacing = image.GetSpacing()
    origin = image.GetOrigin()
    direction = np.asarray(image.GetDirection(), dtype=float).reshape(dimension, dimension)
    if dimension == 2:
        # One slice of a 3-D volume: in-plane geometry kept, the slice normal is the third axis.
        array = array[np.newaxis]
        spacing = (*spacing, 1.0)
        origin = (*origin, 0.0)
        direction = np.block([[direction, np.zeros((2, 1))], [np.zeros((1, 2)), np.ones((1, 1))]])
        warnings.append(f"{path.name} is a 2-D image; shown as one slice with 1 mm thickness")

    return Volume(
        array=array,
        spacing_mm=spacing,
        origin=origin,
        direction=direction,
        warnings=warnings,
        metadata={
            "Modality": _modality(image),
            "SeriesDescription": path.name,
            "source_format": _FORMAT_BY_SUFFIX[suffix],
            # The series key of files without DICOM UIDs (workspace, measurements).
            "source_path": str(path.resolve()),
            "itk": {key: image.GetMetaData(key) for key in image.GetMetaDataKeys()},
        },
    )


def _check_orthonormal(direction: np.ndarray, path: Path) -> None:
    if not np.allclose(direction.T @ direction, np.eye(3), atol=_ORTHONORMAL_TOLERANCE):
        raise ValueError(
            f"{path}: the volume's direction matrix is not orthonormal (a sheared grid, e.g. from "
            "a gantry-tilted CT); NIfTI/NRRD/MetaImage cannot store it, resample the volume onto "
            "an orthonormal grid first"
        )


def _to_image(volume: Volume) -> sitk.Image:
    array = volume.array
    # SimpleITK has no bool or float16 pixel type; widen them to the nearest one it has.
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    elif array.dtype == np.float16:
        array = array.astype(np.float32)
    image = sitk.GetImageFromArray(np.ascontiguousarray(array), isVector=volume.is_color)
    image.SetSpacing(volume.spacing_mm)
    image.SetOrigin(volume.origin)
    image.SetDirection(tuple(volume.direction.ravel()))
    if volume.modality:
        image.SetMetaData("Modality", volume.modality)
    return image


def _verify_written(image: sitk.Image, temporary: Path, path: Path) -> None:
    """Read `temporary` back and compare its voxels with `image`'s.

    ITK's NIfTI writer does not fail on a short write (a full disk, a file-size limit): it only
    prints "NWAD: wrote only 0 of N bytes" and returns, and the cut file may still read back,
    with its missing voxels zero. Only reading it back tells.
    """
    try:
        # Through a safe name: SimpleITK aborts the process on a path it cannot encode.
        with itk_safe_path(temporary) as name:
            written = sitk.ReadImage(name)
    except RuntimeError as error:
        hint = _full_disk_hint(path)
        raise OSError(f"{path}: short write ({hint}): {_sitk_reason(error)}") from error
    expected, got = sitk.GetArrayViewFromImage(image), sitk.GetArrayViewFromImage(written)
    same = expected.shape == got.shape and expected.dtype == got.dtype
    if same and np.issubdtype(expected.dtype, np.floating):
        # ITK's NIfTI reader turns NaN and infinities into 0: not a short write.
        expected, got = (np.where(np.isfinite(a), a, 0) for a in (expected, got))
    if not same or not np.array_equal(expected, got):
        raise OSError(
            f"{path}: short write ({_full_disk_hint(path)}): the file read back differs from "
            "the volume; the previous file, if any, is kept"
        )


def _full_disk_hint(path: Path) -> str:
    """Why a write came out short, as far as the OS lets us tell."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return "disk full or file-size limit reached"
    if free < _LOW_SPACE_BYTES:
        return f"No space left on device, {free} bytes free"
    return "disk full or file-size limit reached"


def write_itk_volume(volume: Volume, path: str | Path) -> Path:
    """Write `volume` as NIfTI/NRRD/MetaImage, the format chosen by the suffix of `path`.

    The pixel type is kept (label maps stay integer), colour volumes become vector images, and
    ``.nii.gz``/``.nrrd``/``.mha`` are compressed. Single-file formats are written atomically
    (temporary file in the same folder, read back and compared, fsync, rename): a short write
    raises `OSError` naming the file and keeps the previous one. A non-orthonormal direction
    matrix raises `ValueError` rather than being resampled here, because resampling needs a
    choice (linear for intensities, nearest for labels) that only the caller can make.
    """
    path = Path(path)
    suffix = itk_suffix(path)
    if suffix is None:
        raise ValueError(f"{path}: unknown format (expected one of {ITK_SUFFIXES})")
    _check_orthonormal(volume.direction, path)
    try:
        image = _to_image(volume)
    except TypeError as error:
        raise ValueError(f"{path}: cannot store voxels of type {volume.array.dtype}") from error
    use_compression = suffix in _COMPRESSED_SUFFIXES
    if suffix not in _SINGLE_FILE_SUFFIXES:
        _write_checked(image, path, path, use_compression)
        return path
    with atomic_writer(path) as temporary:
        _write_checked(image, temporary, path, use_compression)
    return path


def _write_checked(image: sitk.Image, target: Path, path: Path, use_compression: bool) -> None:
    """Write `image` to `target` (`path` itself or its temporary) and read it back."""
    try:
        with itk_safe_path(target, writing=True) as name:
            sitk.WriteImage(image, name, useCompression=use_compression)
    except RuntimeError as error:
        raise ValueError(f"{path}: cannot write image: {_sitk_reason(error)}") from error
    _verify_written(image, target, path)


def table_path_for(path: str | Path) -> Path:
    """The sidecar of a label file: ``<name>.labels.json`` with the image suffix removed."""
    path = Path(path)
    suffix = itk_suffix(path) or path.suffix
    return path.with_name(path.name[: len(path.name) - len(suffix)] + ".labels.json")
