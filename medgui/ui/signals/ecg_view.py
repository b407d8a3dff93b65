"""`EcgView`: an ECG drawn on its paper grid at true scale, with calipers and an overview strip.

A thin widget over `EcgPaper` (core): the page is drawn in paper millimetres and the view box is
sized so one millimetre is ``dpi / 25.4`` screen pixels, whatever the widget's size. Keys: S
speed, G gain, L layout (Shift: back), B/N/M/P filters (baseline, 50 Hz, 60 Hz, 40 Hz
low-pass), Left/Right and the wheel scroll in time, Up/Down move down a tall page. Dragging on
the page measures (interval ms, amplitude mV, rate bpm). With a `BeatSession` set, the beat keys
of `beat_keys` label beats at the mouse's place on a trace; its layers (`view_layer`: episodes,
beat moves, the saliency band) take their keys, drags and clicks first.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QFont, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medgui.core.signals.beat_session import BeatSession
from medgui.core.signals.ecg_layout import (
    CALIBRATION_MM,
    PAGE_WIDTH_MM,
    CaliperReading,
    Cell,
    EcgPaper,
    grid_lines,
    px_per_mm,
)
from medgui.core.signals.filters import FILTERS, apply_filters
from medgui.core.signals.overview import minmax_decimate
from medgui.core.signals.signal import Signal
from medgui.ui.signals.beat_keys import apply_beat_key, is_beat_key
from medgui.ui.signals.beat_mouse import BeatMouse
from medgui.ui.signals.episode_layer import EpisodeLayer
from medgui.ui.signals.view_layer import LayerHost

# Pink paper with red lines, as printed; the dark variant for reading rooms.
PAPER = {
    "background": "#ffffff",
    "minor": "#f6c4c4",
    "major": "#e07070",
    "trace": "#000000",
    "label": "#000000",
    "beat": "#1f4fa0",
    "caliper": "#0a7a2a",
    "selected": "#e08000",
}
DARK = {
    "background": "#101010",
    "minor": "#3b2020",
    "major": "#7a3030",
    "trace": "#e8e8e8",
    "label": "#e8e8e8",
    "beat": "#7fb0ff",
    "caliper": "#6fe08f",
    "selected": "#ffb040",
}
_CHORD = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
FILTER_KEYS = {
    Qt.Key.Key_B: "baseline",
    Qt.Key.Key_N: "notch50",
    Qt.Key.Key_M: "notch60",
    Qt.Key.Key_P: "lowpass40",
}
_PAD_S = 2.0  # filtered beyond the page's edges so edge transients stay off the page
_SCROLL_S = 0.2
_SCROLL_MM = 5.0
_OVERVIEW_COLUMNS = 2000  # more than any screen's width: one pixel column never holds two


class _PaperBox(pg.ViewBox):
    """The page's view box: a left drag is a caliper, not a pan."""

    def __init__(self, view: EcgView) -> None:
        super().__init__(enableMenu=False)
        self._view = view

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos())
        end = self.mapSceneToView(ev.scenePos())
        if not self._view.layer_drag(ev, (start.x(), start.y()), (end.x(), end.y())):
            self._view.set_caliper((start.x(), start.y()), (end.x(), end.y()))

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        ev.accept()
        point = self.mapSceneToView(ev.scenePos())
        self._view.page_clicked(ev, (point.x(), point.y()))

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802 - pyqtgraph's name
        # The page never zooms (it is at true scale): the wheel scrolls in time instead.
        ev.accept()
        self._view.scroll_to(self._view.paper.start_s - ev.delta() / 120 * _SCROLL_S)


