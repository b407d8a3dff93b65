"""Label maps as NIfTI (.nii, .nii.gz), NRRD (.nrrd) and MetaImage (.mha) files, with a JSON
label-table sidecar.

One layer is written as an ordinary 3-D integer image, which every tool reads. Several layers
(overlapping structures) are written as one vector image with a component per layer (NIfTI
intent "vector", an NRRD vector axis), so no overlap is flattened. uint8/uint16 are kept.

The label table lives beside the image as ``<name>.labels.json`` (``liver.nii.gz`` →
``liver.labels.json``)::

    {"format": "medgui-labels", "version": 1,
     "labels": [{"value": 1, "name": "Liver", "color": [230, 159, 0], "visible": true,
                 "opacity": 0.5, "locked": false, "layer": 0,
                 "category": "Tissue", "type": "Organ"}, ...]}

The sidecar is optional on load: values found in the image without a row get "Label k".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from medgui.core.image.volume import Volume
from medgui.core.io.itk import itk_suffix, read_itk_volume, table_path_for, write_itk_volume
from medgui.core.io.load import load_volume
from medgui.core.io.scan import Series, scan
from medgui.core.io.series_choice import choose_series, label_maps
from medgui.core.labels.labelmap import DEFAULT_COLORS, Label, LabelMap, LabelTable
from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json

LABEL_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")
_FORMAT_BY_SUFFIX = {".nii": "nifti", ".nii.gz": "nifti", ".nrrd": "nrrd", ".mha": "mha"}
# A DICOM SEG: ".dcm", or no suffix at all as DICOM files often have.
SEG_SUFFIXES = (".dcm", "")
TABLE_FORMAT = "medgui-labels"
TABLE_VERSION = 1


class GeometryMismatchError(ValueError):
    """A label map that does not lie on its image's grid (the message states both grids)."""


def describe_grid(item: LabelMap | Volume) -> str:
    """One line for a grid, as `LabelMap.describe_grid` plus the axes (which can differ alone,
    e.g. a flipped axis); `item` is anything with shape_zyx, spacing_mm, origin, direction."""
    spacing = ", ".join(f"{s:.4g}" for s in item.spacing_mm)
    position = ", ".join(f"{o + 0.0:.4g}" for o in item.origin)
    size = "×".join(str(n) for n in reversed(tuple(item.shape_zyx)))
    columns = np.asarray(item.direction).T
    axes = "; ".join(", ".join(f"{v + 0.0:.3g}" for v in column) for column in columns)
    return f"{size} voxels, spacing {spacing} mm, origin {position}, axes ({axes})"


def painted_values(layer: np.ndarray) -> list[int]:
    """The non-zero values in a uint8/uint16 `layer`, from a lookup table filled slab by slab
    (np.unique would sort a copy of the whole map)."""
    present = np.zeros(int(np.iinfo(layer.dtype).max) + 1, bool)
    for start in range(0, layer.shape[0], 16):
        present[layer[start : start + 16]] = True
    return (np.flatnonzero(present[1:]) + 1).tolist()


def table_to_document(table: LabelTable) -> dict[str, Any]:
    """The JSON object that stores `table` (the sidecar's and the workspace's format)."""
    return {"format": TABLE_FORMAT, "version": TABLE_VERSION, "labels": table.to_json()}


