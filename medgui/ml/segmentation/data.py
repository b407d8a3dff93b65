"""Segmentation data: image/label pairs from folders, the workspace or memory, split by patient
or series, preprocessed once, and served as training slices (2-D) or patches (3-D).

Small data is the normal case, so every series is loaded, normalised and resampled once and held
in memory as float32 in [0, 1] with a uint8 class index per voxel; an epoch then costs only the
crops and the augmentation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.transforms import Compose
from torch.utils.data import Dataset

from medgui.core.image.volume import Volume
from medgui.core.io.itk import is_itk_file, itk_suffix
from medgui.core.io.load import load_volume
from medgui.core.io.scan import scan
from medgui.core.labels.io import load_label_map
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.workspace.layout import is_workspace
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ml.models.task import validation_problem
from medgui.ml.segmentation.transforms import crop_start, pad_to

# Name endings that mark a label file ("case01_seg.nii.gz" labels "case01.nii.gz"), and the
# nnU-Net channel ending of image files ("case01_0000.nii.gz").
_LABEL_ENDINGS = ("_seg", "_label", "_labels", "_mask", "_gt", "-seg", "-label", "-labels")
_CHANNEL_ENDING = "_0000"


@dataclass
class RawCase:
    """One series with its labels, not yet loaded: `load()` gives (Volume, LabelMap)."""

    id: str
    files: list[str]
    load: Callable[[], tuple[Volume, LabelMap]]
    uid: str = ""


@dataclass
class LoadedCase:
    id: str
    group: str  # the unit of the split: the patient when known, else the series
    volume: Volume
    labels: np.ndarray  # the label map's layers flattened (later layers on top)
    table: LabelTable
    files: list[str] = field(default_factory=list)
    uid: str = ""


@dataclass
class Case:
    """A preprocessed series: what the datasets serve."""

    id: str
    image: np.ndarray  # float32 (z, y, x) in [0, 1], at the model's spacing
    label: np.ndarray  # uint8 (z, y, x) class indices


def _stem(path: Path) -> str:
    suffix = itk_suffix(path)
    return path.name[: -len(suffix)] if suffix else path.name


def _match_key(stem: str) -> str:
    key = stem.lower()
    for ending in (*_LABEL_ENDINGS, _CHANNEL_ENDING):
        if key.endswith(ending):
            return key[: -len(ending)]
    return key


def folder_cases(images: str | Path, labels: str | Path | None) -> tuple[list[RawCase], list]:
    """Image files (NIfTI/NRRD/MHA) or DICOM series folders in `images`, each paired with the
    label file in `labels` of the same name (ignoring endings like "_seg" or "_0000"). Images
    without labels and labels without images are reported in the returned problems."""
    images = Path(images)
    if not images.is_dir():
        raise ValueError(f"{images}: not a folder of images")
    if labels is None:
        raise ValueError("segmentation needs label maps: give the folder of labels (--labels)")
    labels = Path(labels)
    if not labels.is_dir():
        raise ValueError(f"{labels}: not a folder of label maps")
    label_files: dict[str, Path] = {}
    problems: list[str] = []
    for path in sorted(p for p in labels.iterdir() if is_itk_file(p)):
        key = _match_key(_stem(path))
        if key in label_files:
            problems.append(f"{path}: a second label file for {key!r}; left out")
        else:
            label_files[key] = path
    cases = []
    for path in sorted(images.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or is_itk_file(path)):
            continue
        label_path = label_files.pop(_match_key(_stem(path)), None)
        if label_path is None:
            problems.append(f"{path}: no label file with the same name in {labels}; left out")
            continue

        def load(image=path, label=label_path) -> tuple[Volume, LabelMap]:
            volume = load_volume(image)
            return volume, load_label_map(label, reference=volume)

        cases.append(RawCase(_stem(path), [str(path), str(label_path)], load))
    problems += [
        f"{p}: no image with the same name in {images}; left out" for p in label_files.values()
    ]
    return cases, problems


def _image_source(work: SeriesWork) -> str | Any:
    """What to load for a workspace series: its image file, or its DICOM series (by UID) in
    one of its recorded folders."""
    for source in map(Path, work.source_paths):
        if source.is_file() and is_itk_file(source):
            return str(source)
        if source.is_dir():
            found = [s for s in scan(source).image_series if s.uid in (work.uid, work.key)]
            if found:
                return found[0]
    raise ValueError(
        f"series {work.description or work.key}: images not found in {work.source_paths}"
    )


def workspace_cases(workspace: Workspace) -> tuple[list[RawCase], list[str]]:
    """The saved series of `workspace` that have a label map with something painted."""
    cases, problems = [], []
    for key in workspace.series_keys():
        try:
            work = workspace.load_series(key)
        except ValueError as error:
            problems.append(f"{key}: {error}; left out")
            continue
        if work is None or work.labelmap is None:
            continue
        if not any(layer.any() for layer in work.labelmap.layers):
            continue

        def load(work=work) -> tuple[Volume, LabelMap]:
            volume = load_volume(_image_source(work))
            if not work.labelmap.matches(volume):
                raise ValueError("its label map is not on the image's grid")
            return volume, work.labelmap

        cases.append(RawCase(key, list(work.source_paths), load, work.uid))
    return cases, problems


def _as_labelmap(item: LabelMap | Volume) -> LabelMap:
    if isinstance(item, LabelMap):
        return item
    return LabelMap([np.asarray(item.array)], item.spacing_mm, item.origin, item.direction)


def find_cases(sources: Any) -> tuple[list[RawCase], list[str]]:
    """The cases `sources` names: {"images": DIR, "labels": DIR} (the CLI's folders),
    {"workspace": DIR}, a `Workspace`, a workspace folder, or (id, Volume, LabelMap) tuples."""
    if isinstance(sources, Mapping) and sources.get("workspace"):
        sources = Workspace(sources["workspace"])
    elif isinstance(sources, str | Path) and is_workspace(sources):
        sources = Workspace(sources)
    if isinstance(sources, Workspace):
        return workspace_cases(sources)
    if isinstance(sources, Mapping) and sources.get("images"):
        return folder_cases(sources["images"], sources.get("labels"))
    if isinstance(sources, list | tuple) and all(isinstance(s, tuple) for s in sources):
        return [
            RawCase(str(i), [], lambda v=v, m=m: (v, _as_labelmap(m))) for i, v, m in sources
        ], []
    raise ValueError(
        "segmentation data must be image and label folders, a workspace, or "
        f"(id, Volume, LabelMap) tuples; got {type(sources).__name__}"
    )


def flatten_layers(labelmap: LabelMap) -> np.ndarray:
    """One array from the map's layers: later layers win where structures overlap (a lesion
    layer over its organ), since a softmax network gives each voxel one class."""
    flat = np.array(labelmap.layers[0], copy=True)
    for layer in labelmap.layers[1:]:
        np.copyto(flat, layer, where=layer > 0)
    return flat


def load_cases(raw: list[RawCase], problems: list[str]) -> list[LoadedCase]:
    """Load every case; one that fails is reported in `problems` and left out."""
    loaded = []
    for case in raw:
        try:
            volume, labelmap = case.load()
        except (ValueError, OSError) as error:
            problems.append(f"{case.id}: {error}; left out")
            continue
        group = str(volume.metadata.get("PatientID") or "").strip()
        loaded.append(
            LoadedCase(
                case.id,
                f"patient:{group}" if group else f"series:{case.id}",
                volume,
                flatten_layers(labelmap),
                labelmap.table,
                case.files,
                case.uid or str(volume.metadata.get("SeriesInstanceUID") or ""),
            )
        )
    return loaded


def split_by_group(
    cases: list[LoadedCase], val_split: float, seed: int, validation: str = "patient"
) -> tuple[list[LoadedCase], list[LoadedCase], str]:
    """Training and validation cases with no patient (`validation` "patient") or no series
    ("series") on both sides, or all for training ("none"); and the reason ("" if none) why
    the split asked for cannot be made (`validation_problem`), with nothing to validate on."""
    if not 0 <= val_split < 1:
        raise ValueError(f"val_split must be at least 0 and below 1, got {val_split}")
    by_series = validation == "series"
    key = {id(c): f"series:{c.id}" if by_series else c.group for c in cases}
    groups = sorted(set(key.values()))
    reason = validation_problem(
        len({c.group for c in cases}), len({c.id for c in cases}), validation
    )
    if reason or validation == "none":
        return list(cases), [], reason
    n_val = min(len(groups) - 1, max(1, round(val_split * len(groups)))) if val_split > 0 else 0
    order = np.random.default_rng(seed).permutation(len(groups))
    val_groups = {groups[i] for i in order[:n_val]}
    train = [c for c in cases if key[id(c)] not in val_groups]
    return train, [c for c in cases if key[id(c)] in val_groups], ""


def _plain(value: Any) -> torch.Tensor:
    """A MONAI MetaTensor (or array) as a plain tensor: collating and training skip the meta."""
    return value.as_tensor() if hasattr(value, "as_tensor") else torch.as_tensor(value)


class _Augmented(Dataset):
    """Shared by the training datasets: per-sample randomness from (seed, epoch, index), so an
    epoch's samples are the same whatever ran before — a resumed run sees what an uninterrupted
    one would, and any number of loader workers gives the same batches."""

    def __init__(self, augment: Compose | None, seed: int) -> None:
        self.augment, self.seed, self.epoch = augment, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, index])

    def _finish(self, image: np.ndarray, label: np.ndarray, rng: np.random.Generator):
        pair = {"image": image[None].astype(np.float32), "label": label[None].astype(np.float32)}
        if self.augment is not None:
            self.augment.set_random_state(seed=int(rng.integers(2**31)))
            pair = self.augment(pair)
        return _plain(pair["image"]).float(), torch.round(_plain(pair["label"])).long()


class SliceDataset(_Augmented):
    """2-D training samples: every labelled slice twice and empty slices up to as many as the
    labelled ones (drawn anew each epoch), each cropped or padded to `patch` pixels."""

    def __init__(self, cases: list[Case], patch: int, augment: Compose | None, seed: int) -> None:
        super().__init__(augment, seed)
        self.cases, self.patch = cases, (patch, patch)
        self.labelled, self.empty = [], []
        for c, case in enumerate(cases):
            has_label = case.label.reshape(case.label.shape[0], -1).any(axis=1)
            for z, hit in enumerate(has_label):
                (self.labelled if hit else self.empty).append((c, z))
        if not self.labelled:
            raise ValueError("the training series have no labelled slices")

    def __len__(self) -> int:
        return 2 * len(self.labelled) + min(len(self.empty), len(self.labelled))

    def __getitem__(self, index: int):
        rng = self._rng(index)
        n = len(self.labelled)
        c, z = (
            self.labelled[index % n] if index < 2 * n else self.empty[rng.integers(len(self.empty))]
        )
        image = pad_to(self.cases[c].image[z], self.patch)
        label = pad_to(self.cases[c].label[z], self.patch)
        y, x = crop_start(image.shape, self.patch, rng, label)
        (h, w) = self.patch
        return self._finish(image[y : y + h, x : x + w], label[y : y + h, x : x + w], rng)


class PatchDataset(_Augmented):
    """3-D training samples: `per_case` patches of `patch` (z, y, x) voxels from each case."""

    def __init__(self, cases, patch: tuple[int, int, int], per_case: int, augment, seed) -> None:
        super().__init__(augment, seed)
        self.cases, self.patch, self.per_case = cases, tuple(patch), per_case

    def __len__(self) -> int:
        return len(self.cases) * self.per_case

    def __getitem__(self, index: int):
        rng = self._rng(index)
        case = self.cases[index // self.per_case]
        image, label = pad_to(case.image, self.patch), pad_to(case.label, self.patch)
        start = crop_start(image.shape, self.patch, rng, label)
        window = tuple(slice(s, s + n) for s, n in zip(start, self.patch, strict=True))
        return self._finish(image[window], label[window], rng)


def collate_cases(items: list[dict]) -> list[dict]:
    """Validation batches stay lists: whole series differ in size."""
    return items


class CaseDataset(Dataset):
    """Whole preprocessed series, for validation by sliding-window inference."""

    collate_fn = staticmethod(collate_cases)

    def __init__(self, cases: list[Case]) -> None:
        self.cases = cases

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, index: int) -> dict[str, Any]:
        case = self.cases[index]
        return {
            "id": case.id,
            "image": torch.from_numpy(case.image),
            "label": torch.from_numpy(case.label),
        }
