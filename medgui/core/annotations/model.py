"""Bounding boxes and classification tags: the annotations detection and classification
trainers learn from.

A `Box2D` lives on one slice of one plane, its corners in that slice's pixel coordinates
(row, col; pixel centres at integers, as `reformat.extract_slice` gives the slice), like the
measurements. A `Box3D` is in voxel indices (i, j, k); `Box3D.from_boxes` makes one as the
min/max over 2-D boxes drawn on several slices. A `ClassTagSet` holds one class per series and
per image (slice k) from a user-defined class list, with `next_untagged` for tag-and-advance.
Everything is plain data with `to_json`/`from_json`.
"""

from __future__ import annotations

import math
import operator
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.annotations.measurements import normalise_plane_slice
from medgui.core.image.reformat import Plane, slice_pixel_to_voxel
from medgui.core.image.volume import Volume

_FORMAT_VERSION = 1


def _new_uid() -> str:
    return uuid.uuid4().hex


def _finite(name: str, values: Iterable[Any]) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers, got {values!r}") from error
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{name} must be finite, got {values!r}")
    return out


@dataclass(frozen=True, kw_only=True)
class Box2D:
    """A labelled box on slice `slice_index` of `plane`; corners are sorted on creation."""

    plane: Plane
    slice_index: int
    row_min: float
    col_min: float
    row_max: float
    col_max: float
    label: str = ""
    uid: str = field(default_factory=_new_uid)

    def __post_init__(self) -> None:
        normalise_plane_slice(self)
        r0, c0, r1, c1 = _finite(
            "box corners", (self.row_min, self.col_min, self.row_max, self.col_max)
        )
        for name, value in zip(
            ("row_min", "col_min", "row_max", "col_max"),
            (min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)),
            strict=True,
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "label", str(self.label))

    def voxel_box(self, grid: Volume) -> Box3D:
        """This box in voxel indices of `grid` (one slice thick along the plane's normal)."""
        corners = [
            slice_pixel_to_voxel(grid, self.plane, self.slice_index, r, c)
            for r in (self.row_min, self.row_max)
            for c in (self.col_min, self.col_max)
        ]
        ijk = np.array(corners, dtype=float)
        return Box3D(
            ijk_min=tuple(ijk.min(axis=0)), ijk_max=tuple(ijk.max(axis=0)), label=self.label
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        return {
            "kind": "box2d",
            "plane": self.plane.value,
            "slice_index": self.slice_index,
            "row_min": self.row_min,
            "col_min": self.col_min,
            "row_max": self.row_max,
            "col_max": self.col_max,
            "label": self.label,
            "uid": self.uid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Box2D:
        """Rebuild from `to_json`; ValueError naming what is missing or wrong."""
        fields = ("plane", "slice_index", "row_min", "col_min", "row_max", "col_max")
        missing = [name for name in fields if name not in data]
        if missing:
            raise ValueError(f"2-D box is missing {', '.join(missing)}")
        kwargs = {name: data[name] for name in fields}
        return cls(**kwargs, label=data.get("label", ""), uid=data.get("uid") or _new_uid())


@dataclass(frozen=True, kw_only=True)
class Box3D:
    """A labelled box in voxel indices (i, j, k), corners inclusive and sorted on creation."""

    ijk_min: tuple[float, float, float]
    ijk_max: tuple[float, float, float]
    label: str = ""
    uid: str = field(default_factory=_new_uid)

    def __post_init__(self) -> None:
        lo = _finite("ijk_min", self.ijk_min)
        hi = _finite("ijk_max", self.ijk_max)
        if len(lo) != 3 or len(hi) != 3:
            raise ValueError(f"a 3-D box needs three coordinates per corner, got {lo}, {hi}")
        object.__setattr__(self, "ijk_min", tuple(min(a, b) for a, b in zip(lo, hi, strict=True)))
        object.__setattr__(self, "ijk_max", tuple(max(a, b) for a, b in zip(lo, hi, strict=True)))
        object.__setattr__(self, "label", str(self.label))

    @classmethod
    def from_boxes(cls, grid: Volume, boxes: Iterable[Box2D], label: str | None = None) -> Box3D:
        """The min/max over 2-D boxes (on any slices and planes) of `grid`; the label is
        `label`, else the first box's."""
        boxes = list(boxes)
        if not boxes:
            raise ValueError("a 3-D box needs at least one 2-D box")
        parts = [box.voxel_box(grid) for box in boxes]
        return cls(
            ijk_min=tuple(np.min([p.ijk_min for p in parts], axis=0)),
            ijk_max=tuple(np.max([p.ijk_max for p in parts], axis=0)),
            label=boxes[0].label if label is None else label,
        )

    def lps_bounds_mm(self, grid: Volume) -> tuple[np.ndarray, np.ndarray]:
        """The axis-aligned LPS box (mm) around the corner voxel centres of this box."""
        corners = np.array(
            [
                (i, j, k)
                for i in (self.ijk_min[0], self.ijk_max[0])
                for j in (self.ijk_min[1], self.ijk_max[1])
                for k in (self.ijk_min[2], self.ijk_max[2])
            ]
        )
        world = grid.voxel_to_world(corners)
        return world.min(axis=0), world.max(axis=0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        return {
            "kind": "box3d",
            "ijk_min": list(self.ijk_min),
            "ijk_max": list(self.ijk_max),
            "label": self.label,
            "uid": self.uid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Box3D:
        """Rebuild from `to_json`; ValueError naming what is missing or wrong."""
        missing = [name for name in ("ijk_min", "ijk_max") if name not in data]
        if missing:
            raise ValueError(f"3-D box is missing {', '.join(missing)}")
        return cls(
            ijk_min=tuple(data["ijk_min"]),
            ijk_max=tuple(data["ijk_max"]),
            label=data.get("label", ""),
            uid=data.get("uid") or _new_uid(),
        )


@dataclass
class ClassTagSet:
    """One class per series and per image (slice k, 0..n_images-1) from the user's `classes`.

    An image index of None means the series itself. Number keys 1..9 pick `classes[0..8]`
    (`class_for_key`).

    A tag read from a report (`set_from_report`) keeps where it came from in `origins` (report
    id, finding, status, sentence). A tag the user sets or clears by hand drops that origin and
    joins `overridden`: the user's word wins, and later report tags leave it alone.
    """

    classes: list[str]
    n_images: int
    series_tag: str | None = None
    image_tags: dict[int, str] = field(default_factory=dict)
    origins: dict[int | None, dict[str, str]] = field(default_factory=dict)
    overridden: set[int | None] = field(default_factory=set)

    def __post_init__(self) -> None:
        origins, overridden = dict(self.origins), set(self.overridden)
        self._set_tags()
        self.origins = {self._check_image(k): dict(v) for k, v in origins.items()}
        self.overridden = {self._check_image(k) for k in overridden}

    def _set_tags(self) -> None:
        self.classes = [str(c).strip() for c in self.classes]
        if not self.classes or any(not c for c in self.classes):
            raise ValueError(f"the class list needs at least one non-empty name: {self.classes}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"class names must be unique: {self.classes}")
        self.n_images = operator.index(self.n_images)
        if self.n_images < 0:
            raise ValueError(f"n_images must be >= 0, got {self.n_images}")
        tags, self.image_tags = dict(self.image_tags), {}
        if self.series_tag is not None:
            self._put(None, self.series_tag)
        for image, name in tags.items():
            self._put(int(image), name)

    def _check_image(self, image: int | None) -> int | None:
        if image is None:
            return None
        image = operator.index(image)
        if not 0 <= image < self.n_images:
            raise ValueError(f"image {image} is outside 0..{self.n_images - 1}")
        return image

    def _put(self, image: int | None, class_name: str | None) -> int | None:
        if class_name is not None and class_name not in self.classes:
            raise ValueError(f"'{class_name}' is not one of the classes {self.classes}")
        image = self._check_image(image)
        if image is None:
            self.series_tag = class_name
        elif class_name is None:
            self.image_tags.pop(image, None)
        else:
            self.image_tags[image] = class_name
        return image

    def _by_hand(self, image: int | None) -> None:
        if self.origins.pop(image, None) is not None:
            self.overridden.add(image)

    def set(self, image: int | None, class_name: str) -> None:
        """Tag `image` (None: the series) with `class_name`, which must be in the list; by
        hand, so it overrides a tag from a report."""
        self._by_hand(self._put(image, class_name))

    def clear(self, image: int | None) -> None:
        """Remove the tag of `image` (None: the series), if any; by hand, like `set`."""
        self._by_hand(self._put(image, None))

    def set_from_report(self, image: int | None, class_name: str, origin: dict[str, str]) -> bool:
        """Tag `image` with `class_name` read from a report (`origin`: where from); False, and
        nothing changes, when the user tagged it by hand or overrode a report tag there."""
        if not self.accepts_report(image):
            return False
        image = self._put(image, class_name)
        self.origins[image] = {str(k): str(v) for k, v in origin.items()}
        return True

    def accepts_report(self, image: int | None) -> bool:
        """Whether a report may tag `image`: untagged, or tagged from a report, and never
        overridden by the user."""
        image = self._check_image(image)
        hand_tagged = self.get(image) is not None and image not in self.origins
        return image not in self.overridden and not hand_tagged

    def from_report_count(self) -> int:
        """How many tags (series and images) came from report text."""
        return sum(1 for image in self.origins if self.get(image) is not None)

    def get(self, image: int | None) -> str | None:
        """The class of `image` (None: the series), or None if untagged."""
        image = self._check_image(image)
        return self.series_tag if image is None else self.image_tags.get(image)

    def next_untagged(self, image: int) -> int | None:
        """The first untagged image after `image`, wrapping round to the start; None when
        every image is tagged."""
        image = self._check_image(image)
        for step in range(1, self.n_images + 1):
            candidate = (image + step) % self.n_images
            if candidate not in self.image_tags:
                return candidate
        return None

    def tag_and_advance(self, image: int, class_name: str) -> int | None:
        """Tag `image`, then return the next untagged image (the keyboard flow)."""
        self.set(image, class_name)
        return self.next_untagged(image)

    def class_for_key(self, key: int) -> str:
        """The class number key `key` (1-based) picks; ValueError if there is none."""
        if not 1 <= key <= min(9, len(self.classes)):
            raise ValueError(f"no class on key {key}; keys 1..{min(9, len(self.classes))}")
        return self.classes[key - 1]

    def counts(self) -> dict[str, int]:
        """How many images carry each class (for class balance in the trainer)."""
        out = dict.fromkeys(self.classes, 0)
        for name in self.image_tags.values():
            out[name] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back (report origins only when any)."""
        data = {
            "classes": list(self.classes),
            "n_images": self.n_images,
            "series_tag": self.series_tag,
            # JSON keys are strings; sorted so saves diff cleanly.
            "image_tags": {str(k): v for k, v in sorted(self.image_tags.items())},
        }
        if self.origins or self.overridden:
            data["origins"] = {_image_key(k): v for k, v in self.origins.items()}
            data["overridden"] = sorted(_image_key(k) for k in self.overridden)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClassTagSet:
        """Rebuild from `to_json`; ValueError for unknown classes or images out of range."""
        try:
            tags = {int(k): str(v) for k, v in dict(data.get("image_tags", {})).items()}
            origins = {_image_index(k): v for k, v in dict(data.get("origins", {})).items()}
            overridden = {_image_index(k) for k in data.get("overridden", [])}
            classes, n_images = list(data["classes"]), int(data["n_images"])
            return cls(classes, n_images, data.get("series_tag"), tags, origins, overridden)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"bad class tags: {error}") from error


def _image_key(image: int | None) -> str:
    return "series" if image is None else str(image)


def _image_index(key: str) -> int | None:
    return None if key == "series" else int(key)


@dataclass
class SeriesAnnotations:
    """Every box, tag and key image of one series and its report draft, saved together in
    the workspace. Files written before key images existed read back without them."""

    boxes_2d: list[Box2D] = field(default_factory=list)
    boxes_3d: list[Box3D] = field(default_factory=list)
    tags: ClassTagSet | None = None
    key_images: list[KeyImage] = field(default_factory=list)
    report_draft: ReportDraft = field(default_factory=ReportDraft)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        return {
            "format_version": _FORMAT_VERSION,
            "boxes_2d": [b.to_json() for b in self.boxes_2d],
            "boxes_3d": [b.to_json() for b in self.boxes_3d],
            "tags": None if self.tags is None else self.tags.to_json(),
            "key_images": [k.to_json() for k in self.key_images],
            "report_draft": self.report_draft.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeriesAnnotations:
        """Rebuild from `to_json`; ValueError for a newer format or a bad entry."""
        version = int(data.get("format_version", _FORMAT_VERSION))
        if version > _FORMAT_VERSION:
            raise ValueError(f"annotations format {version} is newer than this medgui reads")
        tags = data.get("tags")
        return cls(
            [Box2D.from_json(b) for b in data.get("boxes_2d", [])],
            [Box3D.from_json(b) for b in data.get("boxes_3d", [])],
            None if tags is None else ClassTagSet.from_json(tags),
            [KeyImage.from_json(k) for k in data.get("key_images", [])],
            ReportDraft.from_json(data.get("report_draft") or {}),
        )
