"""Undo/redo of label edits as sparse diffs, the lock rule every edit obeys, and the array
boxes (z, y, x slices) both are expressed in.

An edit stores only what changed: the tight bounding box of the changed voxels on one layer,
and inside it either the flat indices of the changed voxels with their old and new values
(sparse) or the old and new blocks (dense), whichever is smaller. A brush stroke on a
512×512×300 map therefore costs kilobytes, never a copy of the map.

All label edits go through `EditHistory.edit`: it snapshots the box the op will write, lets the
op write, puts back any voxel that belonged to a locked label (`protect_locked`, the one place
that rule lives), records the diff, and restores the box if the op raised, so an edit is
all-or-nothing.

Edits of other things (boxes, class tags, the label table) go into the same history as a
`StateChange`: the object before and after, and the function that puts one of them back. An
`EditGroup` undoes several entries as one step (removing a label: its voxels and its row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from medgui.core.labels.bbox import BBox, bounding_box, full_box
from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.util.events import Callbacks

"""A box of array indices (z, y, x) with unit steps: `layer[bbox]` is the box's block."""


DEFAULT_MAX_BYTES = 512 * 2**20
# Python object overhead of one edit (dataclass, slices, array headers), so many tiny edits
# still count against the cap.
_EDIT_OVERHEAD_BYTES = 512


def locked_values(table: LabelTable) -> np.ndarray:
    """The values of the locked labels in `table`."""
    return np.array([lb.value for lb in table.labels if lb.locked], dtype=np.int64)


def require_unlocked(labelmap: LabelMap, value: int) -> None:
    """ValueError if label `value` is missing from the table or locked: a locked label's
    extent may not change, so it may not be painted either."""
    try:
        label = labelmap.table.get(value)
    except KeyError as error:
        raise ValueError(f"no label with value {value} in the label table") from error
    if label.locked:
        raise ValueError(f"label '{label.name}' ({value}) is locked; unlock it to edit it")


def protect_locked(table: LabelTable, before: np.ndarray, after: np.ndarray) -> None:
    """Put back, in place in `after`, every voxel whose `before` value is a locked label.

    This is the lock rule for every op: whatever an op wrote, a voxel of a locked label keeps
    its value.
    """
    locked = locked_values(table)
    if locked.size == 0:
        return
    keep = np.isin(before, locked)
    if keep.any():
        after[keep] = before[keep]


def _index_dtype(size: int) -> np.dtype:
    """The smallest unsigned type that holds flat indices into a box of `size` voxels."""
    for dtype in (np.uint16, np.uint32):
        if size <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


@dataclass(frozen=True, eq=False)
class Edit:
    """One recorded edit of one layer: the tight box of its changed voxels and the diff.

    Sparse form: `flat_index` holds the changed voxels' flat indices into the box and
    `before`/`after` their values. Dense form: `flat_index` is None and `before`/`after` are
    the box's blocks.
    """

    layer: int
    bbox: BBox
    description: str
    before: np.ndarray
    after: np.ndarray
    flat_index: np.ndarray | None

    @property
    def nbytes(self) -> int:
        """Memory held by this edit."""
        index_bytes = 0 if self.flat_index is None else self.flat_index.nbytes
        return self.before.nbytes + self.after.nbytes + index_bytes + _EDIT_OVERHEAD_BYTES

    @property
    def changed_voxels(self) -> int:
        """Number of voxels this edit changes."""
        if self.flat_index is not None:
            return int(self.flat_index.size)
        return int(np.count_nonzero(self.before != self.after))

    def apply(self, labelmap: LabelMap, forward: bool) -> None:
        """Write the new values (`forward`) or the old ones (undo) into `labelmap`."""
        values = self.after if forward else self.before
        block = labelmap.ensure_layer(self.layer)[self.bbox]
        if self.flat_index is None:
            block[...] = values
        else:
            block[np.unravel_index(self.flat_index, block.shape)] = values


