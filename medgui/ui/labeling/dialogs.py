"""The questions the label widgets ask the user, in one replaceable object.

Everything modal the labelling UI shows goes through `Dialogs`, so a test hands the window a
stand-in with the same methods (answers scripted, messages recorded) and no dialog ever blocks.
"""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QFileDialog, QInputDialog, QMessageBox, QWidget

from medgui.ui.common.error_dialog import log_caught

LABEL_FILES = "NIfTI (*.nii.gz *.nii);;NRRD (*.nrrd);;MHA (*.mha);;DICOM SEG (*.dcm);;All files (*)"


class Dialogs:
    """Message boxes, number prompts, colour and file choosers, parented to `parent`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._parent = parent

    def warn(self, title: str, text: str) -> None:
        """Show a problem (a refused edit, a file that cannot be read); logged, with the
        traceback of the error being handled, if any."""
        log_caught(f"{title}: {text}")
        QMessageBox.warning(self._parent, title, text)

    def confirm(self, title: str, text: str, yes: str = "OK", no: str = "Cancel") -> bool:
        """Ask a yes/no question with the buttons named `yes` and `no`."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self._parent)
        accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(accept)
        box.exec()
        return box.clickedButton() is accept

    def number(
        self, title: str, label: str, value: float, low: float, high: float, decimals: int = 1
    ) -> float | None:
        """A number within [low, high], or None if cancelled."""
        number, ok = QInputDialog.getDouble(self._parent, title, label, value, low, high, decimals)
        return number if ok else None

    def color(self, initial: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """A colour, or None if cancelled."""
        chosen = QColorDialog.getColor(QColor(*initial), self._parent, "Label colour")
        return (chosen.red(), chosen.green(), chosen.blue()) if chosen.isValid() else None

    def open_path(self, title: str, folder: str = "") -> str | None:
        """A label file to read, or None."""
        path, _ = QFileDialog.getOpenFileName(self._parent, title, folder, LABEL_FILES)
        return path or None

    def folder(self, title: str, start: str = "") -> str | None:
        """A folder (the workspace), or None if cancelled."""
        return QFileDialog.getExistingDirectory(self._parent, title, start) or None

    def save_path(self, title: str, folder: str = "") -> str | None:
        """Where to write a label file (with the suffix of the chosen type), or None."""
        path, chosen = QFileDialog.getSaveFileName(self._parent, title, folder, LABEL_FILES)
        if not path:
            return None
        if "." not in path.rsplit("/", 1)[-1]:
            suffix = {"NIfTI": ".nii.gz", "NRRD": ".nrrd", "MHA": ".mha", "DICOM SEG": ".dcm"}
            path += next((s for name, s in suffix.items() if chosen.startswith(name)), ".nii.gz")
        return path
