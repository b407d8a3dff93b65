"""The labels, boxes and class tags of the volume on show, as a Qt model the label widgets watch.

`LabelSession` (one per open volume) owns the `LabelMap`, its `EditHistory` and the series'
`SeriesAnnotations`, and turns every change into a signal: views redraw the voxels that changed,
panels refresh, the autosave marks the series dirty. Edits themselves are the plain functions of
`medgui.core.labels.ops` & co., called with ``session.labelmap`` and ``session.history``; the
history's callback is what tells everyone. `LabelContext` (one per window) says which session is
on show and how the overlay is drawn.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.annotations.store import series_key
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.labels.bbox import label_bbox
from medgui.core.labels.interpolate import (
    InterpolationProposal,
)
from medgui.core.labels.io import GeometryMismatchError, describe_grid
from medgui.core.labels.labelmap import Label, LabelMap, LabelTable
from medgui.core.labels.stats import LabelStats, label_statistics
from medgui.core.labels.undo import (
    Edit,
    EditGroup,
    EditHistory,
    Entry,
    StateChange,
    make_edit,
    require_unlocked,
    voxel_edits,
)
from medgui.ui.labeling.annotations import AnnotationEdits

_EDITABLE = ("name", "color", "visible", "opacity", "locked", "layer")


class LabelSession(AnnotationEdits, QObject):
    """Labels, boxes and tags of one volume (`key`: its series key), with change signals."""

    voxels_changed = Signal(int, object)  # layer index, BBox (z, y, x slices); -1, None: all
    table_changed = Signal()  # a row added, removed or edited
    active_changed = Signal(int)  # the value painting uses
    history_changed = Signal()  # what undo/redo would do
    proposal_changed = Signal()  # an interpolation proposal shown or dropped
    annotations_changed = Signal()  # boxes or class tags
    edited = Signal()  # anything the workspace saves changed

    def __init__(
        self,
        volume: Volume,
        key: str | None = None,
        *,
        labelmap: LabelMap | None = None,
        annotations: SeriesAnnotations | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.volume = volume
        self.key = key or series_key(volume)
        self.history = EditHistory()
        self.history.connect(self._on_history)
        self.labelmap = LabelMap.empty_like(volume)
        self.annotations = SeriesAnnotations()
        self.proposal: InterpolationProposal | None = None
        # A tool's own accept and cancel for the proposal it shows (None: interpolation's).
        self._proposal_hooks: tuple | None = None
        # True while a brush stroke is being drawn: its segments are in the map but not yet in
        # the history, so undo and redo wait until the button is released.
        self.stroking = False
        # Counts every change of voxels or table: a worker's result computed on a copy taken
        # at another revision is stale.
        self.revision = 0
        self.table_changed.connect(self._bump)
        self._active = 0
        self.replace(labelmap, annotations, notify=False)

    # Whole-content changes.

    def replace(
        self,
        labelmap: LabelMap | None,
        annotations: SeriesAnnotations | None = None,
        *,
        notify=True,
    ) -> None:
        """Show `labelmap` (None: an empty one) and `annotations` (None: keep the current ones)
        instead; undo history is cleared. `GeometryMismatchError` if the map is off the grid."""
        if labelmap is not None and not labelmap.matches(self.volume):
            raise GeometryMismatchError(
                "the label map's grid does not match the image's.\n"
                f"  label map: {describe_grid(labelmap)}\n  image:     {describe_grid(self.volume)}"
            )
        self.labelmap = labelmap if labelmap is not None else LabelMap.empty_like(self.volume)
        if not self.labelmap.table.labels:
            self.labelmap.table.add("Label 1")
        if annotations is not None:
            self.annotations = annotations
        self.history.clear()
        self.revision += 1
        self.proposal, self._proposal_hooks = None, None
        self._active = self.labelmap.table.labels[0].value
        if notify:
            self.table_changed.emit()
            self.active_changed.emit(self._active)
            self.voxels_changed.emit(-1, None)
            self.history_changed.emit()
            self.proposal_changed.emit()
            self.annotations_changed.emit()
            self.edited.emit()

    def _bump(self, *_args) -> None:
        self.revision += 1

    def _on_history(self, action: str, entry: Entry) -> None:
        self.revision += 1
        for edit in voxel_edits(entry):
            self.notify_voxels(action, edit)
        self.history_changed.emit()
        self.edited.emit()

    def notify_voxels(self, _action: str, edit: Edit) -> None:
        """Tell the views that `edit` changed voxels (also for a stroke's live segments)."""
        self.revision += 1
        self.voxels_changed.emit(edit.layer, edit.bbox)

    # The label table.

    @property
    def active_value(self) -> int:
        """The label painting uses."""
        return self._active

    @property
    def active_label(self) -> Label:
        return self.labelmap.table.get(self._active)

    def set_active(self, value: int) -> None:
        """Paint with label `value` from now on (KeyError if it is not in the table)."""
        self.labelmap.table.get(value)
        if value != self._active:
            self._active = value
            self.active_changed.emit(value)

    def add_label(self, name: str | None = None, layer: int = 0) -> Label:
        """A new label (named "Label k" by default) that becomes the active one."""
        table = self.labelmap.table
        label = table.add(name or f"Label {max((lb.value for lb in table.labels), default=0) + 1}")
        label.layer = int(layer)
        self.labelmap.ensure_layer(label.layer)
        self.table_changed.emit()
        self.edited.emit()
        self.set_active(label.value)
        return label

    def remove_label(self, value: int) -> None:
        """Drop label `value` from the table and erase its voxels: one undoable step that
        brings back both."""
        require_unlocked(self.labelmap, value)
        table = self.labelmap.table
        if len(table.labels) == 1:
            raise ValueError("the last label cannot be removed; rename it instead")
        entries: list = []
        bbox = label_bbox(self.labelmap, value)
        if bbox is not None:
            block = self.labelmap.ensure_layer(table.get(value).layer)[bbox]
            before = block.copy()
            block[block == value] = 0
            layer = table.get(value).layer
            entries.append(make_edit(layer, bbox, before, block, "Remove label"))
        before_table = table.to_json()
        table.remove(value)
        entries.append(
            StateChange("Remove label", before_table, table.to_json(), self._restore_table)
        )
        if value == self._active:
            self.set_active(table.labels[0].value)
        self.history.push(EditGroup("Remove label", tuple(entries)))
        self.table_changed.emit()

    def apply_result(
        self, description: str, edit: Edit | None, table: LabelTable | None = None
    ) -> Entry | None:
        """Write a worker's result as one undo step: `edit` (a diff computed on a copy of this
        map at the current `revision`, locks already kept) and, when given, `table` as the new
        label table. Costs only the changed voxels on this thread."""
        entries: list = []
        before, after = self.labelmap.table.to_json(), None if table is None else table.to_json()
        if after is not None and after != before:
            entries.append(StateChange(description, before, after, self._restore_table))
        if edit is not None:
            entries.append(edit)
        if not entries:
            return None
        entry = entries[0] if len(entries) == 1 else EditGroup(description, tuple(entries))
        if after is not None and after != before:
            self._restore_table(after)
        if edit is not None:
            edit.apply(self.labelmap, forward=True)
        return self.history.push(entry)

    def _restore_table(self, document) -> None:
        restored = LabelTable.from_json(document)
        self.labelmap.table.labels[:] = restored.labels
        if all(label.value != self._active for label in restored.labels):
            self.set_active(restored.labels[0].value)
        self.table_changed.emit()

    def set_label(self, value: int, **changes) -> None:
        """Change fields of label `value` (name, color, visible, opacity, locked, layer).
        ValueError for bad values, and for moving a label that has voxels to another layer."""
        label = self.labelmap.table.get(value)
        unknown = set(changes) - set(_EDITABLE)
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))} of a label")
        if "name" in changes and not str(changes["name"]).strip():
            raise ValueError("a label needs a name")
        if "opacity" in changes and not 0.0 <= float(changes["opacity"]) <= 1.0:
            raise ValueError(f"opacity must lie within 0..1, got {changes['opacity']}")
        layer = int(changes.get("layer", label.layer))
        if layer != label.layer:
            if not 0 <= layer <= 15:
                raise ValueError(f"layer must lie within 0..15, got {layer}")
            if label_bbox(self.labelmap, value) is not None:
                raise ValueError(f"'{label.name}' has voxels; only an empty label changes layer")
            self.labelmap.ensure_layer(layer)
        for name, new in changes.items():
            if name == "name":
                new = str(new).strip()
            elif name == "color":
                new = tuple(int(c) for c in new)
            elif name == "opacity":
                new = float(new)
            elif name == "layer":
                new = layer
            else:
                new = bool(new)
            setattr(label, name, new)
        self.table_changed.emit()
        self.edited.emit()

    # Undo, statistics, interpolation.

    def undo(self) -> str | None:
        """Undo the last label edit; its description, or None (also while stroking)."""
        return None if self.stroking else self.history.undo(self.labelmap)

    def redo(self) -> str | None:
        """Redo the last undone label edit; its description, or None (also while stroking)."""
        return None if self.stroking else self.history.redo(self.labelmap)

    def statistics(self) -> list[LabelStats]:
        """Per-label statistics, with the image's values inside (grey images only)."""
        image = None if self.volume.is_color else self.volume
        return label_statistics(self.labelmap, image)

    def show_interpolation(self, proposal: InterpolationProposal) -> None:
        """Show an interpolation's preview (an empty one: none), accepted as interpolation."""
        self.proposal = None if proposal.is_empty else proposal
        self._proposal_hooks = None
        self.proposal_changed.emit()

    @property
    def tool_proposal(self) -> bool:
        """Whether the proposal on show is a tool's (it accepts it itself)."""
        return self._proposal_hooks is not None

    def show_proposal(self, proposal: InterpolationProposal | None, accept=None, cancel=None):
        """Show a tool's preview (grow from seeds; None: drop it without calling anything):
        Accept (Ctrl+Return) calls ``accept(proposal)`` and Cancel (Esc) ``cancel()`` instead
        of interpolation's own."""
        self.proposal = proposal
        self._proposal_hooks = None if proposal is None else (accept, cancel)
        self.proposal_changed.emit()

    def accept_proposal(self) -> None:
        """Accept a tool's proposal (its own accept writes it). An interpolation is accepted
        by `LabelActions`, in a worker."""
        if not self.tool_proposal:
            return
        proposal, self.proposal = self.proposal, None
        hooks, self._proposal_hooks = self._proposal_hooks, None
        hooks[0](proposal)
        self.proposal_changed.emit()

    def cancel_proposal(self) -> None:
        if self.proposal is not None:
            hooks, self._proposal_hooks = self._proposal_hooks, None
            self.proposal = None
            if hooks is not None:
                hooks[1]()
            self.proposal_changed.emit()

    def is_empty(self) -> bool:
        """Whether nothing has been labelled, boxed or tagged."""
        return (
            all(not layer.any() for layer in self.labelmap.layers)
            and not self.annotations.boxes_2d
            and not self.annotations.boxes_3d
            and self.annotations.tags is None
            and not self.annotations.key_images
            and self.annotations.report_draft.is_empty()
        )


class LabelContext(QObject):
    """The session on show (with its view state) and how every view draws labels."""

    session_changed = Signal(object)  # LabelSession | None
    display_changed = Signal()  # overlay shown/hidden, fill/outline

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: LabelSession | None = None
        self.state: ViewerState | None = None
        self.overlay_visible = True
        self.outline = False

    def set_session(self, session: LabelSession | None, state: ViewerState | None) -> None:
        """Show `session`, whose volume `state` views (None, None: nothing)."""
        if session is self.session and state is self.state:
            return
        self.session, self.state = session, state
        self.session_changed.emit(session)

    def set_overlay_visible(self, visible: bool) -> None:
        if bool(visible) != self.overlay_visible:
            self.overlay_visible = bool(visible)
            self.display_changed.emit()

    def toggle_overlay(self) -> None:
        """Show or hide every label in every view."""
        self.set_overlay_visible(not self.overlay_visible)

    def set_outline(self, outline: bool) -> None:
        if bool(outline) != self.outline:
            self.outline = bool(outline)
            self.display_changed.emit()
