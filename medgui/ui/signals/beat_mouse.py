"""Beats with the mouse: a click on a trace selects the beat nearest it (within the beat keys'
reach), and a drag of a beat's mark (its symbol above the rhythm strip) moves the beat: to the
R peak nearest where it is dropped, or exactly there with Alt held. One undo step per move."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from medgui.core.signals.ecg_layout import Cell
from medgui.ui.signals.beat_keys import NEAREST_S, nearest_beat
from medgui.ui.signals.view_layer import Point, ViewLayer

MARK_BAND_MM = 5.0  # the band under a row's top where beat symbols are drawn
MARK_REACH_MM = 2.0  # how far from a mark's centre a press still grabs it


def mark_top(view, cell: Cell) -> float:
    """The paper y of the top of the beat symbols on `cell` (as `EcgView._draw_beats`)."""
    return cell.y_mm - 0.49 * view.paper.row_pitch_mm


class BeatMouse(ViewLayer):
    """Selection (``view.selected_beat``) and moving of the view's session's beats."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self._grabbed: tuple[int, Cell] | None = None  # the beat being dragged and its row
        self._ghost: pg.PlotCurveItem | None = None

    def draw(self) -> None:
        view, session = self.view, self.view.session
        selected = view.selected_beat
        if session is None or selected is None:
            return
        if selected not in {b.sample for b in session.beats}:  # undone or deleted
            view.selected_beat = None
            return
        pen = pg.mkPen(view.colours["selected"], width=2)
        for cell in view.annotated_cells():
            t = selected / view.signal.fs_hz
            if cell.t0_s <= t <= cell.t1_s:
                x, _ = view.paper.to_mm(cell, t, 0.0)
                top = mark_top(view, cell)
                item = pg.PlotCurveItem(
                    [float(x)] * 2, [top, cell.y_mm + 0.3 * view.paper.row_pitch_mm], pen=pen
                )
                item.setZValue(-5)  # under the trace, over the grid
                view.box.addItem(item)

    def click(self, at: Point, modifiers: Qt.KeyboardModifier) -> bool:
        view = self.view
        sample = view.sample_at(*at)
        beat = nearest_beat(view.session, sample) if sample is not None and view.session else None
        view.selected_beat = beat.sample if beat is not None else None
        view.redraw()
        if beat is not None:
            view.say(f"Selected beat {beat.symbol} at {beat.sample / view.signal.fs_hz:.3f} s")
        elif sample is not None:
            view.say(f"No beat within {NEAREST_S * 1000:.0f} ms")
        return beat is not None

    def _mark_at(self, at: Point) -> tuple[int, Cell] | None:
        """The beat whose mark is under `at`, and its row."""
        view = self.view
        if view.session is None:
            return None
        x_mm, y_mm = at
        for cell in view.annotated_cells():
            top = mark_top(view, cell)
            if not top - 0.5 <= y_mm <= top + MARK_BAND_MM:
                continue
            for beat in view.session.beats:
                t = beat.sample / view.signal.fs_hz
                if cell.t0_s <= t <= cell.t1_s:
                    x, _ = view.paper.to_mm(cell, t, 0.0)
                    if abs(float(x) - x_mm) <= MARK_REACH_MM:
                        return beat.sample, cell
        return None

    def drag_start(self, at: Point, modifiers: Qt.KeyboardModifier) -> bool:
        self._grabbed = self._mark_at(at)
        return self._grabbed is not None

    def _sample(self, x_mm: float, cell: Cell) -> int:
        """The record sample at `x_mm` along `cell`, kept on the row (the mouse may leave it)."""
        view = self.view
        t = cell.t0_s + (x_mm - cell.x_mm) / view.paper.speed_mm_s
        t = min(max(t, cell.t0_s), cell.t1_s)
        return min(max(round(t * view.signal.fs_hz), 0), view.signal.n_samples - 1)

    def drag_move(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        view, (_sample, cell) = self.view, self._grabbed
        if self._ghost is not None and self._ghost.scene() is not None:
            view.box.removeItem(self._ghost)
        width = (cell.t1_s - cell.t0_s) * view.paper.speed_mm_s
        x = float(min(max(at[0], cell.x_mm), cell.x_mm + width))
        pen = pg.mkPen(view.colours["selected"], width=1, style=Qt.PenStyle.DashLine)
        self._ghost = pg.PlotCurveItem([x, x], [mark_top(view, cell), cell.y_mm], pen=pen)
        view.box.addItem(self._ghost)

    def drag_end(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        view, (sample, cell) = self.view, self._grabbed
        self._grabbed, self._ghost = None, None
        to = self._sample(at[0], cell)
        exact = bool(modifiers & Qt.KeyboardModifier.AltModifier)
        try:
            moved = view.session.move_beat(sample, to, snap=not exact)
        except ValueError as error:  # onto another beat: said, nothing moved
            view.redraw()
            view.say(str(error))
            return
        view.selected_beat = moved.sample
        view.redraw()
        fs = view.signal.fs_hz
        view.say(f"Moved beat {moved.symbol} to {moved.sample / fs:.3f} s")
