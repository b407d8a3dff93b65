"""`LabelSessionModel`: the labels of one volume and the rules for changing them, as plain data
that Qt adapters watch (the `ViewerState` pattern: no Qt here).

It owns the `LabelMap`, its `EditHistory`, the active label and the preview on show, and every
change it makes is an event: views redraw the voxels that changed, panels refresh, the autosave
marks the series dirty. Edits themselves are the plain functions of `medgui.core.labels.ops` &
co., called with ``model.labelmap`` and ``model.history``; the history's callback is what tells
everyone. Each user action is one undo step: removing a label (its row and its voxels), a
worker's result with its new table, the grown labels of grow from seeds.
"""

from __future__ import annotations

import numpy as np

from medgui.core.image.volume import Volume
from medgui.core.labels.bbox import BBox, label_bbox
from medgui.core.labels.interpolate import InterpolationProposal
from medgui.core.labels.io import GeometryMismatchError, describe_grid
from medgui.core.labels.labelmap import Label, LabelMap, LabelTable
from medgui.core.labels.stats import LabelStats, label_statistics
from medgui.core.labels.undo import (
    Edit,
    EditGroup,
    EditHistory,
    Entry,
    StateChange,
    locked_values,
    make_edit,
    require_unlocked,
    voxel_edits,
)
from medgui.core.util.events import Callbacks

_EDITABLE = ("name", "color", "visible", "opacity", "locked", "layer")


class Events(Callbacks):
    """The subscribers to a session's changes, each called as ``callback(name, *args)``:
    ``voxels_changed`` (layer, BBox; -1, None: all), ``table_changed`` (a row added, removed
    or edited), ``active_changed`` (value), ``history_changed`` (what undo/redo would do),
    ``proposal_changed`` (a preview shown or dropped), ``edited`` (anything saved changed)."""


