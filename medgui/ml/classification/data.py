"""Classification data: where the labelled images come from, the split, and the datasets.

Two sources, each a small class with `collect()`:

* `ImageFolderSource`: ``DIR/<class>/**/<image>`` (PNG, JPEG or DICOM; the usual ImageFolder
  layout). The split unit is the patient when a DICOM file names one, else the file.
* `WorkspaceSource`: the images tagged in each series' `ClassTagSet` (the tagged slices; a
  single-image series may be tagged as a whole), by hand or from report text alike (how many
  came from text is counted for the model card). The split unit is the patient when the DICOM
  headers name one, else the series: slices of one series never land on both sides.

Unreadable files and unusable tags are listed as problems (shown to the user); the rest is used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.io.scan import Series
from medgui.core.workspace.sources import find_series
from medgui.core.workspace.store import Workspace
from medgui.core.workspace.synthetic import class_folder_name, synthetic_images
from medgui.ml.classification.images import (
    DEFAULT_CT_WINDOW,
    files_below,
    image_info,
    is_image_file,
    normalise,
    read_image,
    to_network_input,
)
from medgui.ml.classification.images import augment as augment_image


@dataclass(frozen=True)
class ImageRef:
    """One labelled image: frame `frame` of file `path`, or slice `frame` of a workspace series
    (`series` set to its key)."""

    path: str
    frame: int
    label: int
    group: str  # the split unit: "patient:<id>", "series:<key>" or "file:<path>"
    series: str = ""


@dataclass
class Collected:
    """What a source found: class names (label i is classes[i]), the images, whether any is in
    colour, the problems met, and what to load for each workspace series (empty for files)."""

    classes: list[str]
    refs: list[ImageRef]
    colour: bool = False
    problems: list[str] = field(default_factory=list)
    series: dict[str, Series | str] = field(default_factory=dict)  # key → what to load
    from_text: int = 0  # how many of the images' tags came from report text


class ImageFolderSource:
    """Images in one sub-folder per class (searched recursively; hidden files ignored)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def collect(self) -> Collected:
        """The images and classes; ValueError when the folder has fewer than two classes."""
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: not a folder of class sub-folders")
        folders = sorted(p for p in self.root.iterdir() if p.is_dir() and p.name[0] != ".")
        found = Collected([], [])
        for folder in folders:
            refs = []
            for path in files_below(folder):
                if not is_image_file(path):
                    found.problems.append(f"{path}: not a PNG, JPEG or DICOM file; left out")
                    continue
                try:
                    info = image_info(path)
                except ValueError as error:
                    found.problems.append(f"{error}; left out")
                    continue
                found.colour |= info["colour"]
                patient = info["patient_id"]
                group = f"patient:{patient}" if patient else f"file:{path.relative_to(self.root)}"
                if info["synthetic"]:  # generated: trains, never validates (see task)
                    group = f"synthetic:{path.relative_to(self.root)}"
                label = len(found.classes)
                refs += [ImageRef(str(path), f, label, group) for f in range(info["frames"])]
            if refs:
                found.classes.append(folder.name)
                found.refs.extend(refs)
            else:
                found.problems.append(f"{folder}: class {folder.name!r} has no images; left out")
        if len(found.classes) < 2:
            raise ValueError(
                f"{self.root}: needs at least two class folders with images, found "
                f"{found.classes or 'none'}"
            )
        return found


class WorkspaceSource:
    """The tagged images of the series saved in a workspace (all of them, or `keys`)."""

    def __init__(self, workspace: Workspace, keys: list[str] | None = None) -> None:
        self.workspace, self.keys = workspace, keys

    def collect(self, classes: list[str] | None = None) -> Collected:
        """The tagged images; classes in first-seen order unless `classes` fixes them."""
        fixed = classes is not None
        found = Collected(list(classes or []), [])
        for key in self.keys if self.keys is not None else self.workspace.series_keys():
            try:
                work = self.workspace.load_series(key)
                tags = SeriesAnnotations.from_json(work.annotations).tags if work else None
                if tags is None:
                    continue
                images = dict(tags.image_tags)
                from_text = {k for k in images if k in tags.origins}
                if not images and tags.series_tag is not None:
                    if tags.n_images != 1:
                        found.problems.append(
                            f"series {key}: tagged as a whole ({tags.series_tag}) but no image "
                            "is; only single-image series learn from a series tag"
                        )
                        continue
                    images = {0: tags.series_tag}
                    from_text = {0} if None in tags.origins else set()
                if not images:
                    continue
                target = find_series(work)
            except ValueError as error:
                found.problems.append(f"{error}; left out")
                continue
            patient = target.patient_id if isinstance(target, Series) else ""
            group = f"patient:{patient}" if patient else f"series:{key}"
            found.series[key] = target
            found.colour |= (
                isinstance(target, Series) and target.instances[0].samples_per_pixel == 3
            )
            if not fixed:  # new classes in the order of the user's class list
                used_here = set(images.values())
                found.classes += [c for c in tags.classes if c in used_here - set(found.classes)]
            for k, name in sorted(images.items()):
                if name not in found.classes:
                    found.problems.append(f"series {key}: image {k} class {name!r} unknown")
                    continue
                label = found.classes.index(name)
                found.refs.append(ImageRef(key, k, label, group, series=key))
                found.from_text += k in from_text
        used = {r.label for r in found.refs}
        if len(used) < 2:
            raise ValueError(
                f"{self.workspace.root}: tagged images of at least two classes are needed, found "
                f"{sorted({found.classes[i] for i in used}) or 'none'}"
            )
        self._add_synthetic(found)
        return found

    def _add_synthetic(self, found: Collected) -> None:
        """The generated images the user added to training (`core.workspace.synthetic`)."""
        by_folder = {class_folder_name(name): i for i, name in enumerate(found.classes)}
        for folder, files in synthetic_images(self.workspace.root).items():
            if folder not in by_folder:
                found.problems.append(f"synthetic images of unknown class {folder!r}; left out")
                continue
            found.refs += [
                ImageRef(str(f), 0, by_folder[folder], f"synthetic:{folder}/{f.name}")
                for f in files
            ]


