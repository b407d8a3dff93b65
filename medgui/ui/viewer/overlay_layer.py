"""`OverlayLayer`: the text over a view (four corner blocks, four orientation letters) and the
frame of the active view.

The layer is a transparent, mouse-transparent widget on top of the view, so changing a line (the
value under the cursor on every mouse move) repaints a corner of text and never re-renders the
image. Text is white with a dark halo so it reads on any grey, from air to bone.

Each block of text is drawn into a cached pixmap when its text changes. The layer lies over the
image, so it is repainted with every slice change; that paint is then one drawPixmap per block
instead of nine drawText calls per line. Pixmaps are also kept by their text and place (up to
`_PIXMAP_BYTES_KEPT`), so scrolling back over slices already seen draws no text at all.

The text fits the view at any size: below `COMPACT_WIDTH` each corner shows its compact lines
(given with `set_corner`), lines wider than the view are elided, and while a block would overlap
another block or a letter, or leave the view, the corner first in `_TRIM_ORDER` loses its last
line. The orientation letters always stay.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
EDGES = ("left", "right", "top", "bottom")
# Below this width (a side view of the three-plane layout) corners show their compact lines.
COMPACT_WIDTH = 350
_MARGIN = 6
_PAD = 2  # room around a block's text for the halo
_GAP = 4  # clear space kept between blocks
# Patient and series lines go first: they are the same in every view and in the window title.
_TRIM_ORDER = ("top_left", "top_right", "bottom_right", "bottom_left")
_TEXT = QColor(235, 235, 235)
_LETTER = QColor(255, 214, 90)
_OUTLINE = QColor(0, 0, 0, 220)
_PIXMAP_BYTES_KEPT = 32 << 20  # text pixmaps kept by content: ~800 slices' bottom-left block
_BLOCKS_KEPT = 4096  # placed blocks remembered (one per slice seen, per view size)
_ADVANCES_KEPT = 4096  # text widths remembered (the slice lines and cursor readout make new ones)
# A one-pixel dark halo: the text at these offsets in the outline colour, then the text on top.
_HALO = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


@dataclass(frozen=True)
class _Block:
    """Lines of text as placed: `rect` is the pixmap's area in the widget, `origin` the start
    of the first baseline in the pixmap (its end, for lines aligned right)."""

    lines: tuple[str, ...]
    rect: QRect
    origin: QPointF
    letters: bool  # an orientation letter (its font and colour) rather than corner text
    right: bool  # lines aligned to the right end of the baseline


class OverlayLayer(QWidget):
    """The transparent text layer over a view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0))
        self.setFont(font)
        letter_font = QFont(font)
        letter_font.setPointSizeF(font.pointSizeF() * 1.35)
        letter_font.setBold(True)
        self._letter_font = letter_font
        # Each corner's (full, compact) lines, as set.
        self._corners: dict[str, tuple[list[str], list[str]]] = {c: ([], []) for c in CORNERS}
        self._edges: dict[str, str] = {edge: "" for edge in EDGES}
        self._border: QColor | None = None
        self._metrics = {False: QFontMetricsF(font), True: QFontMetricsF(letter_font)}
        self._blocks: dict[str, _Block] = {}
        self._trimmed: set[str] = set()
        self._laid_out_for = QSize()
        # Per corner or edge, the last input and result of each step of the layout: the
        # corners that did not change since the last layout cost a comparison.
        self._elided: dict[str, tuple[tuple, list[str]]] = {}
        self._placed: dict[tuple, _Block] = {}  # by name and `_block`'s key
        self._pixmaps: dict[str, tuple[_Block, float, QPixmap]] = {}
        self._drawn: dict[tuple, QPixmap] = {}  # by `_content_key`
        self._drawn_bytes = 0
        self._advances: dict[tuple[str, bool], float] = {}

    def corner_text(self, corner: str) -> list[str]:
        """The full lines set for `corner` (one of `CORNERS`)."""
        return list(self._corners[corner][0])

    def shown_text(self, corner: str) -> list[str]:
        """The lines on show in `corner`, after fitting them to the view's size."""
        block = self._blocks.get(corner)
        return list(block.lines) if block is not None else []

    def block_rects(self) -> dict[str, QRect]:
        """Where each corner block and letter on show is drawn, by corner or edge name."""
        return {name: QRect(block.rect) for name, block in self._blocks.items()}

    @property
    def orientation(self) -> dict[str, str]:
        """The letters on show at each edge (keys left, right, top, bottom)."""
        return dict(self._edges)

    def set_corner(
        self, corner: str, lines: Sequence[str], compact: Sequence[str] | None = None
    ) -> None:
        """Show `lines` in `corner`, or `compact` (default: the same lines) in a narrow view;
        repaints only what changed."""
        value = (list(lines), list(lines if compact is None else compact))
        if value != self._corners[corner]:
            self._corners[corner] = value
            if not self._replace_in_place(corner):
                self._relayout()

    def set_orientation(self, labels: dict[str, str]) -> None:
        """Show orientation letters; keys as `orientation_labels` returns them."""
        edges = {edge: labels.get(edge, "") for edge in EDGES}
        if edges != self._edges:
            self._edges = edges
            self._relayout()

    def set_border(self, color: QColor | None) -> None:
        """Frame the view in `color`, or no frame."""
        if color != self._border:
            self._border = color
            self.update()

    def clear(self) -> None:
        """Remove all text and the frame."""
        for corner in CORNERS:
            self.set_corner(corner, [])
        self.set_orientation({})
        self.set_border(None)

    # Layout: which lines fit, and where.

    def _replace_in_place(self, corner: str) -> bool:
        """Show `corner`'s new lines without a new layout, when that gives the same result: the
        corner kept all its lines last time and the new ones take exactly the same rectangle
        (the slice number and position on every slice change, as a rule). Every other block's
        fate depends only on the rectangles, so nothing else can change."""
        old = self._blocks.get(corner)
        if old is None or self.size() != self._laid_out_for:
            return False  # (a hidden widget is resized before its resize event comes)
        full, compact = self._corners[corner]
        lines = self._elide(corner, compact if self.width() < COMPACT_WIDTH else full)
        if not lines or len(lines) != len(old.lines) or corner in self._trimmed:
            return False
        new = self._block(corner, tuple(lines))
        if new.rect != old.rect:
            return False
        self._blocks[corner] = new
        self.update(new.rect)
        return True

    def _relayout(self) -> None:
        old, self._blocks = self._blocks, self._fit()
        for name in set(old) | set(self._blocks):
            before, after = old.get(name), self._blocks.get(name)
            if before is not after:  # a block that did not change is the same object
                region = QRect() if before is None else before.rect
                self.update(region.united(QRect() if after is None else after.rect))

    def _fit(self) -> dict[str, _Block]:
        letters = {
            edge: self._block(edge, (text,), letters=True)
            for edge, text in self._edges.items()
            if text
        }
        self._trimmed = set()  # the corners that lost lines to make room
        self._laid_out_for = self.size()
        narrow = self.width() < COMPACT_WIDTH
        lines = {
            corner: self._elide(corner, compact if narrow else full)
            for corner, (full, compact) in self._corners.items()
        }
        bounds = QRect(0, 0, self.width(), self.height())
        while True:
            corners = {c: self._block(c, tuple(lines[c])) for c in CORNERS if lines[c]}
            placed = [block.rect for block in (*corners.values(), *letters.values())]
            crowded = next(
                (
                    c
                    for c in _TRIM_ORDER
                    if c in corners and _crowded(corners[c].rect, placed, bounds)
                ),
                None,
            )
            if crowded is None:
                return {**corners, **letters}
            lines[crowded].pop()
            self._trimmed.add(crowded)

    def _elide(self, corner: str, lines: Sequence[str]) -> list[str]:
        """`lines` with those wider than the view cut short with an ellipsis."""
        room = self.width() - 2 * _MARGIN
        key = (tuple(lines), room)
        elided = self._elided.get(corner)
        if elided is None or elided[0] != key:
            metrics = self._metrics[False]
            elided = (
                key,
                [
                    line
                    if self._advance(line, False) <= room
                    else metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
                    for line in lines
                ],
            )
            self._elided[corner] = elided
        return list(elided[1])

    def _block(self, name: str, lines: tuple[str, ...], *, letters: bool = False) -> _Block:
        """Place `lines` at `name` (a corner, or an edge for a letter); remembered by content,
        so the blocks that did not change cost nothing, nor do slices already seen."""
        key = (name, lines, letters, self.width(), self.height())
        block = self._placed.get(key)
        if block is None:
            if len(self._placed) >= _BLOCKS_KEPT:
                self._placed.clear()
            block = self._placed[key] = self._place(name, lines, letters)
        return block

    def _advance(self, text: str, letters: bool) -> float:
        """The width of `text` (remembered: most lines stay the same from slice to slice)."""
        advance = self._advances.get((text, letters))
        if advance is None:
            if len(self._advances) >= _ADVANCES_KEPT:
                self._advances.clear()
            advance = self._metrics[letters].horizontalAdvance(text)
            self._advances[(text, letters)] = advance
        return advance

    def _place(self, name: str, lines: tuple[str, ...], letters: bool) -> _Block:
        metrics = self._metrics[letters]
        text_width = max(self._advance(line, letters) for line in lines)
        spacing, ascent, descent = metrics.lineSpacing(), metrics.ascent(), metrics.descent()
        text_height = spacing * (len(lines) - 1) + ascent + descent
        w, h = self.width(), self.height()
        # The first baseline and the text's left edge, as the text would be drawn directly.
        if name in ("left", "right"):
            baseline = h / 2 + (ascent - descent) / 2
        elif name.startswith("top"):
            baseline = _MARGIN + ascent
        else:
            baseline = h - _MARGIN - text_height + ascent
        if name in ("top", "bottom"):
            x = (w - text_width) / 2
        elif name.endswith("left"):
            x = _MARGIN
        else:
            x = w - _MARGIN - text_width
        # The pixmap starts on whole pixels and the text keeps its fractional position in it,
        # so every glyph lands exactly where drawing it directly would put it.
        left, top = math.floor(x) - _PAD, math.floor(baseline - ascent) - _PAD
        right, bottom = math.ceil(x + text_width) + _PAD, math.ceil(baseline - ascent + text_height)
        rect = QRect(left, top, right - left, bottom + _PAD - top)
        aligned_right = name.endswith("right")
        origin = QPointF((x + text_width if aligned_right else x) - left, baseline - top)
        return _Block(lines, rect, origin, letters, aligned_right)

    # Painting.

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        dirty = event.rect()
        for name, block in self._blocks.items():
            if block.rect.intersects(dirty):
                painter.drawPixmap(block.rect.topLeft(), self._pixmap(name, block))
        if self._border is not None:
            painter.setPen(QPen(self._border, 2))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    def _pixmap(self, name: str, block: _Block) -> QPixmap:
        """`block` drawn with its halo on a transparent pixmap; cached until it changes."""
        ratio = self.devicePixelRatioF()
        cached = self._pixmaps.get(name)
        if cached is not None and cached[0] is block and cached[1] == ratio:
            return cached[2]
        key = _content_key(block, ratio)
        pixmap = self._drawn.get(key)
        if pixmap is None:
            pixmap = self._draw(block, ratio)
            size = pixmap.width() * pixmap.height() * 4
            if self._drawn_bytes + size > _PIXMAP_BYTES_KEPT:
                self._drawn.clear()
                self._drawn_bytes = 0
            self._drawn[key] = pixmap
            self._drawn_bytes += size
        self._pixmaps[name] = (block, ratio, pixmap)
        return pixmap

    def _draw(self, block: _Block, ratio: float) -> QPixmap:
        """`block`'s text with its halo on a transparent pixmap."""
        font = self._letter_font if block.letters else self.font()
        spacing = self._metrics[block.letters].lineSpacing()
        text = _transparent_pixmap(block.rect.size(), ratio)
        painter = QPainter(text)
        painter.setFont(font)
        painter.setPen(_LETTER if block.letters else _TEXT)
        for n, line in enumerate(block.lines):
            shift = self._advance(line, block.letters) if block.right else 0.0
            painter.drawText(block.origin + QPointF(-shift, n * spacing), line)
        painter.end()
        # The halo: the text's own coverage in the outline colour, stamped at the eight
        # one-pixel offsets under it. Pixel for pixel the same as drawing the text nine times,
        # at half the cost (this runs for the slice number on every slice change).
        halo = text.copy()
        painter = QPainter(halo)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(halo.rect(), _OUTLINE)
        painter.end()
        pixmap = _transparent_pixmap(block.rect.size(), ratio)
        painter = QPainter(pixmap)
        for dx, dy in _HALO:
            painter.drawPixmap(QPoint(dx, dy), halo)
        painter.drawPixmap(QPoint(0, 0), text)
        painter.end()
        return pixmap

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()


def _content_key(block: _Block, ratio: float) -> tuple:
    """What a block's pixmap depends on: its lines, size, text origin, style and pixel ratio
    (the font is the layer's own and never changes)."""
    rect, origin = block.rect, block.origin
    return (
        block.lines, rect.width(), rect.height(), origin.x(), origin.y(),
        block.letters, block.right, ratio,
    )  # fmt: skip


def _transparent_pixmap(size: QSize, ratio: float) -> QPixmap:
    pixmap = QPixmap(size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


def _crowded(rect: QRect, placed: Sequence[QRect], bounds: QRect) -> bool:
    """Whether `rect` leaves `bounds` or comes within `_GAP` of another rect in `placed`."""
    if not bounds.contains(rect):
        return True
    grown = rect.adjusted(-_GAP, -_GAP, _GAP, _GAP)
    return any(other is not rect and grown.intersects(other) for other in placed)
