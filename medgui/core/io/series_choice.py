"""Which series of a scanned folder to open, and the label maps that belong to it.

A folder often holds one image series and a label map of it (the demo's ``labels.nii.gz``, a
segmentation saved beside its CT): an integer NIfTI/NRRD/MHA file on the same grid as an image
series, with a label table beside it or "label", "seg" or "mask" in its name, is that series'
labels, not a second series to choose from (a CT converted to NIfTI beside its DICOM is not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from medgui.core.io.itk import itk_safe_path, table_path_for
from medgui.core.io.scan import Scan, Series

_LABEL_WORDS = ("label", "seg", "mask")
# Spacings read from DICOM and from NIfTI agree to ~6 significant digits.
_SPACING_TOLERANCE = 1e-3
_INTEGER_PIXELS = {
    sitk.sitkUInt8, sitk.sitkInt8, sitk.sitkUInt16, sitk.sitkInt16, sitk.sitkUInt32,
    sitk.sitkInt32, sitk.sitkUInt64, sitk.sitkInt64,
}  # fmt: skip


class SeriesChoiceError(ValueError):
    """A folder of several series was opened without naming one (or the name fits none/many)."""


def _integer_pixels(path: str) -> bool:
    reader = sitk.ImageFileReader()
    try:
        with itk_safe_path(path) as name:
            reader.SetFileName(name)
            reader.ReadImageInformation()
    except (RuntimeError, OSError):
        return False
    return reader.GetPixelID() in _INTEGER_PIXELS and reader.GetNumberOfComponents() == 1


def _named_as_labels(path: str) -> bool:
    name = Path(path).name.lower()
    return table_path_for(path).is_file() or any(w in name for w in _LABEL_WORDS)


def _same_grid(a: Series, b: Series) -> bool:
    if a.shape_zyx is None or a.shape_zyx != b.shape_zyx or not a.spacing_mm or not b.spacing_mm:
        return False
    return bool(np.allclose(a.spacing_mm, b.spacing_mm, rtol=_SPACING_TOLERANCE))


def label_maps(found: Scan) -> dict[str, list[Series]]:
    """Image-series UID → the label-map files beside it (integer images on its grid)."""
    images = [s for s in found.image_series if s.format == "dicom"]
    result: dict[str, list[Series]] = {}
    for item in found.image_series:
        if item.format == "dicom":
            continue
        owners = [s for s in images if _same_grid(s, item)]
        if owners and _named_as_labels(item.path) and _integer_pixels(item.path):
            result.setdefault(owners[0].uid, []).append(item)
    return result


def describe(series: Series) -> str:
    number = "-" if series.series_number is None else str(series.series_number)
    return f"#{number} {series.modality or '?'} '{series.description}' ({series.uid})"


def choose_series(found: Scan, source: str | Path, wanted: str | None = None) -> Series:
    """The series `wanted` names (its UID, its series number or its description, exact or a
    unique part), or the folder's only series; ValueError listing the choices otherwise."""
    if not found.image_series:
        # Say what was found instead: unusable files, and objects that are not images (SR, SEG).
        problems = [f"{Path(e.path).name}: {e.reason}" for e in found.errors[:5]]
        problems += [f"{Path(s.files[0]).name}: {s.kind}, not an image" for s in found.series[:5]]
        reasons = "; ".join(problems)
        raise ValueError(
            f"{source}: no loadable image series" + (f" ({reasons})" if reasons else "")
        )
    as_labels = {id(s) for maps in label_maps(found).values() for s in maps}
    choices = [s for s in found.image_series if id(s) not in as_labels]
    if wanted is not None:
        return _match(choices, source, wanted)
    main = [s for s in choices if "#part" not in s.uid]
    if len({s.uid for s in main}) > 1:
        listing = "; ".join(describe(s) for s in main[:10])
        raise SeriesChoiceError(
            f"{source} holds {len(main)} series: {listing}; "
            "choose one by its UID, number or description"
        )
    return (main or choices)[0]


def _match(choices: list[Series], source: str | Path, wanted: str) -> Series:
    text = wanted.strip()
    tests = (
        lambda s: s.uid == text,
        lambda s: text.isdigit() and s.series_number == int(text) and "#part" not in s.uid,
        lambda s: s.description.lower() == text.lower(),
        lambda s: text.lower() in s.description.lower(),
    )
    for test in tests:
        hits = [s for s in choices if test(s)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            listing = "; ".join(describe(s) for s in hits[:10])
            raise SeriesChoiceError(f"{source}: {wanted!r} matches {len(hits)} series: {listing}")
    listing = "; ".join(describe(s) for s in choices[:10])
    raise SeriesChoiceError(f"{source}: no series matches {wanted!r}; its series: {listing}")