def stratified_group_split(
    group_labels: Mapping[str, int], val_fraction: float, seed: int | None
) -> tuple[list[str], list[str], bool]:
    """Train and validation groups, each class's groups split `val_fraction` : rest (at least
    one validation group per class that has two or more); returns (train, val, stratified)."""
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[str]] = {}
    for group, label in sorted(group_labels.items()):
        by_class.setdefault(label, []).append(group)
    train, val, stratified = [], [], True
    for label in sorted(by_class):
        # Plain str: numpy's str_ in the split makes the checkpoint unloadable (weights_only).
        groups = [str(g) for g in rng.permutation(by_class[label])]
        n_val = int(round(len(groups) * val_fraction))
        n_val = min(max(n_val, 1), len(groups) - 1) if len(groups) >= 2 else 0
        stratified &= n_val > 0
        val += groups[:n_val]
        train += groups[n_val:]
    return sorted(train), sorted(val), stratified


class ClassificationDataset(Dataset):
    """(image tensor (C, size, size), label) pairs from `refs`; prepared images are cached in
    memory (up to `cache_mb`), augmentation is applied afresh each time when enabled."""

    def __init__(
        self,
        refs: list[ImageRef],
        channels: int,
        size: int,
        *,
        series: Mapping[str, Series | str] | None = None,
        augment: dict[str, Any] | None = None,
        ct_window: tuple[float, float] = DEFAULT_CT_WINDOW,
        cache_mb: float = 1024.0,
        load: Callable[[Series | str], Volume] = load_volume,
    ) -> None:
        self.refs, self.channels, self.size = list(refs), channels, size
        self.series, self.augment = dict(series or {}), augment
        self.ct_window, self.load = tuple(ct_window), load
        self._cache: dict[int, torch.Tensor] = {}
        self._epoch_seed: int | None = None
        self._cache_left = int(cache_mb * (1 << 20))
        self._by_series: dict[str, list[int]] = {}
        for index, ref in enumerate(self.refs):
            if ref.series:
                self._by_series.setdefault(ref.series, []).append(index)
        self._volume: tuple[str, Volume] | None = None  # the last one, while the cache is full

    def __len__(self) -> int:
        return len(self.refs)

    def _load(self, key: str) -> Volume:
        if self._volume is None or self._volume[0] != key:
            self._volume = (key, self.load(self.series[key]))
        return self._volume[1]

    def image(self, index: int) -> np.ndarray:
        """Item `index` as a normalised (H, W) or (H, W, 3) array, before resizing."""
        ref = self.refs[index]
        if not ref.series:
            return read_image(ref.path, ref.frame, self.ct_window)
        volume = self._load(ref.series)
        if not 0 <= ref.frame < volume.shape_zyx[0]:
            raise ValueError(f"series {ref.series}: no image {ref.frame} to read its tag from")
        return normalise(volume.array[ref.frame], volume.modality, self.ct_window)

    def _keep(self, index: int) -> torch.Tensor:
        x = to_network_input(self.image(index), self.channels, self.size)
        if x.numel() * x.element_size() <= self._cache_left:
            self._cache[index] = x
            self._cache_left -= x.numel() * x.element_size()
        return x

    def prepared(self, index: int) -> torch.Tensor:
        """Item `index` as the network's input, without augmentation."""
        if index in self._cache:
            return self._cache[index]
        x = self._keep(index)
        series = self.refs[index].series
        if series:
            # Loading a volume is the slow part, and items come in shuffled order: while it is
            # in memory, prepare every tagged slice of this series that the cache can hold.
            item_bytes = x.numel() * x.element_size()
            for other in self._by_series[series]:
                if other not in self._cache and self._cache_left >= item_bytes:
                    self._keep(other)
            if all(other in self._cache for other in self._by_series[series]):
                self._volume = None
        return x

    def set_epoch(self, epoch: int) -> None:
        """Seed this epoch's augmentation (called by the trainer before each epoch)."""
        self._epoch_seed = (torch.initial_seed() * 1_000_003 + epoch) % (1 << 62)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.prepared(index)
        if self.augment is not None:
            # A generator per (run seed, epoch, item): the same image gets the same change
            # whatever the batch order, the number of loader workers or of DDP processes.
            generator = None
            if self._epoch_seed is not None:
                seed = (self._epoch_seed * 65_537 + index) % (1 << 63)
                generator = torch.Generator().manual_seed(seed)
            x = augment_image(x, **self.augment, generator=generator)
        return x, torch.tensor(self.refs[index].label, dtype=torch.long)


def class_counts(refs: list[ImageRef], classes: list[str]) -> dict[str, int]:
    """Images per class name."""
    counts = Counter(r.label for r in refs)
    return {name: counts.get(i, 0) for i, name in enumerate(classes)}
