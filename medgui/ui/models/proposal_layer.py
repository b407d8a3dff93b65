"""The model's proposal over the image: what a model predicts, not yet accepted.

`ProposalModel` holds the probabilities (background first, then one channel per label value),
the label colours, the threshold the user moves and fill/contour display. It is either a whole
proposal (a model run on the series) or the training preview (one axial slice, refreshed after
every epoch). `ProposalLayer` draws it on one `SliceView`, from outside, through the view's
public `slice_group` and a paint-time `flush` like the label overlay: a voxel shows the colour
of its most probable label when that probability reaches the threshold, more opaque the surer
the model is; with contours only the outline of those regions is drawn.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Signal

from medgui.core.image.colour import premultiplied_argb
from medgui.core.image.reformat import extract_slice, normal_axis
from medgui.core.util.events import unsubscribe
from medgui.ui.labeling.items import LabelImageItem
from medgui.ui.labeling.overlay import outline_mask
from medgui.ui.viewer.view_layer import LazyViewLayer

_ALPHA_MIN, _ALPHA_SPAN = 50, 150  # alpha at the threshold, and added at certainty


class ProposalModel(QObject):
    """The proposal on show (shared by every view). `changed()` after anything changes."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.probabilities: np.ndarray | None = None  # (L+1, z, y, x), possibly broadcast
        self.label_values: list[int] = []
        self.colors: dict[int, tuple[int, int, int]] = {}
        self.slices: set[int] | None = None  # z indices computed (None: all)
        self.proposal = None  # the whole `Proposal` (None for a training preview)
        self.preview_epoch: int | None = None
        self.threshold = 0.5
        self.contours = False
        self.visible = True
        self.shape_zyx: tuple[int, int, int] | None = None

    @property
    def active(self) -> bool:
        return self.probabilities is not None

    def set_proposal(self, proposal) -> None:
        """Show `proposal` (a `Proposal` of the whole volume)."""
        self.proposal = proposal
        self.probabilities = proposal.probabilities
        self.label_values = list(proposal.label_values)
        self.colors = {lb.value: tuple(lb.color) for lb in proposal.table.labels}
        self.slices = None
        self.preview_epoch = None
        self.shape_zyx = tuple(proposal.probabilities.shape[1:])
        self.changed.emit()

    def set_preview(self, preview, shape_zyx: tuple[int, int, int]) -> None:
        """Show a training `SlicePreview` (slice `preview.k` only) on a volume of `shape_zyx`."""
        probs = preview.probabilities
        self.proposal = None
        self.probabilities = np.broadcast_to(probs[:, None], (probs.shape[0], *shape_zyx))
        self.label_values = list(preview.label_values)
        self.colors = dict(preview.colors)
        self.slices = {int(preview.k)}
        self.preview_epoch = int(preview.epoch)
        self.shape_zyx = tuple(shape_zyx)
        self.changed.emit()

    def clear(self) -> None:
        """Drop the proposal (Reject)."""
        if self.probabilities is None and self.proposal is None:
            return
        self.probabilities = self.proposal = None
        self.label_values, self.colors, self.slices = [], {}, None
        self.preview_epoch = self.shape_zyx = None
        self.changed.emit()

    def set_threshold(self, threshold: float) -> None:
        threshold = float(min(max(threshold, 0.0), 1.0))
        if threshold != self.threshold:
            self.threshold = threshold
            self.changed.emit()

    def set_contours(self, contours: bool) -> None:
        if bool(contours) != self.contours:
            self.contours = bool(contours)
            self.changed.emit()

    def set_visible(self, visible: bool) -> None:
        if bool(visible) != self.visible:
            self.visible = bool(visible)
            self.changed.emit()

    def slice_pixels(self, volume, plane, index: int) -> np.ndarray | None:
        """Premultiplied ARGB32 pixels of slice `index` of `plane` (None: nothing to draw)."""
        probs = self.probabilities
        if (
            probs is None
            or not self.visible
            or not self.label_values
            or volume is None
            or tuple(volume.shape_zyx) != self.shape_zyx
        ):
            return None
        if self.slices is not None:
            # Only some axial slices were computed: draw those, nothing elsewhere.
            if normal_axis(volume, plane) != 2 or index not in self.slices:
                return None
        channels = np.stack(
            [extract_slice(volume, plane, index, array=probs[c]) for c in range(1, len(probs))]
        )
        best = channels.argmax(axis=0)
        top = np.take_along_axis(channels, best[None], axis=0)[0]
        keep = top >= max(self.threshold, 1e-6)
        if not keep.any():
            return None
        values = np.where(keep, np.asarray(self.label_values)[best], 0)
        if self.contours:
            keep = outline_mask(values)
            alpha = np.where(keep, 255, 0).astype(np.uint32)
        else:
            alpha = np.where(keep, _ALPHA_MIN + _ALPHA_SPAN * top, 0).astype(np.uint32)
        lut = np.zeros((max(self.label_values) + 1, 3), np.uint32)
        for value in self.label_values:
            lut[value] = self.colors.get(value, (255, 255, 0))
        rgb = lut[values]
        return premultiplied_argb(rgb, alpha)



class ProposalLayer(LazyViewLayer):
    """`model` drawn on one `SliceView` (a child of it); `pixels` is what is on show."""

    def __init__(self, view, model: ProposalModel) -> None:
        self._model = model
        self.item = LabelImageItem(view.slice_group)  # made after the labels: drawn above them
        super().__init__(view)
        model.changed.connect(self.request)
        view.state.events.connect(self._on_state)
        view.destroyed.connect(partial(unsubscribe, view.state, self._on_state))
        self.request()

    @property
    def pixels(self) -> np.ndarray | None:
        return self.item.pixels

    def _on_state(self, name: str, value) -> None:
        if name == "slice_index" and value[0] is self._view.plane:
            self.request()

    def render(self) -> None:
        self._timer.stop()
        view = self._view
        if view.volume is None:
            self.item.set_pixels(None)
            return
        index = view.state.slice_index(view.plane)
        self.item.set_pixels(self._model.slice_pixels(view.volume, view.plane, index))