def make_edit(
    layer: int, bbox: BBox, before: np.ndarray, after: np.ndarray, description: str
) -> Edit | None:
    """The sparse-or-dense diff between two blocks of box `bbox`, or None if they are equal."""
    if before.shape != after.shape:
        raise ValueError(f"before {before.shape} and after {after.shape} differ in shape")
    changed = before != after
    tight = bounding_box(changed)
    if tight is None:
        return None
    changed = changed[tight]
    old, new = before[tight], after[tight]
    absolute = tuple(
        slice(outer.start + inner.start, outer.start + inner.stop)
        for outer, inner in zip(bbox, tight, strict=True)
    )
    index_dtype = _index_dtype(changed.size)
    count = int(np.count_nonzero(changed))
    sparse_bytes = count * (index_dtype.itemsize + 2 * old.itemsize)
    if sparse_bytes < 2 * old.nbytes:
        flat = np.flatnonzero(changed).astype(index_dtype)
        return Edit(layer, absolute, description, old[changed], new[changed], flat)
    return Edit(layer, absolute, description, old.copy(), new.copy(), None)


@dataclass(frozen=True, eq=False)
class StateChange:
    """One recorded edit of something other than voxels: `restore(before)` undoes it and
    `restore(after)` redoes it. `before` and `after` are snapshots nobody changes afterwards
    (`restore` must not keep them: copy what it installs). `nbytes` is the caller's estimate
    of the memory they hold."""

    description: str
    before: object
    after: object
    restore: Callable[[object], None]
    size: int = 0

    @property
    def nbytes(self) -> int:
        return int(self.size) + _EDIT_OVERHEAD_BYTES

    def apply(self, _labelmap: LabelMap, forward: bool) -> None:
        self.restore(self.after if forward else self.before)


@dataclass(frozen=True, eq=False)
class EditGroup:
    """Several entries undone and redone as one step (applied in order, undone in reverse)."""

    description: str
    entries: tuple[Edit | StateChange, ...]

    @property
    def nbytes(self) -> int:
        return sum(entry.nbytes for entry in self.entries)

    @property
    def edits(self) -> list[Edit]:
        """The voxel edits in the group."""
        return [entry for entry in self.entries if isinstance(entry, Edit)]

    def apply(self, labelmap: LabelMap, forward: bool) -> None:
        for entry in self.entries if forward else reversed(self.entries):
            entry.apply(labelmap, forward)


Entry = Edit | StateChange | EditGroup
"""What the history holds: a voxel diff, a change of other state, or a group of them."""


def voxel_edits(entry: Entry) -> list[Edit]:
    """The voxel edits of a history entry (none for a `StateChange`)."""
    if isinstance(entry, Edit):
        return [entry]
    return entry.edits if isinstance(entry, EditGroup) else []


class EditRegion:
    """What `EditHistory.edit` yields: the layer and box an op may write.

    The op writes into `view` (the box's block of the layer) or into `layer` at indices inside
    `bbox`; writes outside the box are not recorded. After the block, `changed_bbox` is the
    tight box of what changed (None if nothing did) and `edit` the recorded edit.
    """

    def __init__(self, layer_index: int, layer: np.ndarray, bbox: BBox) -> None:
        self.layer_index = layer_index
        self.layer = layer
        self.bbox = bbox
        self.view = layer[bbox]
        self.edit: Edit | None = None

    @property
    def changed_bbox(self) -> BBox | None:
        """Tight box of the voxels the edit changed (None before exit or if none)."""
        return None if self.edit is None else self.edit.bbox


