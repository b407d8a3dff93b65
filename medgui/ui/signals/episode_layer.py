"""Rhythm episodes on the ECG view: labelled bars along the top of the rhythm strip, and their
editing through the view's `BeatSession` (each edit one undo step).

- E at the mouse marks an episode's start, E again its end; Shift+drag along a trace does the
  same in one gesture. A menu of the MIT-BIH rhythms (`symbols.RHYTHMS`) then asks its type
  (Enter takes the last one used; Esc or a click away adds nothing).
- Shift+E over an episode changes its type; Shift+Delete deletes it; a drag of a bar's right
  end moves the episode's end. The view's context menu offers the same.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QKeyEvent
from PySide6.QtWidgets import QGraphicsRectItem, QMenu

from medgui.core.signals.beat_session import Episode
from medgui.core.signals.ecg_layout import Cell
from medgui.core.signals.symbols import RHYTHMS
from medgui.ui.signals.view_layer import Point, ViewLayer

BAR_MM = 3.5  # the bar's height, from just under the row's top
END_REACH_MM = 1.5  # how near a bar's right end a press grabs it
_PALETTE = ("#2e8b57", "#d2691e", "#8a2be2", "#1e90ff", "#b22222", "#daa520", "#008b8b",
            "#c71585")  # fmt: skip
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_MODS = (
    Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.ControlModifier
    | (Qt.KeyboardModifier.AltModifier)
)


def rhythm_colour(rhythm: str) -> QColor:
    """The bar colour of `rhythm` (grey for a rhythm outside the menu)."""
    names = list(RHYTHMS)
    return QColor(_PALETTE[names.index(rhythm) % len(_PALETTE)] if rhythm in names else "#808080")


class EpisodeLayer(ViewLayer):
    """Draws and edits the view's session's rhythm episodes."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.pending: int | None = None  # the start marked with E, waiting for its end
        self.last_rhythm = "(N"
        self.menu: QMenu | None = None  # the rhythm menu on show (tests choose from it)
        self._drag: tuple[str, int, Cell] | None = None  # ("end" | "new", sample, row)
        self._preview: QGraphicsRectItem | None = None

    # Geometry.

    def bar_top(self, cell: Cell) -> float:
        return cell.y_mm - 0.5 * self.view.paper.row_pitch_mm + 0.2

    def _x(self, cell: Cell, sample: int) -> float:
        x, _ = self.view.paper.to_mm(cell, sample / self.view.signal.fs_hz, 0.0)
        return float(x)

    def _sample(self, cell: Cell, x_mm: float) -> int:
        """The sample at `x_mm` along `cell`, kept on the row and in the record."""
        view = self.view
        t = cell.t0_s + (x_mm - cell.x_mm) / view.paper.speed_mm_s
        t = min(max(t, cell.t0_s), cell.t1_s)
        return min(max(round(t * view.signal.fs_hz), 0), view.signal.n_samples)

    def _on_row(self, at: Point) -> Cell | None:
        hit = self.view.paper.time_at(self.view.annotated_cells(), *at)
        return hit[0] if hit is not None else None

    def _episode_under(self, at: Point) -> Episode | None:
        sample = self.view.sample_at(*at)
        session = self.view.session
        return session.episode_covering(sample) if sample is not None and session else None

    # Drawing.

    def draw(self) -> None:
        view, session = self.view, self.view.session
        if session is None:
            return
        font = QFont()
        font.setPointSizeF(7.5)
        for cell in view.annotated_cells():
            top = self.bar_top(cell)
            first, last = cell.t0_s * view.signal.fs_hz, cell.t1_s * view.signal.fs_hz
            for episode in session.episodes:
                if episode.end <= first or episode.start > last:
                    continue
                x0 = self._x(cell, max(episode.start, first))
                x1 = self._x(cell, min(episode.end, last))
                colour = rhythm_colour(episode.rhythm)
                self._add_rect(x0, x1, top, colour, 90)
                if episode.end <= last:  # the handle that moves the end
                    pen = pg.mkPen(colour, width=3)
                    view.box.addItem(pg.PlotCurveItem([x1, x1], [top, top + BAR_MM], pen=pen))
                label = pg.TextItem(
                    episode.rhythm, color=colour.darker(160), anchor=(0, 0),
                    fill=pg.mkBrush(view.colours["background"]),
                )  # fmt: skip
                label.setFont(font)
                label.setPos(x0 + 0.3, top - 0.4)
                view.box.addItem(label)
            if self.pending is not None and first <= self.pending <= last:
                x = self._x(cell, self.pending)
                pen = pg.mkPen(view.colours["selected"], width=2, style=Qt.PenStyle.DashLine)
                view.box.addItem(pg.PlotCurveItem([x, x], [top, cell.y_mm], pen=pen))

    def _add_rect(self, x0: float, x1: float, top: float, colour: QColor, alpha: int):
        fill = QColor(colour)
        fill.setAlpha(alpha)
        rect = QGraphicsRectItem(QRectF(x0, top, max(x1 - x0, 0.2), BAR_MM))
        rect.setBrush(QBrush(fill))
        rect.setPen(pg.mkPen(None))
        rect.setZValue(-6)  # over the grid, under the trace and the symbols
        self.view.box.addItem(rect)
        return rect

    # Keys and the menu.

    def key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers() & _MODS
        view = self.view
        if view.session is None:
            return False
        if key == Qt.Key.Key_Escape and self.pending is not None:
            self.pending = None
            view.redraw()
            view.say("Episode cancelled")
            return True
        if key == Qt.Key.Key_E and mods == Qt.KeyboardModifier.NoModifier:
            self.mark(view.mouse_sample())
            return True
        if mods == _SHIFT and key in (Qt.Key.Key_E, Qt.Key.Key_Delete):
            episode = self._episode_under(view.mouse_mm) if view.mouse_mm else None
            if episode is None:
                view.say("No rhythm episode under the mouse")
            elif key == Qt.Key.Key_E:
                self.relabel(episode)
            else:
                self.delete(episode)
            return True
        return False

    def mark(self, sample: int | None) -> None:
        """E at `sample`: the start of a new episode, or its end (then its type is asked)."""
        view = self.view
        if sample is None:
            view.say("Point at a trace to mark an episode")
            return
        if self.pending is None:
            self.pending = sample
            view.redraw()
            view.say(f"Episode from {sample / view.signal.fs_hz:.2f} s: E again at its end")
            return
        start, end = sorted((self.pending, sample))
        self.pending = None
        view.redraw()
        self.new_episode(start, end)

    def new_episode(self, start: int, end: int) -> None:
        """Ask the type of a new episode over [start, end) and add it."""
        if end <= start:
            self.view.say("An episode needs an end after its start")
            return
        self.choose_rhythm(lambda rhythm: self.view.session.add_episode(start, end, rhythm))

    def relabel(self, episode: Episode) -> None:
        self.choose_rhythm(lambda r: self.view.session.set_episode_rhythm(episode.start, r))

    def delete(self, episode: Episode) -> None:
        self.view.session.delete_episode(episode.start)
        self.view.say(f"Deleted episode {episode.rhythm}")

    def choose_rhythm(self, then: Callable[[str], Episode]) -> QMenu:
        """Pop up the rhythm menu at the mouse; the chosen rhythm goes to `then`."""
        menu = self.menu = QMenu(self.view)
        for rhythm, meaning in RHYTHMS.items():
            action = menu.addAction(f"{rhythm}\t{meaning}")
            action.setData(rhythm)
            action.triggered.connect(lambda _=False, r=rhythm: self._chosen(then, r))
            if rhythm == self.last_rhythm:
                menu.setActiveAction(action)
        menu.popup(QCursor.pos())
        return menu

    def _chosen(self, then: Callable[[str], Episode], rhythm: str) -> None:
        view = self.view
        try:
            episode = then(rhythm)
        except ValueError as error:  # it overlaps another: said, nothing changed
            view.say(str(error))
            return
        self.last_rhythm = rhythm
        fs = view.signal.fs_hz
        view.say(f"Episode {episode.rhythm} {episode.start / fs:.2f}–{episode.end / fs:.2f} s")

    def menu_entries(self, menu: QMenu, at: Point) -> None:
        sample = self.view.sample_at(*at)
        if sample is None or self.view.session is None:
            return
        mark = "End" if self.pending is not None else "Start"
        menu.addAction(f"{mark} a rhythm episode here\tE", lambda: self.mark(sample))
        episode = self.view.session.episode_covering(sample)
        if episode is not None:
            menu.addAction(
                f"Episode {episode.rhythm}: type…\tShift+E", lambda: self.relabel(episode)
            )
            menu.addAction(
                f"Delete episode {episode.rhythm}\tShift+Del", lambda: self.delete(episode)
            )

    # Dragging.

    def drag_start(self, at: Point, modifiers: Qt.KeyboardModifier) -> bool:
        view = self.view
        if view.session is None:
            return False
        for cell in view.annotated_cells():
            top = self.bar_top(cell)
            if not top - 0.5 <= at[1] <= top + BAR_MM + 0.5:
                continue
            last = cell.t1_s * view.signal.fs_hz
            for episode in view.session.episodes:
                if episode.end <= last and abs(self._x(cell, episode.end) - at[0]) <= END_REACH_MM:
                    self._drag = ("end", episode.start, cell)
                    return True
        cell = self._on_row(at)
        if modifiers & _SHIFT and cell is not None:
            self._drag = ("new", self._sample(cell, at[0]), cell)
            return True
        return False

    def _span(self, at: Point) -> tuple[int, int]:
        kind, sample, cell = self._drag
        here = self._sample(cell, at[0])
        return (sample, here) if kind == "end" else tuple(sorted((sample, here)))

    def drag_move(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        view = self.view
        if self._preview is not None and self._preview.scene() is not None:
            view.box.removeItem(self._preview)
        _kind, _sample, cell = self._drag
        start, end = self._span(at)
        colour = QColor(view.colours["selected"])
        x0, x1 = self._x(cell, start), self._x(cell, max(end, start))
        self._preview = self._add_rect(x0, x1, self.bar_top(cell), colour, 120)

    def drag_end(self, at: Point, modifiers: Qt.KeyboardModifier) -> None:
        view = self.view
        kind = self._drag[0]
        start, end = self._span(at)
        self._drag, self._preview = None, None
        view.redraw()
        if kind == "new":
            self.new_episode(start, end)
            return
        try:
            episode = view.session.set_episode_end(start, end)
        except ValueError as error:
            view.say(str(error))
            return
        view.say(f"Episode {episode.rhythm} now ends at {episode.end / view.signal.fs_hz:.2f} s")
