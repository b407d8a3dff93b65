""" "Why this class?": the part of the trace that drove a beat's class, drawn as a coloured band
along the bottom of the rhythm strip over the model's window around the beat (hot where the
integrated gradients are large, clear where they are near zero).

W (or the context menu's entry) explains the selected beat, else the beat nearest the mouse,
with the workspace's active "beats" model, in a worker (`workers.saliency_worker`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGraphicsRectItem, QMenu

from medgui.ui.signals.beat_keys import nearest_beat
from medgui.ui.signals.view_layer import Point, ViewLayer
from medgui.workers.saliency_worker import saliency_worker

BAND_MM = 4.0  # the band's height, just above the row's foot
# Clear paper where nothing drove the class, deepening blue where it did: blue stands out on the
# red grid of the paper and the black trace.
_COLOURS = pg.ColorMap(
    [0.0, 0.15, 0.6, 1.0],
    [(255, 255, 255, 0), (150, 190, 255, 110), (40, 90, 230, 210), (10, 20, 140, 255)],
)


_FRAME = (40, 90, 230, 160)


def band_lut() -> np.ndarray:
    """(256, 4) RGBA: the colour map, more opaque the stronger the attribution."""
    return _COLOURS.getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.ubyte)


def shown_values(values: np.ndarray) -> np.ndarray:
    """What the band shows of the attribution: its fourth root. Attributions are heavy-tailed
    (a beat's QRS holds nearly all of it; the P and T waves and the neighbours get 1/100 to
    1/1000 of the peak), and on a linear scale all but the QRS would be clear paper."""
    return np.clip(values, 0.0, 1.0) ** 0.25


class SaliencyLayer(ViewLayer, QObject):
    """The saliency band of the last beat explained (`result`, a `BeatSaliency`)."""

    def __init__(self, view, workspace_root: str | Path | None) -> None:
        ViewLayer.__init__(self, view)
        QObject.__init__(self, view)  # deleted with the view: a late result finds no view
        self.workspace_root = Path(workspace_root) if workspace_root is not None else None
        self.result = None
        self.worker = None
        self.failure = ""

    @property
    def running(self) -> bool:
        return self.worker is not None

    def key(self, event: QKeyEvent) -> bool:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() != Qt.Key.Key_W or mods != Qt.KeyboardModifier.NoModifier:
            return False
        self.explain()
        return True

    def menu_entries(self, menu: QMenu, at: Point) -> None:
        view = self.view
        sample = view.sample_at(*at)
        beat = nearest_beat(view.session, sample) if sample is not None and view.session else None
        if beat is not None:
            menu.addAction(
                f"Why is this beat {beat.symbol}? (saliency)\tW", lambda: self.explain(beat.sample)
            )

    def explain(self, sample: int | None = None) -> bool:
        """Explain the beat at `sample` (default: the selected one, else the one nearest the
        mouse); False, saying why, when there is no beat or no workspace."""
        view = self.view
        if sample is None:
            sample = view.selected_beat
        if sample is None and view.session is not None:
            at = view.mouse_sample()
            beat = nearest_beat(view.session, at) if at is not None else None
            sample = beat.sample if beat is not None else None
        if sample is None:
            view.say("Click a beat (or point at it) to see what drove its class")
            return False
        if self.workspace_root is None:
            view.say("Choose a workspace with a trained beats model to explain beats")
            return False
        if self.worker is not None:
            self.worker.quit()
        self.failure = ""
        worker = self.worker = saliency_worker(self.workspace_root, view.signal, sample)
        worker.returned.connect(self._done)
        worker.errored.connect(self._failed)
        worker.start()
        view.say(f"Explaining the beat at {sample / view.signal.fs_hz:.3f} s…")
        return True

    def _done(self, result) -> None:
        self.worker, self.result = None, result
        self.view.redraw()
        self.view.say(
            f"Why {result.symbol} (p {result.probability:.2f}): the band under the trace shows "
            "what drove it"
        )

    def _failed(self, error: Exception) -> None:
        self.worker = None
        self.failure = f"Cannot explain the beat: {error}"
        self.view.say(self.failure)

    def clear(self) -> None:
        self.result = None
        self.view.redraw()

    def draw(self) -> None:
        result, view = self.result, self.view
        if result is None:
            return
        values = np.asarray(result.values)
        times = result.start_s + np.arange(len(values)) / result.fs_hz
        for cell in view.annotated_cells():
            inside = (times >= cell.t0_s) & (times <= cell.t1_s)
            if inside.sum() < 2:
                continue
            shown = shown_values(values[inside])
            x0, _ = view.paper.to_mm(cell, times[inside][0], 0.0)
            x1, _ = view.paper.to_mm(cell, times[inside][-1], 0.0)
            foot = cell.y_mm + 0.5 * view.paper.row_pitch_mm - 0.3
            image = pg.ImageItem(shown[:, None], levels=(0.0, 1.0), lut=band_lut())
            image.setRect(QRectF(float(x0), foot - BAND_MM, float(x1 - x0), BAND_MM))
            image.setZValue(-4)
            view.box.addItem(image)
            frame = QGraphicsRectItem(image.mapRectToParent(image.boundingRect()))
            frame.setPen(pg.mkPen(_FRAME, width=1))  # the window the model read
            frame.setZValue(-4)
            view.box.addItem(frame)
            caption = pg.TextItem(
                f"why {result.symbol}", color=view.colours["selected"], anchor=(0, 1)
            )
            caption.setPos(float(x0), foot - BAND_MM)
            view.box.addItem(caption)
