"""`SessionModel`: a `LabelSessionModel` with the series' boxes, class tags, key images and
report draft, each change of them an undoable step in the same history (snapshots of the
annotations before and after). No Qt here: `medgui.ui.labeling.session` adapts it to signals.

Besides the label events it announces ``annotations_changed`` (boxes, tags or key images).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from medgui.core.annotations.key_images import KeyImage, ReportDraft
from medgui.core.annotations.model import Box2D, Box3D, ClassTagSet, SeriesAnnotations
from medgui.core.annotations.store import series_key
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.session import LabelSessionModel
from medgui.core.labels.undo import StateChange

DEFAULT_CLASSES = ("normal", "abnormal")


class SessionModel(LabelSessionModel):
    """Labels, boxes, tags, key images and report draft of one volume (`key`: its series key)."""

    RESET_EVENTS = (*LabelSessionModel.RESET_EVENTS[:-1], "annotations_changed", "edited")

    def __init__(
        self,
        volume: Volume,
        key: str | None = None,
        *,
        labelmap: LabelMap | None = None,
        annotations: SeriesAnnotations | None = None,
    ) -> None:
        self.key = key or series_key(volume)
        self.annotations = annotations if annotations is not None else SeriesAnnotations()
        super().__init__(volume, labelmap=labelmap)

    def replace(
        self,
        labelmap: LabelMap | None,
        annotations: SeriesAnnotations | None = None,
        *,
        notify=True,
    ) -> None:
        """Show `labelmap` (None: an empty one) and `annotations` (None: keep the current ones)
        instead; undo history is cleared. `GeometryMismatchError` if the map is off the grid."""
        self.check_grid(labelmap)  # before anything changes
        if annotations is not None:
            self.annotations = annotations
        super().replace(labelmap, notify=notify)

    def is_empty(self) -> bool:
        """Whether nothing has been labelled, boxed or tagged."""
        notes = self.annotations
        return (
            super().is_empty()
            and not notes.boxes_2d
            and not notes.boxes_3d
            and notes.tags is None
            and not notes.key_images
            and notes.report_draft.is_empty()
        )

    # Boxes.

    def add_box(self, box: Box2D) -> None:
        with self._annotating("Box"):
            self.annotations.boxes_2d.append(box)

    def remove_boxes(self, uids: set[str]) -> None:
        """Delete the 2-D and 3-D boxes whose uid is in `uids`."""
        annotations = self.annotations
        if not any(b.uid in uids for b in annotations.boxes_2d + annotations.boxes_3d):
            return
        with self._annotating("Delete boxes"):
            annotations.boxes_2d = [b for b in annotations.boxes_2d if b.uid not in uids]
            annotations.boxes_3d = [b for b in annotations.boxes_3d if b.uid not in uids]

    def make_box_3d(self, label: str) -> Box3D:
        """A 3-D box (min/max) over the 2-D boxes named `label`; ValueError if there are none."""
        boxes = [b for b in self.annotations.boxes_2d if b.label == label]
        if not boxes:
            raise ValueError(f"there are no 2-D boxes of '{label}' to make a 3-D box from")
        box = Box3D.from_boxes(self.volume, boxes, label)
        with self._annotating("3-D box"):
            self.annotations.boxes_3d.append(box)
        return box

    # Class tags.

    @property
    def tags(self) -> ClassTagSet:
        """The class tags (made with the default classes on first use); images are slices k."""
        if self.annotations.tags is None:
            n_images = self.volume.shape_zyx[0]
            self.annotations.tags = ClassTagSet(list(DEFAULT_CLASSES), n_images)
        return self.annotations.tags

    def set_classes(self, classes: list[str], renamed: dict[str, str] | None = None) -> None:
        """Use the class list `classes`; tags of a class in `renamed` follow its new name and
        tags of classes no longer listed are dropped."""
        renamed = renamed or {}
        with self._annotating("Class list"):
            old = self.tags
            follow = {name: renamed.get(name, name) for name in old.classes}
            new = ClassTagSet(classes, old.n_images)
            if old.series_tag is not None and follow[old.series_tag] in new.classes:
                new.series_tag = follow[old.series_tag]
            for image, name in old.image_tags.items():
                if follow[name] in new.classes:
                    new.image_tags[image] = follow[name]
            new.origins = {k: v for k, v in old.origins.items() if new.get(k) is not None}
            new.overridden = set(old.overridden)
            self.annotations.tags = new

    def tag(self, image: int | None, class_name: str | None) -> None:
        """Tag `image` (slice k; None: the series) with `class_name` (None: untag)."""
        with self._annotating("Untag" if class_name is None else "Tag"):
            if class_name is None:
                self.tags.clear(image)
            else:
                self.tags.set(image, class_name)

    def tag_from_report(
        self, image: int | None, class_name: str, classes: list[str], origin: dict[str, str]
    ) -> bool:
        """Tag `image` (None: the series) with `class_name` read from a report, adding the
        `classes` it belongs with to the class list; one undo step. False (and no change) when
        the user's own tag or override is there (see `ClassTagSet.set_from_report`)."""
        if not self.tags.accepts_report(image):
            return False
        with self._annotating("Tag from report"):
            tags = self.tags
            missing = [c for c in classes if c not in tags.classes]
            if missing:
                tags.classes = [*tags.classes, *missing]
            return tags.set_from_report(image, class_name, origin)

    # Key images and the report draft.

    def add_key_image(self, key: KeyImage) -> None:
        """Mark `key` (a slice and its window) as a key image for the report; undoable."""
        with self._annotating("Key image"):
            self.annotations.key_images.append(key)

    def remove_key_images(self, uids: set[str]) -> None:
        """Unmark the key images whose uid is in `uids`; undoable."""
        if any(k.uid in uids for k in self.annotations.key_images):
            with self._annotating("Remove key images"):
                kept = [k for k in self.annotations.key_images if k.uid not in uids]
                self.annotations.key_images = kept

    def set_report_draft(self, draft: ReportDraft) -> None:
        """Keep the report's findings and impression with the series (saved, autosaved). Not
        an undo step: the text editors undo typing themselves."""
        if draft != self.annotations.report_draft:
            self.annotations.report_draft = ReportDraft(draft.findings, draft.impression)
            self.events.emit("edited")

    @contextmanager
    def _annotating(self, description: str) -> Iterator[None]:
        """Change the annotations inside the block as one undoable step (snapshots of the
        annotations before and after; a block that raises changes nothing)."""
        before = copy.deepcopy(self.annotations)
        try:
            yield
        except BaseException:
            self.annotations = before
            raise
        after = copy.deepcopy(self.annotations)
        if after.to_json() != before.to_json():
            size = len(repr(after.to_json()))
            self.history.push(
                StateChange(description, before, after, self._restore_annotations, size)
            )
        self.events.emit("annotations_changed")

    def _restore_annotations(self, annotations: SeriesAnnotations) -> None:
        draft = self.annotations.report_draft  # typed report text is never undone with a box
        self.annotations = copy.deepcopy(annotations)
        self.annotations.report_draft = draft
        self.events.emit("annotations_changed")