class LabelSessionModel:
    """The label map of one volume with its undo history, active label and preview."""

    # What a whole-content change (`replace`) announces, in this order.
    RESET_EVENTS: tuple[str, ...] = (
        "table_changed",
        "active_changed",
        "voxels_changed",
        "history_changed",
        "proposal_changed",
        "edited",
    )

    def __init__(self, volume: Volume, *, labelmap: LabelMap | None = None) -> None:
        self.events = Events()
        self.volume = volume
        self.history = EditHistory()
        self.history.connect(self._on_history)
        self.labelmap = LabelMap.empty_like(volume)
        self.proposal: InterpolationProposal | None = None
        # A tool's own accept and cancel for the proposal it shows (None: interpolation's).
        self._proposal_hooks: tuple | None = None
        # True while a brush stroke is being drawn: its segments are in the map but not yet in
        # the history, so undo and redo wait until the button is released.
        self.stroking = False
        # Counts every change of voxels or table: a worker's result computed on a copy taken
        # at another revision is stale.
        self.revision = 0
        self._active = 0
        self.replace(labelmap, notify=False)

    # Whole-content changes.

    def check_grid(self, labelmap: LabelMap | None) -> None:
        """`GeometryMismatchError` if `labelmap` is off the volume's grid."""
        if labelmap is not None and not labelmap.matches(self.volume):
            raise GeometryMismatchError(
                "the label map's grid does not match the image's.\n"
                f"  label map: {describe_grid(labelmap)}\n  image:     {describe_grid(self.volume)}"
            )

    def replace(self, labelmap: LabelMap | None, *, notify=True) -> None:
        """Show `labelmap` (None: an empty one) instead; undo history is cleared.
        `GeometryMismatchError` if the map is off the grid."""
        self.check_grid(labelmap)
        self.labelmap = labelmap if labelmap is not None else LabelMap.empty_like(self.volume)
        if not self.labelmap.table.labels:
            self.labelmap.table.add("Label 1")
        self.history.clear()
        self.revision += 1
        self.proposal, self._proposal_hooks = None, None
        self._active = self.labelmap.table.labels[0].value
        if notify:
            extra = {"active_changed": (self._active,), "voxels_changed": (-1, None)}
            for name in self.RESET_EVENTS:
                self.events.emit(name, *extra.get(name, ()))

    def _on_history(self, action: str, entry: Entry) -> None:
        self.revision += 1
        for edit in voxel_edits(entry):
            self.notify_voxels(action, edit)
        self.events.emit("history_changed")
        self.events.emit("edited")

    def notify_voxels(self, _action: str, edit: Edit) -> None:
        """Tell the views that `edit` changed voxels (also for a stroke's live segments)."""
        self.revision += 1
        self.events.emit("voxels_changed", edit.layer, edit.bbox)

    def _table_changed(self, saved: bool = False) -> None:
        self.revision += 1
        self.events.emit("table_changed")
        if saved:
            self.events.emit("edited")

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
            self.events.emit("active_changed", value)

    def add_label(self, name: str | None = None, layer: int = 0) -> Label:
        """A new label (named "Label k" by default) that becomes the active one."""
        table = self.labelmap.table
        label = table.add(name or f"Label {max((lb.value for lb in table.labels), default=0) + 1}")
        label.layer = int(layer)
        self.labelmap.ensure_layer(label.layer)
        self._table_changed(saved=True)
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
            layer = table.get(value).layer
            block = self.labelmap.ensure_layer(layer)[bbox]
            before = block.copy()
            block[block == value] = 0
            entries.append(make_edit(layer, bbox, before, block, "Remove label"))
        before_table = table.to_json()
        table.remove(value)
        entries.append(
            StateChange("Remove label", before_table, table.to_json(), self._restore_table)
        )
        if value == self._active:
            self.set_active(table.labels[0].value)
        self.history.push(EditGroup("Remove label", tuple(entries)))
        self._table_changed()

    def discard_label(self, value: int) -> None:
        """Drop label `value`, which a tool added for itself and which holds no voxels, without
        an undo step (adding it was none either); ValueError if it has voxels."""
        if label_bbox(self.labelmap, value) is not None:
            raise ValueError(f"label {value} has voxels; remove it instead")
        self.labelmap.table.remove(value)
        if value == self._active:
            self.set_active(self.labelmap.table.labels[0].value)
        self._table_changed()

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

    def merge_grown(
        self,
        layer: int,
        region: BBox,
        seeded: np.ndarray,
        grown: np.ndarray,
        background: int,
    ) -> Edit | None:
        """Write grow from seeds' result into `region` of `layer` as one undo step: `seeded`
        (the block as painted, seeds included) with the `background` seeds left unlabelled,
        and `grown` wherever nothing was painted. A label locked since its seeds were painted
        keeps its extent: neither its seeds nor its growth are written."""
        labels = self.labelmap.ensure_layer(layer)
        result = np.where(seeded == background, 0, seeded).astype(labels.dtype)
        fill = (grown != 0) & (result == 0)
        result[fill] = grown[fill]
        current = labels[region]
        locked = np.isin(result, locked_values(self.labelmap.table)) & (result != current)
        result[locked] = current[locked]
        with self.history.edit(self.labelmap, layer, "Grow from seeds", region) as written:
            written.view[...] = result
        return written.edit

    def _restore_table(self, document) -> None:
        restored = LabelTable.from_json(document)
        self.labelmap.table.labels[:] = restored.labels
        if all(label.value != self._active for label in restored.labels):
            self.set_active(restored.labels[0].value)
        self._table_changed()

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
        self._table_changed(saved=True)

    # Undo, statistics, previews.

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
        self.events.emit("proposal_changed")

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
        self.events.emit("proposal_changed")

    def accept_proposal(self) -> None:
        """Accept a tool's proposal (its own accept writes it). An interpolation is accepted
        by `LabelActions`, in a worker."""
        if not self.tool_proposal:
            return
        proposal, self.proposal = self.proposal, None
        hooks, self._proposal_hooks = self._proposal_hooks, None
        hooks[0](proposal)
        self.events.emit("proposal_changed")

    def cancel_proposal(self) -> None:
        if self.proposal is not None:
            hooks, self._proposal_hooks = self._proposal_hooks, None
            self.proposal = None
            if hooks is not None:
                hooks[1]()
            self.events.emit("proposal_changed")

    def is_empty(self) -> bool:
        """Whether nothing has been labelled."""
        return all(not layer.any() for layer in self.labelmap.layers)