def table_from_document(data: Any, source: str | Path) -> LabelTable:
    """Rebuild a table from `table_to_document` output; ValueError naming `source` otherwise."""
    if not isinstance(data, dict) or data.get("format") != TABLE_FORMAT:
        raise ValueError(f"{source}: not a medgui label table (format {TABLE_FORMAT!r} expected)")
    if data.get("version") != TABLE_VERSION:
        raise ValueError(f"{source}: unsupported label table version {data.get('version')!r}")
    try:
        table = LabelTable.from_json(data["labels"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{source}: malformed label table: {error}") from error
    values = [label.value for label in table.labels]
    if len(set(values)) != len(values) or any(not 0 < v <= 65535 for v in values):
        raise ValueError(f"{source}: label values must be unique and within 1..65535")
    return table


def read_table(path: str | Path) -> LabelTable:
    """Read a label-table JSON file; ValueError naming it when it is unreadable or malformed."""
    path = Path(path)
    return table_from_document(read_json(path), path)


def label_format(path: str | Path) -> str:
    """The format of the label file `path` by its suffix (case-insensitive): "nifti" (.nii,
    .nii.gz), "nrrd" (.nrrd), "mha" (.mha) or "seg" (DICOM SEG: .dcm or no suffix); ValueError
    naming the file for anything else. Detached headers (.nhdr, .mhd) are refused: a label map
    and its data must be one file, written atomically."""
    suffix = itk_suffix(path)
    if suffix in _FORMAT_BY_SUFFIX:
        return _FORMAT_BY_SUFFIX[suffix]
    if suffix is None and Path(path).suffix.lower() in SEG_SUFFIXES:
        return "seg"
    raise ValueError(
        f"{path}: a label file must end in {', '.join(LABEL_SUFFIXES)} or .dcm (DICOM SEG)"
    )


def _check_suffix(path: Path) -> None:
    if label_format(path) == "seg":
        raise ValueError(f"{path}: label maps are saved as {', '.join(LABEL_SUFFIXES)}")


def save_label_map(labelmap: LabelMap, path: str | Path, *, write_table: bool = True) -> Path:
    """Write `labelmap` (all layers, its own geometry) to a NIfTI/NRRD file, atomically, and its
    table to the ``<name>.labels.json`` sidecar unless `write_table` is False; returns the path."""
    path = Path(path)
    _check_suffix(path)
    dtype = np.result_type(*labelmap.layers)
    if dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{path}: label layers must be uint8 or uint16, not {dtype}")
    if len(labelmap.layers) == 1:
        array = labelmap.layers[0]
    else:
        # (z, y, x, layer): written as a vector image with one component per layer.
        array = np.stack(labelmap.layers, axis=-1).astype(dtype, copy=False)
    volume = Volume(array, labelmap.spacing_mm, labelmap.origin, labelmap.direction)
    write_itk_volume(volume, path)
    if write_table:
        atomic_write_json(table_path_for(path), table_to_document(labelmap.table))
    return path


def _check_not_4d(path: Path) -> None:
    """The image reader keeps only the first volume of a 4-D file; for labels that would drop
    layers silently, so say so instead (medgui writes layers as vector components)."""
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return  # read_itk_volume reports the reason with the file's name
    if reader.GetDimension() == 4 and reader.GetSize()[3] > 1:
        raise ValueError(
            f"{path}: a 4-D label image ({reader.GetSize()[3]} volumes) is not supported; "
            "save one volume per file, or the layers as vector components"
        )


def _read_layers(path: Path) -> tuple[list[np.ndarray], Volume]:
    _check_suffix(path)
    if path.is_file():
        _check_not_4d(path)
    volume = read_itk_volume(path)  # ValueError naming the file for missing/corrupt files
    array = volume.array
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.rint(array)):
            raise ValueError(f"{path}: not a label map (it holds non-integer values)")
    elif array.dtype.kind not in "iub":
        raise ValueError(f"{path}: not a label map (voxel type {array.dtype})")
    if array.size and (array.min() < 0 or array.max() > 65535):
        raise ValueError(f"{path}: label values must lie within 0..65535")
    dtype = array.dtype if array.dtype in (np.uint8, np.uint16) else np.uint8
    if dtype == np.uint8 and array.size and array.max() > 255:
        dtype = np.uint16
    if array.ndim == 3:
        return [array.astype(dtype, copy=False)], volume
    return [np.ascontiguousarray(array[..., c], dtype=dtype) for c in range(array.shape[3])], volume


def _complete_table(table: LabelTable, layers: list[np.ndarray]) -> LabelTable:
    """Add a "Label k" row for every painted value the table lacks (no voxel goes unnamed)."""
    table = LabelTable.from_json(table.to_json())  # the caller's table stays as it was
    known = {label.value for label in table.labels}
    for index, layer in enumerate(layers):
        for value in painted_values(layer):
            if value not in known:
                color = DEFAULT_COLORS[(value - 1) % len(DEFAULT_COLORS)]
                table.labels.append(Label(value, f"Label {value}", color, layer=index))
                known.add(value)
    return table


def resample_nearest(labelmap: LabelMap, reference: Volume) -> LabelMap:
    """`labelmap` moved onto `reference`'s grid by nearest-neighbour lookup (values never mix);
    voxels outside the source grid become 0."""
    target = sitk.Image([int(n) for n in reversed(reference.shape_zyx)], sitk.sitkUInt8)
    target.SetSpacing(reference.spacing_mm)
    target.SetOrigin(reference.origin)
    target.SetDirection(tuple(np.asarray(reference.direction, float).ravel()))
    layers = []
    for layer in labelmap.layers:
        image = sitk.GetImageFromArray(layer)
        image.SetSpacing(labelmap.spacing_mm)
        image.SetOrigin(labelmap.origin)
        image.SetDirection(tuple(np.asarray(labelmap.direction, float).ravel()))
        moved = sitk.Resample(image, target, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
        layers.append(sitk.GetArrayFromImage(moved).astype(layer.dtype, copy=False))
    return LabelMap(
        layers, reference.spacing_mm, reference.origin, reference.direction.copy(), labelmap.table
    )


def load_label_map(
    path: str | Path,
    reference: Volume | None = None,
    *,
    resample: bool = False,
    table: LabelTable | None = None,
) -> LabelMap:
    """Read a label map saved by `save_label_map` (or any integer NIfTI/NRRD label image).

    The table is `table` if given, else the sidecar if present, else "Label k" rows; painted
    values missing from it get "Label k" rows too. With a `reference` volume the map must lie
    on its grid: otherwise `GeometryMismatchError` states both grids, unless `resample` asks
    for nearest-neighbour resampling onto the reference. Unreadable, corrupt or non-label files
    raise ValueError naming the file and the reason.
    """
    path = Path(path)
    layers, volume = _read_layers(path)
    if table is None:
        sidecar = table_path_for(path)
        table = read_table(sidecar) if sidecar.is_file() else LabelTable()
    labelmap = LabelMap(
        layers, volume.spacing_mm, volume.origin, volume.direction, _complete_table(table, layers)
    )
    if reference is None or labelmap.matches(reference):
        return labelmap
    if resample:
        return resample_nearest(labelmap, reference)
    raise GeometryMismatchError(
        f"{path}: the label map's grid does not match the image's.\n"
        f"  label map: {describe_grid(labelmap)}\n"
        f"  image:     {describe_grid(reference)}\n"
        "Resample the label map onto the image (nearest neighbour) to use it anyway."
    )


def load_with_labels(
    path: str | Path, *, series: str | None = None, labels: str | Path | None = None
) -> tuple[Volume, LabelMap | None]:
    """The volume at `path` (`series` as in `load_volume`) and its labels: the file `labels`,
    else the label map lying beside the series on its grid (the first, if several), else None."""
    path = Path(path)
    target: Series | Path = path
    if labels is None and path.is_dir():
        found = scan(path)
        target = choose_series(found, path, series)
        beside = label_maps(found).get(target.uid)
        labels = beside[0].path if beside else None
    volume = load_volume(target, series=series)
    return volume, load_label_map(labels, volume) if labels is not None else None
