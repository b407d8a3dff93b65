"""The Training dock's semi-supervised part (classification): the method, where the unlabelled
images come from, and the run as the GAN trains — its D and G losses with the classifier's
validation accuracy, and a grid of generated samples (one row per class) that refreshes after
every epoch (the trainer's `SamplesDrawn` event). "Generated images…" opens the gallery.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

METHODS = (
    ("Supervised (tagged images only)", "supervised"),
    ("Semi-supervised GAN (also draws images)", "gan"),
    ("FixMatch (pseudo-labels)", "fixmatch"),
)
SOURCES = (("Untagged slices of the series on show", "series"), ("A folder of images", "folder"))
GRID_WIDTH = 260  # pixels the sample grid is drawn at (nearest-neighbour: pixels stay pixels)


def grid_pixmap(grid: np.ndarray, width: int = GRID_WIDTH) -> QPixmap:
    """A uint8 (H, W) or (H, W, 3) grid as a pixmap scaled by a whole factor to about
    `width` (never shrunk)."""
    grid = np.ascontiguousarray(grid, dtype=np.uint8)
    h, w = grid.shape[:2]
    kind = QImage.Format.Format_Grayscale8 if grid.ndim == 2 else QImage.Format.Format_RGB888
    image = QImage(grid.data, w, h, grid.strides[0], kind).copy()  # owns its pixels
    factor = max(1, round(width / max(w, 1)))
    return QPixmap.fromImage(image).scaled(
        w * factor, h * factor, Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )  # fmt: skip


class SemiSupervisedBox(QWidget):
    """Method, unlabelled source, GAN curves and sample grid."""

    gallery_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = QComboBox()
        for text, key in METHODS:
            self.method.addItem(text, key)
        self.method.setToolTip("Learn from untagged images too when few images are tagged")
        self.source = QComboBox()
        for text, key in SOURCES:
            self.source.addItem(text, key)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("folder of unlabelled PNG/JPEG/DICOM images")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.browse)
        self.folder_row = QWidget()
        self.folder_row.setLayout(folder_row)
        folder_row.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Method", self.method)
        form.addRow("Unlabelled", self.source)
        form.addRow("", self.folder_row)
        self.form = form
        self.plot = pg.PlotWidget(title="GAN: D and G loss, validation accuracy")
        self.plot.setLabel("bottom", "epoch")
        self.plot.addLegend(offset=(5, 5))
        self.plot.setMinimumHeight(120)
        self.curves = {
            "d_loss": self.plot.plot([], [], pen="r", symbol="o", name="D loss"),
            "g_loss": self.plot.plot([], [], pen="m", symbol="t", name="G loss"),
            "accuracy": self.plot.plot([], [], pen="g", symbol="s", name="val accuracy"),
        }
        self.samples = QLabel("Generated samples appear here after each epoch")
        self.samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples_caption = QLabel("")
        self.gallery_button = QPushButton("Generated images…")
        self.gallery_button.setToolTip(
            "Draw images of each class with the trained GAN, and add chosen ones to training"
        )
        self.gallery_button.clicked.connect(self.gallery_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.plot)
        layout.addWidget(self.samples_caption)
        layout.addWidget(self.samples)
        layout.addWidget(self.gallery_button)
        self.history: list[dict[str, float]] = []
        self.grid: np.ndarray | None = None
        self.method.currentIndexChanged.connect(self._show_parts)
        self.source.currentIndexChanged.connect(self._show_parts)
        self._show_parts()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Unlabelled images")
        if folder:
            self.folder.setText(folder)

    def _show_parts(self, *_args) -> None:
        method = self.method.currentData()
        semi, gan = method != "supervised", method == "gan"
        for widget in (self.source, self.form.labelForField(self.source)):
            widget.setVisible(semi)
        self.folder_row.setVisible(semi and self.source.currentData() == "folder")
        for widget in (self.plot, self.samples, self.samples_caption, self.gallery_button):
            widget.setVisible(gan)

    def set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.method, self.source, self.folder, self.browse):
            widget.setEnabled(enabled)

    def options(self) -> dict[str, Any]:
        """The training options the choice adds ({} for supervised)."""
        method = self.method.currentData()
        return {} if method == "supervised" else {"method": method}

    def unlabelled(self, series_key: str | None) -> dict[str, Any] | None:
        """What the training worker reads as unlabelled images (None for supervised);
        ValueError when the choice cannot be met."""
        if self.method.currentData() == "supervised":
            return None
        if self.source.currentData() == "folder":
            folder = self.folder.text().strip()
            if not folder:
                raise ValueError("choose the folder of unlabelled images")
            return {"folder": folder}
        if not series_key:
            raise ValueError("open a series: its untagged slices are the unlabelled images")
        return {"series": [series_key]}

    # The run.

    def reset(self, keep_history: bool = False) -> None:
        if not keep_history:
            self.history = []
            self._redraw()

    def on_epoch_done(self, event) -> None:
        self.history = [h for h in self.history if h["epoch"] < event.epoch]
        self.history.append({"epoch": event.epoch, **event.metrics})
        self._redraw()

    def _redraw(self) -> None:
        for key, curve in self.curves.items():
            points = [
                (h["epoch"], h[key])
                for h in self.history
                if h.get(key) is not None and math.isfinite(h[key])
            ]
            curve.setData([p[0] for p in points], [p[1] for p in points])

    def on_samples_drawn(self, event) -> None:
        """Show the epoch's sample grid (one row per class)."""
        self.grid = np.asarray(event.grid)
        pixmap = grid_pixmap(self.grid)
        self.samples.setPixmap(pixmap)
        self.samples.setMinimumSize(pixmap.size())  # the dock scrolls rather than squeeze it
        rows = ", ".join(event.classes)
        self.samples_caption.setText(f"Epoch {event.epoch} samples, one row per class: {rows}")

    def curve_points(self) -> dict[str, int]:
        """How many points each curve holds (for tests)."""
        return {k: len(c.xData if c.xData is not None else []) for k, c in self.curves.items()}
