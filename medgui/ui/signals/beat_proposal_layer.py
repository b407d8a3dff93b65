"""A model's beats drawn on an `EcgView`, apart from the labelled ones (blue, above the trace):

- the training PREVIEW (the model of the moment on the page on show, after each epoch): grey
  dotted ticks through the trace and grey symbols below it, ghosts that labels are not;
- the PROPOSAL of "Label the rest" (beats to accept or reject): orange dashed ticks and bold
  orange symbols followed by "?", below the trace.

The view clears its page on every redraw (scrolling, speed, a label edit), so the layer draws
again on its `redrawn` signal; the marks are on the rows where the view draws beats.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from medgui.ui.signals.ecg_view import EcgView

STYLES = {  # colour, line style, bold, suffix
    "preview": ("#707070", Qt.PenStyle.DotLine, False, ""),
    "proposal": ("#e06a00", Qt.PenStyle.DashLine, True, "?"),
}


class BeatMarks:
    """The preview and proposal marks of `view` (each: record samples and their symbols)."""

    def __init__(self, view: EcgView) -> None:
        self.view = view
        self.marks: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.items: list[pg.GraphicsObject] = []
        self.drawn: list[tuple[str, int, str]] = []  # (kind, sample, symbol) on the page now
        view.redrawn.connect(self._draw)

    def set_marks(self, kind: str, samples, symbols) -> None:
        """Show `kind` ("preview" or "proposal") marks at `samples` with `symbols`."""
        if kind not in STYLES:
            raise ValueError(f"unknown kind of beat marks {kind!r}")
        self.marks[kind] = (np.asarray(samples, np.int64), list(symbols))
        self._redraw_marks()

    def clear(self, kind: str) -> None:
        if self.marks.pop(kind, None) is not None:
            self._redraw_marks()

    def _redraw_marks(self) -> None:
        for item in self.items:
            self.view.box.removeItem(item)
        self._draw()

    def _draw(self) -> None:
        """Add the marks to the page the view has just drawn (its old items are gone)."""
        self.items, self.drawn = [], []
        view = self.view
        if view.signal is None or not self.marks:
            return
        fs, paper = view.signal.fs_hz, view.paper
        full = [c for c in view.cells if c.t1_s - c.t0_s >= paper.page_s - 1e-9]
        for cell in full or view.cells:  # the rows the view draws beats on
            low, high = np.ceil(cell.t0_s * fs), np.floor(cell.t1_s * fs) + 1
            for kind, (samples, symbols) in self.marks.items():
                inside = np.flatnonzero((samples >= low) & (samples < high))
                if len(inside):
                    self._draw_kind(kind, cell, samples[inside], [symbols[i] for i in inside])
        for item in self.items:
            view.box.addItem(item)

    def _draw_kind(self, kind: str, cell, samples: np.ndarray, symbols: list[str]) -> None:
        colour, style, bold, suffix = STYLES[kind]
        view = self.view
        pitch = view.paper.row_pitch_mm
        xs, _ = view.paper.to_mm(cell, samples / view.signal.fs_hz, np.zeros(len(samples)))
        xs = np.asarray(xs, float)
        top, bottom = cell.y_mm - 0.3 * pitch, cell.y_mm + 0.22 * pitch
        pen = pg.mkPen(colour, width=1.5, style=style)
        ticks = pg.PlotCurveItem(
            np.repeat(xs, 2), np.tile([top, bottom], len(xs)), pen=pen, connect="pairs"
        )
        ticks.setZValue(5)
        self.items.append(ticks)
        font = QFont()
        font.setBold(bold)
        font.setItalic(not bold)
        for x, sample, symbol in zip(xs, samples, symbols, strict=True):
            text = pg.TextItem(symbol + suffix, color=colour, anchor=(0.5, 0))
            text.setFont(font)
            text.setPos(float(x), bottom)
            self.items.append(text)
            self.drawn.append((kind, int(sample), symbol))
