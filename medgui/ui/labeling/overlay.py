"""Labels drawn over a slice view: each layer's slice through a per-table lookup table of
premultiplied ARGB32 pixels, in fill (colour × opacity) or outline mode, plus the previews of
what a tool would do (an interpolation proposal, threshold paint's in-range pixels) hatched, and
the boxes.

Only the slice on show is converted: one `extract_slice` view per layer and one `np.take` into
the table (a table change rebuilds the table, not the image). A label edit redraws a view only
when its box crosses that view's slice. Redraws are coalesced on a 0 ms timer, and a pending one
is drawn before the view paints, so labels and image never disagree on screen.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor

from medgui.core.image.colour import opacity_alpha, premultiplied_argb
from medgui.core.image.reformat import extract_slice, normal_axis
from medgui.core.labels.labelmap import DEFAULT_COLORS, LabelTable
from medgui.core.labels.ops import threshold_preview
from medgui.core.util.events import unsubscribe
from medgui.ui.labeling.items import BoxItems, LabelImageItem, box_3d_section
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tools import LabelTool, LabelTools
from medgui.ui.viewer.view_layer import LazyViewLayer

# Alpha of a preview's hatch stripes and of the pixels between them.
PREVIEW_ALPHA = (210, 60)
_HATCH_PERIOD = 4
_UNKNOWN_ALPHA = 0.5  # for values missing from the table (an undone "remove label")


def to_rgba(pixels: np.ndarray) -> np.ndarray:
    """(..., 4) premultiplied R, G, B, A bytes of ARGB32 `pixels` (for checks)."""
    channels = [(pixels >> shift) & 0xFF for shift in (16, 8, 0, 24)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def _colors(table: LabelTable, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-value colour, opacity (0..1) and visibility; values not in the table get default
    colours, so no painted voxel is ever invisible by accident."""
    defaults = np.array(DEFAULT_COLORS, np.uint8)
    rgb = defaults[(np.arange(size) - 1) % len(defaults)]
    opacity = np.full(size, _UNKNOWN_ALPHA)
    visible = np.ones(size, bool)
    for label in table.labels:
        if label.value < size:
            rgb[label.value], opacity[label.value] = label.color, label.opacity
            visible[label.value] = label.visible
    visible[0] = False
    return rgb, opacity, visible


def label_lut(table: LabelTable, size: int, *, outline: bool = False) -> np.ndarray:
    """`size` ARGB32 pixels, one per label value: the label's colour at its opacity (opaque in
    `outline` mode), transparent for 0 and for hidden labels."""
    rgb, opacity, visible = _colors(table, size)
    alpha = np.where(visible, 255 if outline else opacity_alpha(opacity), 0)
    return premultiplied_argb(rgb, alpha)


def preview_luts(table: LabelTable, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The (stripe, between-stripes) ARGB32 tables a proposal is drawn with: every label,
    hidden ones too, since a proposal is shown to be judged."""
    rgb, _, _ = _colors(table, size)
    strong, weak = (premultiplied_argb(rgb, np.full(size, alpha)) for alpha in PREVIEW_ALPHA)
    strong[0] = weak[0] = 0
    return strong, weak


def outline_mask(values: np.ndarray) -> np.ndarray:
    """Labelled pixels with a 4-neighbour of another value (or outside the slice)."""
    padded = np.pad(values, 1)
    centre = padded[1:-1, 1:-1]
    edge = (
        (padded[:-2, 1:-1] != centre)
        | (padded[2:, 1:-1] != centre)
        | (padded[1:-1, :-2] != centre)
        | (padded[1:-1, 2:] != centre)
    )
    return edge & (centre != 0)


@lru_cache(maxsize=8)
def stripes(shape: tuple[int, int]) -> np.ndarray:
    """Diagonal hatch stripes over a slice of `shape` (True on a stripe)."""
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows + cols) % _HATCH_PERIOD < _HATCH_PERIOD // 2


def compose(slices: list[np.ndarray], lut: np.ndarray, outline: bool) -> np.ndarray | None:
    """ARGB32 pixels of label slices (one per layer, later layers on top); None if all empty."""
    cropped = compose_cropped(slices, lut, outline)
    if cropped is None:
        return None
    pixels, (row, col) = cropped
    image = np.zeros(slices[0].shape, np.uint32)
    image[row : row + pixels.shape[0], col : col + pixels.shape[1]] = pixels
    return image


def _labelled_rows_cols(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of `values` holding a label, and the columns holding one within those rows.
    A C-contiguous slice is read as 64-bit words (8 voxels of uint8 at a time): the search
    runs on every slice change, over mostly empty slices."""
    row_bytes = values.shape[1] * values.itemsize
    if values.ndim == 2 and values.flags.c_contiguous and row_bytes % 8 == 0:
        words = values.view(np.uint64)
        rows = np.flatnonzero(words.any(axis=1))
        if rows.size == 0:
            return rows, rows
        # OR of the rows, read back as voxels: a voxel is non-zero where any row's is.
        union = np.bitwise_or.reduce(words[rows[0] : rows[-1] + 1], axis=0).view(values.dtype)
        return rows, np.flatnonzero(union)
    rows = np.flatnonzero(values.any(axis=1))
    if rows.size == 0:
        return rows, rows
    return rows, np.flatnonzero(values[rows[0] : rows[-1] + 1].any(axis=0))


def labelled_box(slices: list[np.ndarray]) -> tuple[slice, slice] | None:
    """The (rows, cols) box of a slice holding every labelled pixel of `slices`, one pixel
    larger all round where the slice allows (so a scaled or smoothed drawing of the box never
    samples past its edge); None if nothing is labelled."""
    box = None
    for values in slices:
        rows, cols = _labelled_rows_cols(values)
        if rows.size == 0:
            continue
        found = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)
        box = found if box is None else (
            min(box[0], found[0]), max(box[1], found[1]),
            min(box[2], found[2]), max(box[3], found[3]),
        )  # fmt: skip
    if box is None:
        return None
    n_rows, n_cols = slices[0].shape[:2]
    return (
        slice(max(int(box[0]) - 1, 0), min(int(box[1]) + 1, n_rows)),
        slice(max(int(box[2]) - 1, 0), min(int(box[3]) + 1, n_cols)),
    )


