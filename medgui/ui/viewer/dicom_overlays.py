"""DICOM overlay planes (60xx) drawn over the slices they belong to: when a DICOM series opens,
a worker reads every file's overlays (`core.dicom.overlays`); the view of the acquisition plane
then draws the overlay bits of the slice on show in yellow over the image (under the crosshair
and measurements), as the scanner's annotations were meant to be seen."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem

from medgui.core.dicom.overlays import OverlayPlane, volume_overlays
from medgui.core.image.reformat import orient_cut, plane_for_axis
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.viewer.view_layout import ViewLayout
from medgui.workers.view_workers import display_worker

COLOR_RGBA = (255, 225, 40, 255)  # yellow: the colour viewers draw overlay graphics in


class DicomOverlays(QObject):
    """Reads the overlays of each series the layout shows and draws them in its views."""

    loaded = Signal(int)  # how many slices carry overlays, once read

    def __init__(self, view_layout: ViewLayout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._layout = view_layout
        self._state: ViewerState | None = None
        self.overlays: dict[int, list[OverlayPlane]] = {}
        self._items: dict[int, QGraphicsPixmapItem] = {}  # id(view) → its item
        self._worker = None
        view_layout.state_changed.connect(self._on_state)

    def _on_state(self, state: ViewerState | None) -> None:
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._state, self.overlays, self._items = state, {}, {}
        if state is not None:
            state.events.connect(self._on_state_event)
        volume = self._layout.volume
        if state is None or volume is None or not volume.slice_sources:
            return
        self._worker = worker = display_worker(volume_overlays, volume)
        worker.returned.connect(lambda found, v=volume: self._landed(v, found))
        # Cleared on an error too: a headless screenshot waits on `pending`.
        worker.finished.connect(lambda w=worker: self._finished(w))
        worker.start()

    @property
    def pending(self) -> bool:
        """Whether the overlays of the series on show are still being read."""
        return self._worker is not None

    def _finished(self, worker) -> None:
        if self._worker is worker:
            self._worker = None

    def _landed(self, volume, found: dict[int, list[OverlayPlane]]) -> None:
        if volume is not self._layout.volume:
            return  # another series opened meanwhile
        self.overlays = found
        self.loaded.emit(len(found))
        self._draw()

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "slice_index" and self.overlays:
            self._draw()

    def _draw(self) -> None:
        volume, state = self._layout.volume, self._state
        if volume is None or state is None:
            return
        plane = plane_for_axis(volume, 2)  # overlays lie on the acquired slices
        view = self._layout.views.get(plane)
        group = getattr(view, "slice_group", None)
        if group is None:
            return  # a stand-in view
        item = self._items.get(id(view))
        if item is None:
            item = self._items[id(view)] = QGraphicsPixmapItem(group)
            item.setZValue(2)  # over the image and labels, under the crosshair (5)
            item.setOffset(-0.5, -0.5)  # pixel (row, col) is the unit square around it
        planes = self.overlays.get(state.slice_index(plane), [])
        item.setVisible(bool(planes))
        if planes:
            mask = np.logical_or.reduce([p.mask for p in planes])
            item.setPixmap(QPixmap.fromImage(_image(orient_cut(volume, plane, mask))))


def _image(mask: np.ndarray) -> QImage:
    pixels = np.zeros((*mask.shape, 4), np.uint8)
    pixels[mask] = COLOR_RGBA
    rows, cols = mask.shape
    return QImage(pixels.data, cols, rows, 4 * cols, QImage.Format.Format_RGBA8888).copy()
