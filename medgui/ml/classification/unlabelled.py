"""Unlabelled images for semi-supervised classification, and the dataset that pairs them with
the labelled ones.

`UnlabelledFolder` reads every PNG, JPEG or DICOM image below a folder (searched recursively,
through the same readers as the labelled images); `UnlabelledSlices` takes given slices of
workspace series (the app's "untagged slices of the chosen series"). Both give `ImageRef`s
(label -1) that `ClassificationDataset` prepares exactly as it prepares labelled images.

Semi-supervised methods refuse images of mixed sizes (`check_one_size`) rather than resizing
them: the generator draws one size, and a resized image teaches it (and the consistency loss)
a distorted anatomy that no real image has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.dicom.header import read_instance_header
from medgui.core.io.load import load_volume
from medgui.core.io.scan import Series
from medgui.core.workspace.store import Workspace
from medgui.ml.classification.data import ClassificationDataset, ImageRef, find_series
from medgui.ml.classification.images import files_below, image_info, is_dicom_file, is_image_file

UNLABELLED = -1  # the label of an unlabelled ref


class UnlabelledFolder:
    """Every image below `root` (recursively; hidden files skipped), labels unknown."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def collect(self) -> tuple[list[ImageRef], list[str], bool]:
        """(refs, problems, any colour). ValueError when the folder holds no usable image."""
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: the unlabelled images folder does not exist")
        refs, problems, colour = [], [], False
        for path in files_below(self.root):
            if not is_image_file(path):
                continue  # notes, spreadsheets beside the images are not problems
            try:
                info = image_info(path)
            except ValueError as error:
                problems.append(f"{error}; left out")
                continue
            colour |= info["colour"]
            frames = range(info["frames"])
            refs += [ImageRef(str(path), f, UNLABELLED, "unlabelled") for f in frames]
        if not refs:
            raise ValueError(
                f"{self.root}: no unlabelled PNG, JPEG or DICOM images found (searched recursively)"
            )
        return refs, problems, colour


class UnlabelledSlices:
    """Slices of workspace series, labels unknown: {series key: (what to load, slice indices)}."""

    def __init__(self, slices: Mapping[str, tuple[Series | str, list[int]]]) -> None:
        self.slices = dict(slices)

    def collect(self) -> tuple[list[ImageRef], list[str], bool]:
        refs = [
            ImageRef(key, k, UNLABELLED, "unlabelled", series=key)
            for key, (_target, indices) in sorted(self.slices.items())
            for k in indices
        ]
        if not refs:
            raise ValueError("no untagged slices in the chosen series to learn from")
        return refs, [], False

    @property
    def series(self) -> dict[str, Series | str]:
        return {key: target for key, (target, _indices) in self.slices.items()}


def untagged_slices(workspace: Workspace, keys: list[str]) -> UnlabelledSlices:
    """The slices of the saved series `keys` that carry no class tag (what the app offers as
    unlabelled images). ValueError naming a series that is not saved or not found."""
    slices = {}
    for key in keys:
        work = workspace.load_series(key)
        if work is None:
            raise ValueError(f"series {key}: not saved in the workspace")
        tags = SeriesAnnotations.from_json(work.annotations).tags
        target = find_series(work)
        if isinstance(target, Series):
            n = target.shape_zyx[0] if target.shape_zyx else target.number_of_images
        else:
            n = tags.n_images if tags is not None else load_volume(target).shape_zyx[0]
        tagged = set(tags.image_tags) if tags is not None else set()
        slices[key] = (target, [k for k in range(n) if k not in tagged])
    return UnlabelledSlices(slices)


def as_unlabelled(source) -> UnlabelledFolder | UnlabelledSlices:
    """A folder path, or a source object (anything with `collect()`)."""
    if hasattr(source, "collect"):
        return source
    return UnlabelledFolder(source)


def _file_shape(path: str) -> tuple[int, int]:
    if is_dicom_file(path):
        header = read_instance_header(path)
        return header.rows, header.columns
    try:
        with Image.open(path) as image:
            return image.height, image.width
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError(f"{path}: not a readable image ({error})") from error


def check_one_size(refs: list[ImageRef], series: Mapping[str, Series | str]) -> tuple[int, int]:
    """The one (rows, columns) of every image in `refs`; ValueError naming an image of each of
    the two most common sizes when they differ."""
    shapes: dict[tuple[int, int], str] = {}
    counts: Counter = Counter()
    seen: set[str] = set()
    for ref in refs:
        key = ref.series or ref.path
        if key in seen:
            continue
        seen.add(key)
        target = series.get(ref.series) if ref.series else None
        if isinstance(target, Series) and target.shape_zyx:
            shape = tuple(target.shape_zyx[1:])
        elif isinstance(target, Series):
            shape = (target.instances[0].rows, target.instances[0].columns)
        else:
            shape = _file_shape(str(target) if target else ref.path)
        shapes.setdefault(shape, key)
        counts[shape] += 1
    if len(counts) > 1:
        (a, n_a), (b, n_b) = counts.most_common(2)
        raise ValueError(
            f"images of mixed sizes: {n_a} of {a[1]}×{a[0]} (e.g. {shapes[a]}) and {n_b} of "
            f"{b[1]}×{b[0]} (e.g. {shapes[b]}){' and more' if len(counts) > 2 else ''}; "
            "semi-supervised training and the generator need one image size: resize them first"
        )
    return next(iter(counts)) if counts else (0, 0)


class SemiSupervisedDataset(Dataset):
    """Item i: ((labelled image, unlabelled image), label): the labelled images cycle (there
    are few) while the unlabelled ones are each visited once per epoch. The unlabelled image is
    the weakly augmented one (the labelled set's augmentation); methods that need a strongly
    augmented view make it from this one."""

    def __init__(self, labelled: ClassificationDataset, unlabelled: ClassificationDataset) -> None:
        if len(labelled) == 0:
            raise ValueError("no labelled training images")
        self.labelled, self.unlabelled = labelled, unlabelled
        self.refs, self.series = labelled.refs, labelled.series  # what the card records

    def __len__(self) -> int:
        return max(len(self.labelled), len(self.unlabelled))

    def set_epoch(self, epoch: int) -> None:
        self.labelled.set_epoch(epoch)
        self.unlabelled.set_epoch(epoch)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        x, y = self.labelled[index % len(self.labelled)]
        u, _ = self.unlabelled[index % len(self.unlabelled)]
        return (x, u), y