class EditHistory:
    """Undo and redo stacks of sparse edits, capped at `max_bytes` (oldest dropped first).

    `connect`ed callbacks are called as ``callback(action, entry)`` with action "edit", "undo"
    or "redo", after the label map has changed: views redraw the boxes of the entry's
    `voxel_edits`, autosave marks the series dirty. Entries are `Edit`s (voxel diffs),
    `StateChange`s (boxes, tags, the table) and `EditGroup`s of them.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        # Subscribers are called as callback(action, entry).
        self._events = Callbacks()
        self.connect = self._events.connect
        self.disconnect = self._events.disconnect
        self._emit = self._events.emit
        self._undo: list[Entry] = []
        self._redo: list[Entry] = []
        # Kept as a running total so the cap check stays O(1) per edit.
        self._bytes = 0

    @contextmanager
    def edit(
        self, labelmap: LabelMap, layer: int, description: str, bbox: BBox | None = None
    ) -> Iterator[EditRegion]:
        """Context for one undoable edit of `layer` inside `bbox` (default: the whole layer).

        Snapshots the box, yields an `EditRegion` to write into, then restores locked labels'
        voxels and records the diff. If the block raises, the box is restored and nothing is
        recorded.
        """
        array = labelmap.ensure_layer(layer)
        box = full_box(array.shape) if bbox is None else _clip(bbox, array.shape)
        region = EditRegion(layer, array, box)
        before = region.view.copy()
        try:
            yield region
        except BaseException:
            array[box] = before
            raise
        protect_locked(labelmap.table, before, region.view)
        region.edit = self._push(make_edit(layer, box, before, region.view, description))

    def record(
        self,
        layer_index: int,
        bbox_slices: BBox,
        before: np.ndarray,
        after: np.ndarray,
        description: str,
    ) -> Edit | None:
        """Record an edit a caller has already applied (and checked against locks itself):
        the blocks of box `bbox_slices` of layer `layer_index` before and after. Returns the
        edit, or None if nothing changed."""
        return self._push(make_edit(layer_index, bbox_slices, before, after, description))

    def push(self, entry: Entry) -> Entry:
        """Record an entry whose change the caller has already made (a `StateChange` or an
        `EditGroup`; voxel edits come through `edit` or `record`). Returns it."""
        self._push(entry)
        return entry

    def _push(self, edit):
        if edit is None:
            return None
        self._bytes -= sum(e.nbytes for e in self._redo)
        self._redo.clear()
        self._undo.append(edit)
        self._bytes += edit.nbytes
        # The newest edit stays even if it alone exceeds the cap: losing the undo of what the
        # user just did is worse than a brief excursion over the budget.
        while len(self._undo) > 1 and self._bytes > self.max_bytes:
            self._bytes -= self._undo.pop(0).nbytes
        self._emit("edit", edit)
        return edit

    def undo(self, labelmap: LabelMap) -> str | None:
        """Revert the last edit; returns its description, or None if there is none."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        edit.apply(labelmap, forward=False)
        self._redo.append(edit)
        self._emit("undo", edit)
        return edit.description

    def redo(self, labelmap: LabelMap) -> str | None:
        """Re-apply the last undone edit; returns its description, or None if there is none."""
        if not self._redo:
            return None
        edit = self._redo.pop()
        edit.apply(labelmap, forward=True)
        self._undo.append(edit)
        self._emit("redo", edit)
        return edit.description

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    @property
    def last_edit(self) -> Entry | None:
        """The edit Ctrl+Z would undo, or None."""
        return self._undo[-1] if self._undo else None

    @property
    def undo_description(self) -> str | None:
        """What Ctrl+Z would undo (for the menu item), or None."""
        return self._undo[-1].description if self._undo else None

    @property
    def redo_description(self) -> str | None:
        """What Ctrl+Shift+Z would redo, or None."""
        return self._redo[-1].description if self._redo else None

    @property
    def memory_bytes(self) -> int:
        """Bytes held by both stacks."""
        return self._bytes

    def __len__(self) -> int:
        """Number of edits that can be undone."""
        return len(self._undo)

    def clear(self) -> None:
        """Forget all edits (a new label map was loaded)."""
        self._undo.clear()
        self._redo.clear()
        self._bytes = 0


def _clip(bbox: BBox, shape: tuple[int, ...]) -> BBox:
    """`bbox` clipped to an array of `shape`; ValueError if it is empty or has steps.

    Negative bounds are clipped at 0 rather than counted from the end as in numpy: a box is a
    region of the grid, and one reaching past the edge means the part inside."""
    clipped = []
    for box, size in zip(bbox, shape, strict=True):
        start = 0 if box.start is None else min(max(box.start, 0), size)
        stop = size if box.stop is None else min(max(box.stop, 0), size)
        if box.step not in (None, 1) or stop <= start:
            raise ValueError(f"edit box {bbox} is empty or strided for shape {shape}")
        clipped.append(slice(start, stop))
    return clipped[0], clipped[1], clipped[2]