class EcgView(LayerHost, QWidget):
    """The page (grid, traces, labels, beats, caliper) above an overview of the whole record."""

    caliper_measured = QtSignal(object)  # CaliperReading
    paper_changed = QtSignal()
    redrawn = QtSignal()  # the page was cleared and drawn anew: layers add their items again

    def __init__(
        self,
        paper: EcgPaper | None = None,
        *,
        dpi: float | None = None,
        dark: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.paper = paper or EcgPaper()
        self.signal: Signal | None = None
        self.colours = DARK if dark else PAPER
        self._dpi = dpi
        self.caliper: CaliperReading | None = None
        self.cells: list[Cell] = []
        self.session: BeatSession | None = None
        self.mouse_mm: tuple[float, float] | None = None  # the mouse on the page, in paper mm
        self._init_layers()
        # Before the page exists: its first resize already draws the grid.
        self._caliper_items: list[pg.GraphicsObject] = []
        self._grid_items: list[pg.GraphicsObject] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.box = _PaperBox(self)
        self.box.invertY(True)  # paper y grows downwards, as the layout model's does
        self.box.setMouseEnabled(False, False)
        self.box.sigResized.connect(self._fit_true_scale)
        self.page = pg.PlotWidget(viewBox=self.box, background=self.colours["background"])
        for axis in ("left", "bottom"):
            self.page.hideAxis(axis)
        self.page.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.page.scene().sigMouseMoved.connect(self._mouse_moved)
        self.overview = pg.PlotWidget(background=self.colours["background"])
        self.overview.setFixedHeight(70)
        self.overview.hideAxis("left")
        self.overview.setMouseEnabled(False, False)
        self.overview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.region = pg.LinearRegionItem(brush=(80, 120, 255, 50))
        for line in self.region.lines:  # the page's width is set by the speed, not dragged
            line.setMovable(False)
        self.region.sigRegionChanged.connect(self._region_moved)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.page, 1)
        layout.addWidget(self.overview)
        layout.addWidget(self.status)

    # -- state -------------------------------------------------------------------------------
    @property
    def px_per_mm(self) -> float:
        return px_per_mm(self._dpi or self.logicalDpiX())

    def set_signal(self, signal: Signal) -> None:
        self.signal = signal
        self.paper.scroll_to(self.paper.start_s, signal.duration_s)
        self._draw_overview()
        self.redraw()

    def set_session(self, session: BeatSession) -> None:
        """Draw `session`'s beats (in place of the record's annotations) and label with it."""
        self.session = session
        session.events.connect(self._session_event)
        self.layers += [EpisodeLayer(self), BeatMouse(self)]  # a bar's end before a mark
        self.redraw()

    def _session_event(self, name: str) -> None:
        if name in ("beats_changed", "episodes_changed"):
            self.redraw()

    def cycle(self, what: str, step: int = 1) -> None:
        self.paper.cycle(what, step)
        if self.signal is not None:  # a slower speed shows more seconds: keep them in the record
            self.paper.scroll_to(self.paper.start_s, self.signal.duration_s)
        self._changed()

    def set_filter(self, name: str, on: bool) -> None:
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}; filters: {', '.join(FILTERS)}")
        (self.paper.filters.add if on else self.paper.filters.discard)(name)
        self._changed()

    def scroll_to(self, start_s: float) -> None:
        if self.signal is None:
            return
        self.paper.scroll_to(start_s, self.signal.duration_s)
        self._changed()

    def set_caliper(self, start_mm: tuple[float, float], end_mm: tuple[float, float]) -> None:
        self.caliper = self.paper.measure(start_mm, end_mm)
        for item in self._caliper_items:
            self.box.removeItem(item)
        colour = self.colours["caliper"]
        xs, ys = [start_mm[0], end_mm[0]], [start_mm[1], end_mm[1]]
        line = pg.PlotDataItem(
            xs, ys, pen=pg.mkPen(colour, width=2), symbol="|", symbolPen=colour, symbolSize=14
        )
        text = pg.TextItem(self.caliper.text(), color=colour, anchor=(0.5, 1.2))
        text.setPos(sum(xs) / 2, min(ys))
        self._caliper_items = [line, text]
        for item in self._caliper_items:
            self.box.addItem(item)
        self.status.setText(self._status_text())
        self.caliper_measured.emit(self.caliper)

    def _changed(self) -> None:
        self.redraw()
        self.paper_changed.emit()

    # -- drawing -----------------------------------------------------------------------------
    def redraw(self) -> None:
        self.box.clear()
        self._caliper_items, self._grid_items = [], []
        self.cells = self.paper.cells(self.signal) if self.signal is not None else []
        if self.signal is not None:
            self._draw_traces()
            for layer in self.layers:
                layer.draw()
        self._fit_true_scale()
        self._move_region()
        self.status.setText(self._status_text())
        self.redrawn.emit()

    def _draw_grid(self, bottom_mm: float) -> None:
        """The paper down to `bottom_mm` (the page, or the widget's foot if that is lower)."""
        for item in self._grid_items:
            self.box.removeItem(item)
        bottom = max(bottom_mm, self.paper.page_height_mm(self.cells), self.paper.row_pitch_mm)
        minor, major = grid_lines(-CALIBRATION_MM, PAGE_WIDTH_MM, 0.0, np.ceil(bottom))
        self._grid_items = []
        for segments, colour, width in ((minor, "minor", 1.0), (major, "major", 1.6)):
            flat = segments.reshape(-1, 2)
            pen = pg.mkPen(self.colours[colour], width=width)
            item = pg.PlotCurveItem(flat[:, 0], flat[:, 1], pen=pen, connect="pairs")
            item.setZValue(-10)  # behind the traces, whenever it is redrawn
            self._grid_items.append(item)
            self.box.addItem(item)

    def _draw_traces(self) -> None:
        signal, paper = self.signal, self.paper
        fs = signal.fs_hz
        first = max(0, int(np.floor((paper.start_s - _PAD_S) * fs)))
        last = min(signal.n_samples, int(np.ceil((paper.start_s + paper.page_s + _PAD_S) * fs)))
        window = signal.samples[:, first:last]
        if paper.filters and window.shape[1] > 12:
            window = apply_filters(window, fs, paper.filters)
        trace_pen = pg.mkPen(self.colours["trace"], width=1.3)
        label_font = QFont()
        label_font.setBold(True)
        for row in {c.row for c in self.cells}:
            self._draw_calibration(paper.row_pitch_mm * (row + 0.5))
        annotated = self.annotated_cells()
        for cell in self.cells:
            a = max(first, int(np.ceil(cell.t0_s * fs)))
            b = min(last, int(np.floor(cell.t1_s * fs)) + 1)
            if b <= a:
                continue
            x, y = paper.to_mm(
                cell, np.arange(a, b) / fs, window[cell.channel, a - first : b - first]
            )
            self.box.addItem(pg.PlotCurveItem(x, y, pen=trace_pen))
            label = pg.TextItem(cell.lead, color=self.colours["label"], anchor=(0, 0.5))
            label.setFont(label_font)
            label.setPos(cell.x_mm + 1.0, cell.y_mm - 0.25 * paper.row_pitch_mm)
            self.box.addItem(label)
            if cell.x_mm > 0:  # the printout's mark where one column of leads gives way
                tick = [cell.y_mm - 4.0, cell.y_mm + 4.0]
                self.box.addItem(pg.PlotCurveItem([cell.x_mm] * 2, tick, pen=trace_pen))
            if cell in annotated:
                self._draw_beats(cell, a, b)

    def _draw_calibration(self, y: float) -> None:
        """The 1 mV standardisation pulse at the left of a row: 0.2 s wide, `gain` mm tall."""
        top, x0, x1 = y - self.paper.gain_mm_mv, -CALIBRATION_MM + 2, -CALIBRATION_MM + 2 + 5
        xs = [-CALIBRATION_MM + 1, x0, x0, x1, x1, -1.0]
        ys = [y, y, top, top, y, y]
        self.box.addItem(pg.PlotCurveItem(xs, ys, pen=pg.mkPen(self.colours["trace"], width=1.3)))

    def _draw_beats(self, cell: Cell, a: int, b: int) -> None:
        top = cell.y_mm - 0.49 * self.paper.row_pitch_mm
        session = self.session
        notes = session.to_annotations() if session is not None else self.signal.annotations
        for note in notes:
            if note.end is None and a <= note.sample < b and note.channel in (-1, cell.channel):
                x, _ = self.paper.to_mm(cell, note.sample / self.signal.fs_hz, 0.0)
                text = pg.TextItem(note.symbol, color=self.colours["beat"], anchor=(0.5, 0))
                text.setPos(float(x), top)
                self.box.addItem(text)

    def _fit_true_scale(self) -> None:
        """Size the page's view range so one paper millimetre is `px_per_mm` screen pixels."""
        size = self.box.geometry()
        if size.width() < 2 or size.height() < 2:
            return
        scale = self.px_per_mm
        x0, top = -CALIBRATION_MM, self.paper.top_mm
        bottom = top + size.height() / scale
        self.box.setRange(xRange=(x0, x0 + size.width() / scale), yRange=(top, bottom), padding=0)
        self._draw_grid(bottom)

    def _draw_overview(self) -> None:
        self.overview.clear()
        signal = self.signal
        fits = signal.duration_s <= self.paper.page_s
        self.overview.setVisible(not fits)
        if fits:
            return
        lead = self.paper.cells(signal)[-1].channel  # the rhythm strip's, or the last row's
        x, y = minmax_decimate(signal.samples[lead], _OVERVIEW_COLUMNS)
        pen = pg.mkPen(self.colours["trace"], width=1)
        self.overview.addItem(pg.PlotCurveItem(x / signal.fs_hz, y, pen=pen))
        self.overview.setXRange(0, signal.duration_s, padding=0)
        self.overview.addItem(self.region)

    def _move_region(self) -> None:
        if self.signal is None:
            return
        self.region.blockSignals(True)
        self.region.setRegion((self.paper.start_s, self.paper.start_s + self.paper.page_s))
        self.region.blockSignals(False)

    def _region_moved(self) -> None:
        start, _ = self.region.getRegion()
        if abs(start - self.paper.start_s) > 1e-6:
            self.scroll_to(start)

    def _status_text(self) -> str:
        p = self.paper
        filters = ", ".join(sorted(p.filters)) or "no filters"
        text = (
            f"{p.speed_mm_s:g} mm/s  {p.gain_mm_mv:g} mm/mV  {p.layout}  {filters}  "
            f"{p.start_s:.1f}–{p.start_s + p.page_s:.1f} s"
        )
        return f"{text}   caliper: {self.caliper.text()}" if self.caliper else text

    def scene_point(self, x_mm: float, y_mm: float) -> QPointF:
        """Where paper point (`x_mm`, `y_mm`) is in the page widget's pixels."""
        return self.page.mapFromScene(self.box.mapViewToScene(QPointF(x_mm, y_mm)))

    # -- input -------------------------------------------------------------------------------
    def _mouse_moved(self, scene_pos: QPointF) -> None:
        point = self.box.mapSceneToView(scene_pos)
        self.mouse_mm = (point.x(), point.y())

    def mouse_sample(self) -> int | None:
        """The record sample under the mouse, or None when it is on no trace."""
        return None if self.mouse_mm is None else self.sample_at(*self.mouse_mm)

    def event(self, event: QEvent) -> bool:
        # Ctrl+Z is also the window's Edit → Undo (the image labels'): over the ECG it is ours.
        if event.type() == QEvent.Type.ShortcutOverride and self.session is not None:
            if is_beat_key(event.key(), event.modifiers()):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if any(layer.key(event) for layer in self.layers):
            return
        if self.session is not None and is_beat_key(key, event.modifiers()):
            said = apply_beat_key(self.session, key, event.modifiers(), self.mouse_sample())
            if said:
                self.say(said)
            return
        cycles = {Qt.Key.Key_S: "speed", Qt.Key.Key_G: "gain", Qt.Key.Key_L: "layout"}
        step = -1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
        if event.modifiers() & _CHORD and (key in cycles or key in FILTER_KEYS):
            # Ctrl/Alt+letter is a menu shortcut (Ctrl+Shift+B: Label the rest), never a
            # filter or speed key, even while that shortcut's action is disabled.
            super().keyPressEvent(event)
        elif key in cycles:
            self.cycle(cycles[key], step)
        elif key in FILTER_KEYS:
            name = FILTER_KEYS[key]
            self.set_filter(name, name not in self.paper.filters)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            down = _SCROLL_MM if key == Qt.Key.Key_Down else -_SCROLL_MM
            visible = self.box.geometry().height() / self.px_per_mm
            self.paper.scroll_down(down, self.paper.page_height_mm(self.cells) - visible)
            self._fit_true_scale()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.scroll_to(
                self.paper.start_s + (_SCROLL_S if key == Qt.Key.Key_Right else -_SCROLL_S)
            )
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        # One notch (120) scrolls a fifth of a second: smooth enough to follow a beat.
        self.scroll_to(self.paper.start_s - event.angleDelta().y() / 120 * _SCROLL_S)
        event.accept()