def compose_cropped(
    slices: list[np.ndarray], lut: np.ndarray, outline: bool
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """`compose` of only the box of the slices that holds labels (`labelled_box`): its ARGB32
    pixels and the slice (row, col) of their top-left; None if nothing is labelled. Outside
    the box every layer is 0, so outlines found in the box are those of the whole slice."""
    box = labelled_box(slices)
    if box is None:
        return None
    image = None
    for values in (values[box] for values in slices):
        if not values.any():
            continue
        # The table has one entry per value the dtype can hold: "wrap" never wraps, and
        # skips "raise"'s bounds check.
        colors = np.take(lut, values, mode="wrap")
        if outline:
            colors[~outline_mask(values)] = 0
        if image is None:
            image = colors
        else:
            top = colors != 0
            image[top] = colors[top]
    if image is None:
        return None
    return image, (box[0].start, box[1].start)


def hatched(strong: np.ndarray, weak: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A preview of label `values`: `strong` colours on the stripes, `weak` between them."""
    return np.where(stripes(tuple(values.shape)), np.take(strong, values), np.take(weak, values))


class _BoxedLabelItem(LabelImageItem):
    """A `LabelImageItem` painted only inside `box` (rows, cols of the slice; None: all), the
    part of the slice that holds labels: the rest is transparent, and blending it scaled over
    the whole view cost as much as drawing the image. The clip edge runs through the box's
    transparent margin (`labelled_box`), and the image is still drawn whole through it, so
    every pixel drawn is the one drawing the whole image gives."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.box: tuple[slice, slice] | None = None

    def set_pixels(self, pixels: np.ndarray | None) -> None:
        if pixels is None:
            self.box = None
        super().set_pixels(pixels)

    def paint(self, painter, option, widget=None) -> None:
        box = self.box
        if box is not None:
            rows, cols = box
            painter.setClipRect(
                QRectF(cols.start - 0.5, rows.start - 0.5, cols.stop - cols.start,
                       rows.stop - rows.start),
                Qt.ClipOperation.IntersectClip,
            )  # fmt: skip
        super().paint(painter, option, widget)



class LabelOverlay(LazyViewLayer):
    """The labels, previews and boxes of one `SliceView` (a child of it). `pixels` and
    `preview_pixels` are the ARGB32 arrays on show (None: nothing drawn)."""

    def __init__(self, view, context: LabelContext, tools: LabelTools) -> None:
        self._context, self._tools = context, tools
        self._session: LabelSession | None = None
        self._luts: dict[tuple, np.ndarray] = {}
        # The whole slice's label pixels, reused from slice to slice: only the box that held
        # labels last time is cleared and only the new box is written.
        self._buffer: np.ndarray | None = None
        self._written: tuple[slice, slice] | None = None
        # Same z as the image and made after it: above the image, below the crosshair (z 5)
        # and the measurements made later.
        self.item = _BoxedLabelItem(view.slice_group)
        self.preview_item = LabelImageItem(view.slice_group)
        self.boxes = BoxItems(view.slice_group)
        # After the items exist: the base class may flush (render) on the view's next paint.
        super().__init__(view)
        context.session_changed.connect(self._bind)
        context.display_changed.connect(self.request)
        tools.changed.connect(self._on_tools)
        view.state.events.connect(self._on_state)
        view.destroyed.connect(partial(unsubscribe, view.state, self._on_state))
        self._bind(context.session)

    @property
    def pixels(self) -> np.ndarray | None:
        return self.item.pixels

    @property
    def preview_pixels(self) -> np.ndarray | None:
        return self.preview_item.pixels

    def _bind(self, session: LabelSession | None) -> None:
        old = self._session
        if old is not None:
            for signal, slot in self._slots(old):
                signal.disconnect(slot)
        self._session = session
        if session is not None:
            for signal, slot in self._slots(session):
                signal.connect(slot)
        self._luts.clear()
        self.request()

    def _slots(self, session: LabelSession):
        return (
            (session.voxels_changed, self._on_voxels),
            (session.table_changed, self._on_table),
            (session.proposal_changed, self.request),
            (session.annotations_changed, self.request),
            (session.active_changed, self._on_active),
        )

    # Change events.

    def _on_table(self) -> None:
        self._luts.clear()
        self.request()

    def _on_active(self, _value: int) -> None:
        if self._tools.tool is LabelTool.THRESHOLD:
            self.request()

    def _on_voxels(self, _layer: int, bbox) -> None:
        view = self._view
        if view.volume is None:
            return
        if bbox is not None:
            axis = 2 - normal_axis(view.volume, view.plane)
            index = view.state.slice_index(view.plane)
            if not bbox[axis].start <= index < bbox[axis].stop:
                return  # another slice changed: nothing to redraw here
        self.request()

    def _on_tools(self, name: str) -> None:
        if name in ("tool", "threshold"):
            self.request()

    def _on_state(self, name: str, value) -> None:
        if name == "slice_index" and value[0] is self._view.plane:
            self.request()

    # Rendering.

    def _lut(self, table: LabelTable, dtype: np.dtype, kind: str):
        size = int(np.iinfo(dtype).max) + 1
        key = (size, kind)
        if key not in self._luts:
            if kind == "preview":
                self._luts[key] = preview_luts(table, size)
            else:
                self._luts[key] = label_lut(table, size, outline=kind == "outline")
        return self._luts[key]

    def render(self) -> None:
        """Draw the labels, previews and boxes of the view's current slice."""
        self._timer.stop()
        view, session, context = self._view, self._session, self._context
        volume = view.volume
        if session is None or volume is None or session.labelmap.shape_zyx != volume.shape_zyx:
            self._show_labels(None, None)
            self.preview_item.set_pixels(None)
            self.boxes.clear()
            return
        plane, index = view.plane, view.state.slice_index(view.plane)
        labelmap = session.labelmap
        cropped, shape = None, None
        if context.overlay_visible:
            slices = [extract_slice(volume, plane, index, array=lay) for lay in labelmap.layers]
            kind = "outline" if context.outline else "fill"
            lut = self._lut(labelmap.table, slices[0].dtype, kind)
            cropped, shape = compose_cropped(slices, lut, context.outline), slices[0].shape[:2]
        self._show_labels(cropped, shape)
        self.preview_item.set_pixels(self._preview(session, plane, index))
        self._show_boxes(session, plane, index)

    def _show_labels(self, cropped, shape) -> None:
        """Show `compose_cropped`'s pixels in place in the slice (None: hide the item). Only
        their box is looked up, written and drawn: labels rarely cover much of a slice. The
        slice-sized array on show (`pixels`) is reused, so it changes with the next render."""
        buffer = self._buffer
        if buffer is not None and self._written is not None:
            buffer[self._written] = 0
        self._written = None
        if cropped is None:
            self.item.set_pixels(None)
            return
        pixels, (row, col) = cropped
        if buffer is None or buffer.shape != shape:
            buffer = self._buffer = np.zeros(shape, np.uint32)
        box = (slice(row, row + pixels.shape[0]), slice(col, col + pixels.shape[1]))
        buffer[box] = pixels
        self._written = self.item.box = box
        self.item.set_pixels(buffer)

    def _preview(self, session: LabelSession, plane, index: int) -> np.ndarray | None:
        labelmap, volume = session.labelmap, session.volume
        if session.proposal is not None:
            values = session.proposal.preview_slice(labelmap, plane, index)
            if values.any():
                return hatched(*self._lut(labelmap.table, values.dtype, "preview"), values)
        if self._tools.tool is LabelTool.THRESHOLD and not volume.is_color:
            low, high = self._tools.threshold
            inside = threshold_preview(extract_slice(volume, plane, index), low, high)
            color = np.array(session.active_label.color, np.uint8)
            strong, weak = (
                np.array([0, int(premultiplied_argb(color, a))], np.uint32) for a in PREVIEW_ALPHA
            )
            return hatched(strong, weak, inside.view(np.uint8))
        return None

    def _show_boxes(self, session: LabelSession, plane, index: int) -> None:
        notes = session.annotations
        flat = [b for b in notes.boxes_2d if b.plane is plane and b.slice_index == index]
        sections = [(b, box_3d_section(b, session.volume, plane, index)) for b in notes.boxes_3d]
        crossing = [(box, corners) for box, corners in sections if corners is not None]
        colors = {lb.name: QColor(*lb.color) for lb in session.labelmap.table.labels}
        white = QColor(255, 255, 255)
        self.boxes.show(flat, crossing, lambda name: colors.get(name, white))
