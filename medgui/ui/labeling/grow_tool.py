"""Grow from seeds in the window (`GrowFromSeeds`): the user paints seed strokes with the
ordinary brush and eraser, and a live preview shows what the seeds grow into.

Start (Label → Grow from seeds) adds a "Background" label when the layer has none and picks the
brush: strokes of the object labels and of Background are the seeds, on one slice (grown in 2-D
on it) or several (grown in the 3-D box around them plus a margin); labels drawn before count as
seeds too (barriers) and are never overwritten, nor grown: only the labels painted with seed
strokes grow, and a locked label never changes. Every stroke, erase, undo or redo while growing
asks for a new preview, computed in a worker on the region; a request made while one runs waits,
and only the newest waiting one runs (a generation counter drops stale results), so painting
stays fluid. The edge strength the flooding runs on depends on the image only: Start computes it
for the whole volume in a worker, and the 3-D previews cut their region out of it.

Accept (Ctrl+Return) takes the strokes back out of the history and writes seeds and grown
labels as one undoable edit, with the background left unlabelled; Cancel (Esc) takes the
strokes back out, so the map is as it was before Start.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from medgui.core.labels.bbox import bbox_union
from medgui.core.labels.grow_from_seeds import seed_region
from medgui.core.labels.interpolate import InterpolationProposal
from medgui.core.labels.ops import grid_of, normal_axis_zyx
from medgui.core.labels.undo import Entry, voxel_edits
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tools import LabelTool, LabelTools
from medgui.workers.smart_label_workers import edges_worker, grow_worker

BACKGROUND_NAME = "Background"
# Volumes up to this many voxels (512×512×128) get their edge strength computed as the tool
# starts, while the user paints the first strokes (1.2 s for 256×256×128 on two cores, so about
# 5 s at the limit, and 0.5 GB of float32 copies); the first 3-D preview of a larger volume
# computes it for its region only.
EDGES_AHEAD_VOXELS = 2**25


class GrowFromSeeds(QObject):
    """The grow-from-seeds mode of the label session on show (see the module docstring);
    `message(text)` is for the status bar, `changed()` after the mode starts or ends."""

    message = Signal(str)
    changed = Signal()

    def __init__(self, context: LabelContext, tools: LabelTools, parent=None) -> None:
        super().__init__(parent)
        self._context, self._tools = context, tools
        self._session: LabelSession | None = None
        self._layer = 0
        self._background = 0
        self._added_background = False
        self._strokes: list[Entry] = []  # the seed edits made since Start, oldest first
        self._generation = 0  # of the newest request; results of older ones are dropped
        self._worker = None
        self._waiting = False  # a request came while the worker ran
        # The edge strength of the last 3-D region (box, uint8 array): reused while the
        # seeds stay inside it, since only the seeds change between updates.
        self._edges: tuple | None = None
        self._edges_job = None  # the whole volume's edge strength, computed as Start runs
        context.session_changed.connect(self._on_session)

    @property
    def active(self) -> bool:
        """Whether seeds are being painted."""
        return self._session is not None

    @property
    def busy(self) -> bool:
        """Whether a preview is being computed."""
        return self._worker is not None

    def start(self) -> None:
        """Start painting seeds on the session on show (ValueError for a colour image)."""
        session = self._context.session
        if session is None or self.active:
            return
        if session.volume.is_color:
            raise ValueError("grow from seeds works on greyscale images, not colour")
        label = session.active_label
        self._layer = label.layer
        table = session.labelmap.table
        found = [lb for lb in table.on_layer(self._layer) if lb.name == BACKGROUND_NAME]
        self._added_background = not found
        if found:
            self._background = found[0].value
        else:
            self._background = session.add_label(BACKGROUND_NAME, self._layer).value
        if label.value != self._background:
            session.set_active(label.value)
        self._session, self._strokes = session, []
        session.history.connect(self._on_history)
        self._edges_ahead(session)
        self._tools.set_tool(LabelTool.BRUSH)
        self.changed.emit()
        self.message.emit(
            f"Grow from seeds: paint each label and '{BACKGROUND_NAME}'; "
            "Ctrl+Return accepts, Esc cancels"
        )

    def _edges_ahead(self, session: LabelSession) -> None:
        """Compute the whole volume's edge strength in a worker while the user paints, so that
        even the first preview only floods (edges: 1.2 s of the 2.1 s first update of a
        256×256×128 region; the later updates take 0.84 s)."""
        volume = session.volume
        if volume.array.ndim != 3 or min(volume.array.shape) < 2:
            return
        if volume.array.size > EDGES_AHEAD_VOXELS:
            return
        # The volume itself, not a float32 copy made here (0.3 GB and a second on the GUI
        # thread for 300×512×512): the worker converts it, and a loaded volume never changes.
        job = edges_worker(volume.array, session.labelmap.spacing_mm)
        whole = tuple(slice(0, n) for n in volume.array.shape)
        job.returned.connect(lambda edges: self._edges_ready(session, whole, edges))
        job.finished.connect(lambda: self._edges_done(job))
        self._edges_job = job
        job.start()

    def _edges_ready(self, session: LabelSession, whole, edges: np.ndarray) -> None:
        if self._session is session:  # the image's, so still right after a restart
            self._edges = (whole, edges)

    def _edges_done(self, job) -> None:
        if job is not self._edges_job:
            return
        self._edges_job = None
        if self._session is not None and self._waiting and self._worker is None:
            self._waiting = False
            self.request()

    def _on_history(self, action: str, entry: Entry) -> None:
        if not voxel_edits(entry):
            return
        if action == "undo":
            if entry in self._strokes:
                self._strokes.remove(entry)
        else:
            self._strokes.append(entry)
        self.request()

    def request(self) -> None:
        """Ask for a new preview of the seeds as they are now."""
        session = self._session
        if session is None:
            return
        self._generation += 1
        if self._worker is not None:
            self._waiting = True
            return
        box = None
        for entry in self._strokes:
            for edit in voxel_edits(entry):
                if edit.layer == self._layer:
                    box = bbox_union(box, edit.bbox)
        state = self._context.state
        plane = state.active_plane if state is not None else None
        grid = grid_of(session.labelmap)
        axis = normal_axis_zyx(grid, plane) if plane is not None else 0
        layer = session.labelmap.layers[self._layer]
        if box is None or self._background not in np.unique(layer[box]):
            self._show(None)
            return
        region = seed_region(box, layer.shape, axis)
        in_3d = min(r.stop - r.start for r in region) > 1
        if in_3d and self._edges_job is not None:
            self._waiting = True  # once the whole volume's edge strength is in
            return
        seeds = layer[region].copy()
        if len(np.unique(seeds[seeds != 0])) < 2:
            self._show(None)
            return
        image = session.volume.array[region]  # a view: the worker converts it
        generation = self._generation
        # 2-D regions keep their own (in-plane) gradient; they are quick without help.
        edges = self._cached_edges(region) if in_3d else None
        spacing = session.labelmap.spacing_mm
        worker = grow_worker(image, seeds, spacing, self._background, edges)
        worker.returned.connect(lambda result: self._grown(generation, region, axis, *result))
        worker.errored.connect(lambda error: self.message.emit(f"Grow from seeds: {error}"))
        worker.finished.connect(self._worker_done)
        self._worker = worker
        worker.start()

    def _worker_done(self) -> None:
        self._worker = None
        if self._waiting:
            self._waiting = False
            self.request()

    def _cached_edges(self, region) -> np.ndarray | None:
        if self._edges is None:
            return None
        box, edges = self._edges
        if not all(
            b.start <= r.start and r.stop <= b.stop for b, r in zip(box, region, strict=True)
        ):
            return None
        return edges[
            tuple(
                slice(r.start - b.start, r.stop - b.start) for b, r in zip(box, region, strict=True)
            )
        ]

    def _grown(self, generation: int, region, axis: int, values, edges) -> None:
        if edges is not None and self._session is not None:
            self._edges = (region, edges) if self._cached_edges(region) is None else self._edges
        if generation != self._generation or self._session is None:
            return  # the seeds changed meanwhile: a newer request follows
        layer = self._session.labelmap.layers[self._layer]
        values = values.astype(layer.dtype, copy=False)
        # Labels drawn before Start are seeds (barriers) too, but only the labels the user
        # painted seeds of grow: another label's voxels never change.
        values[~np.isin(values, list(self._seed_labels()))] = 0
        in_plane = tuple(ax for ax in range(3) if ax != axis)
        filled = {
            int(v): [int(s) + region[axis].start for s in np.flatnonzero(
                np.any(values == v, axis=in_plane))]
            for v in np.unique(values) if v != 0
        }  # fmt: skip
        self._show(InterpolationProposal(self._layer, axis, region, values, filled))

    def _seed_labels(self) -> set[int]:
        """The labels painted with seed strokes since Start, the background aside."""
        painted: set[int] = set()
        for entry in self._strokes:
            for edit in voxel_edits(entry):
                if edit.layer == self._layer:
                    painted.update(int(v) for v in np.unique(edit.after))
        return painted - {0, self._background}

    def _show(self, proposal: InterpolationProposal | None) -> None:
        session = self._session
        if proposal is None or not proposal.filled:
            if session.proposal is not None:
                session.show_proposal(None)
            return
        session.show_proposal(proposal, self._accept, self.cancel)

    def _take_strokes_back(self) -> None:
        """Undo the seed strokes (newest first) while they are the newest history entries."""
        session = self._session
        session.history.disconnect(self._on_history)
        while self._strokes and session.history.last_edit is self._strokes[-1]:
            self._strokes.pop()
            session.undo()

    def _accept(self, proposal: InterpolationProposal) -> None:
        session, region = self._session, proposal.bbox
        if session is None:
            return
        seeded = session.labelmap.layers[self._layer][region].copy()
        self._take_strokes_back()
        session.merge_grown(self._layer, region, seeded, proposal.values, self._background)
        self._finish()
        self.message.emit("Grown from seeds: Ctrl+Z undoes it")

    def cancel(self) -> None:
        """Stop growing and take the seed strokes back out: the map is as before Start."""
        if self._session is None:
            return
        self._take_strokes_back()
        self._finish()
        self.message.emit("Grow from seeds cancelled")

    def _finish(self) -> None:
        session, self._session = self._session, None
        self._generation += 1
        self._edges = None
        self._strokes, self._waiting = [], False
        if self._added_background:
            if not (session.labelmap.layers[self._layer] == self._background).any():
                session.discard_label(self._background)
        if session.proposal is not None:
            session.show_proposal(None)
        self.changed.emit()

    def _on_session(self, session) -> None:
        if self._session is not None and session is not self._session:
            self._session.history.disconnect(self._on_history)
            self._session, self._edges = None, None
            self._strokes = []
            self._generation += 1
            self.changed.emit()
