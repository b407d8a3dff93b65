"""The gallery of generated images: the active classifier's GAN draws images of each class (in a
worker; near-copies of training images are never offered, their count is shown), the user ticks
the good ones and adds them to training, where they stay marked synthetic (the workspace's
``synthetic/`` folder: counted apart in the model card, never validated, never exported).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medgui.ui.models.semi_panel import grid_pixmap
from medgui.workers.synthetic_worker import add_synthetic_worker, draw_gallery_worker

PER_CLASS = 24
ICON = 64


class GalleryDialog(QDialog):
    """Generated images of one class at a time, each with a tick box."""

    add_requested = Signal(str, list)  # class, [uint8 images]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generated images (synthetic)")
        self.images: dict[str, list[np.ndarray]] = {}
        self.near_copies: dict[str, int] = {}
        self.class_box = QComboBox()
        self.class_box.currentIndexChanged.connect(self._show_class)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMinimumSize(460, 300)
        self.status = QLabel("Drawing…")
        self.status.setWordWrap(True)
        self.add_button = QPushButton("Add ticked images to training")
        self.add_button.clicked.connect(self._add)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(QLabel("Class"))
        top.addWidget(self.class_box, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def set_gallery(self, gallery) -> None:
        """Show a `workers.synthetic_worker.Gallery`."""
        self.images, self.near_copies = dict(gallery.images), dict(gallery.near_copies)
        self.setWindowTitle(f"Generated images (synthetic) — {gallery.version_id}")
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItems(list(self.images))
        self.class_box.blockSignals(False)
        self._show_class()

    def _show_class(self, *_args) -> None:
        name = self.class_box.currentText()
        self.list.clear()
        for image in self.images.get(name, []):
            item = QListWidgetItem(QIcon(grid_pixmap(image, ICON)), "")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        flagged = self.near_copies.get(name, 0)
        shown = len(self.images.get(name, []))
        note = f"; {flagged} near-copies of training images not offered" if flagged else ""
        self.status.setText(f"{shown} synthetic images of {name!r}{note}")

    def ticked(self) -> list[int]:
        """The indices of the ticked images of the class on show."""
        return [
            i
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _add(self) -> None:
        name, chosen = self.class_box.currentText(), self.ticked()
        if not chosen:
            self.status.setText("Tick the images to add first")
            return
        self.add_requested.emit(name, [self.images[name][i] for i in chosen])


class GalleryController(QObject):
    """Opens the gallery for `workbench` (a `TrainingWorkbench`) and runs its workers."""

    def __init__(self, workbench) -> None:
        super().__init__(workbench)
        self.workbench = workbench
        self.dialog: GalleryDialog | None = None
        self.workers: dict[str, object] = {}  # "draw", "add": the one of each that runs
        workbench.panel.semi.gallery_requested.connect(self.open)

    def _say(self, text: str) -> None:
        self.workbench.panel.add_message(text)
        if self.dialog is not None:
            self.dialog.status.setText(text)

    def open(self) -> None:
        """Show the dialog and draw the images (in a worker)."""
        if self.dialog is None:
            self.dialog = GalleryDialog(self.workbench.app.shell)
            self.dialog.add_requested.connect(self.add)
        self.dialog.show()
        if "draw" in self.workers:
            return
        worker = draw_gallery_worker(self.workbench.workspace_root, PER_CLASS)
        worker.returned.connect(self.dialog.set_gallery)
        self._run("draw", worker, "Drawing images with the GAN…")

    def _run(self, kind: str, worker, text: str) -> None:
        self.workers[kind] = worker
        worker.errored.connect(lambda error: self._say(f"Generated images: {error}"))
        worker.finished.connect(lambda: self.workers.pop(kind, None))
        self._say(text)
        worker.start()

    def add(self, class_name: str, images: list) -> None:
        """Write the chosen images into the workspace's synthetic training images."""
        if "add" in self.workers:
            return
        worker = add_synthetic_worker(self.workbench.workspace_root, class_name, images)
        worker.returned.connect(
            lambda paths: self._say(
                f"added {len(paths)} synthetic images of {class_name!r} to training"
            )
        )
        self._run("add", worker, f"Adding {len(images)} images…")
