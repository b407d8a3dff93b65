"""The series browser: a dock with the scanned patient → study → series tree.

Thumbnails arrive later from a worker (`set_thumbnail`), so the tree shows at once even for a
scan of thousands of files.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QTreeView, QWidget

from medgui.core import Scan, Series

SERIES_ROLE = Qt.ItemDataRole.UserRole + 1
OPENABLE_KINDS = ("image", "waveform")
THUMBNAIL_SIZE = 64  # icon size; previews larger than this are centred and cropped


def _date(value: str) -> str:
    """DICOM DA (YYYYMMDD) as ISO YYYY-MM-DD; anything else unchanged."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    return value


def _person_name(value: str) -> str:
    """DICOM PN (Family^Given^...) for reading: "Family, Given"."""
    parts = [p for p in value.split("^") if p]
    return ", ".join(parts[:2]) if parts else value


def _series_title(series: Series) -> str:
    number = f"#{series.series_number} " if series.series_number is not None else ""
    return f"{number}{series.description or '(no description)'}"


def series_details(series: Series) -> str:
    """The second line of a series row: modality, image count and size."""
    if series.kind == "waveform":
        return f"{series.modality or series.format.upper()} · waveform"
    images = series.number_of_images
    parts = [series.modality or "?", f"{images} image" + ("s" if images != 1 else "")]
    if series.shape_zyx:
        z, y, x = series.shape_zyx
        parts.append(f"{x}×{y}×{z}")
    if series.kind != "image":
        parts.append(series.kind)
    return " · ".join(parts)


def thumbnail_icon(image: np.ndarray, size: int = THUMBNAIL_SIZE) -> QIcon:
    """A QIcon of a uint8 grey (h, w) or RGB (h, w, 3) image, centred on a square canvas."""
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    if image.ndim == 3:
        qimage = QImage(image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        qimage = QImage(image.data, w, h, w, QImage.Format.Format_Grayscale8)
    # QImage borrows the numpy buffer; the pixmap copies it before `image` can go away.
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.black)
    painter = QPainter(pixmap)
    painter.drawImage((size - w) // 2, (size - h) // 2, qimage)
    painter.end()
    return QIcon(pixmap)


def _blank_icon(size: int = THUMBNAIL_SIZE) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.black)
    return QIcon(pixmap)


class SeriesBrowser(QDockWidget):
    """Dock listing a `Scan` as patient → study → series. A series row is its thumbnail, its
    number and description, and a second line with modality, image count and size (one
    column, so it reads in a narrow dock). Double-click or Enter on an image or waveform
    series emits `series_activated(Series)`."""

    series_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Series", parent)
        self.setObjectName("SeriesBrowser")  # saveState/restoreState find docks by name
        self.model = QStandardItemModel(0, 1, self)
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setMinimumWidth(200)
        self.tree.setHeaderHidden(True)
        self.tree.activated.connect(self._on_activated)
        self.setWidget(self.tree)
        self._items: dict[str, QStandardItem] = {}
        self.scan: Scan | None = None

    def set_scan(self, scan: Scan | None) -> None:
        """Show `scan` (None clears the tree)."""
        self.model.removeRows(0, self.model.rowCount())
        self._items.clear()
        self.scan = scan
        if scan is None:
            return
        for patient in scan.patients():
            name = _person_name(patient.name) or "(no name)"
            label = f"{name}  [{patient.id}]" if patient.id else name
            patient_item = QStandardItem(label)
            for study in patient.studies:
                parts = [p for p in (_date(study.date), study.description) if p]
                study_item = QStandardItem("  ".join(parts) or "(no study description)")
                for series in study.series:
                    study_item.appendRow(self._series_item(series))
                patient_item.appendRow(study_item)
            self.model.appendRow(patient_item)
        self.tree.expandAll()

    def _series_item(self, series: Series) -> QStandardItem:
        item = QStandardItem(f"{_series_title(series)}\n{series_details(series)}")
        item.setData(series, SERIES_ROLE)
        tip = [series.files[0] if series.files else "", *series.warnings]
        item.setToolTip("\n".join(tip).strip())
        # Other objects (SR, SEG, RT) are listed so nothing in the folder is hidden, but they
        # cannot be shown; waveforms (ECG) open in the ECG view.
        item.setEnabled(series.kind in OPENABLE_KINDS)
        if series.kind == "image":
            # A blank icon of the thumbnail's size keeps rows from jumping when it arrives.
            item.setIcon(_blank_icon())
        self._items[series.uid] = item
        return item

    def series_items(self) -> dict[str, QStandardItem]:
        """The item of each listed series, by series uid."""
        return dict(self._items)

    def index_of(self, uid: str) -> QModelIndex:
        """The model index of series `uid` (invalid when it is not listed)."""
        item = self._items.get(uid)
        return item.index() if item is not None else QModelIndex()

    def set_thumbnail(self, uid: str, image: np.ndarray) -> None:
        """Show `image` (uint8, from the thumbnail worker) as series `uid`'s icon."""
        item = self._items.get(uid)
        if item is not None:
            item.setIcon(thumbnail_icon(image))

    def _on_activated(self, index: QModelIndex) -> None:
        series = index.data(SERIES_ROLE)
        if isinstance(series, Series) and series.kind in OPENABLE_KINDS:
            self.series_activated.emit(series)
