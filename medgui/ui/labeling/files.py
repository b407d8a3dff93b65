"""File → Import labels / Export labels: NIfTI, NRRD or DICOM SEG, read and written in workers.

A file whose grid is not the image's is refused with both grids stated, and resampled (nearest
neighbour) only if the user then asks for it; any other bad file gets an error naming it, and
the labels on show stay as they were.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from medgui.core.labels.io import GeometryMismatchError
from medgui.core.labels.labelmap import LabelMap
from medgui.ui.common.error_dialog import log_caught
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.persistence import copy_labelmap
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.workers.label_workers import read_labels_worker, write_labels_worker


class LabelFiles(QObject):
    """Import and export of the session on show; `message(text)` reports the outcome and
    `finished()` follows every import or export, whatever its outcome."""

    message = Signal(str)
    finished = Signal()
    exported = Signal(str, str)  # series key, the file written

    def __init__(self, context: LabelContext, dialogs: Dialogs, parent: QObject | None = None):
        super().__init__(parent)
        self._context, self._dialogs = context, dialogs
        self._workers: list = []
        self.folder = ""

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    def _session(self, verb: str) -> LabelSession | None:
        session = self._context.session
        if session is None:
            self._dialogs.warn(f"{verb} labels", f"Open an image series to {verb.lower()} labels.")
        return session

    def _run(self, worker, on_result, on_error) -> None:
        self._workers.append(worker)

        def done(result) -> None:
            self._workers.remove(worker)
            on_result(result)
            self.finished.emit()

        def failed(error: Exception) -> None:
            self._workers.remove(worker)
            on_error(error)
            self.finished.emit()

        worker.returned.connect(done)
        worker.errored.connect(failed)
        worker.start()

    # Import.

    def import_labels(self, path: str | Path | None = None, *, resample: bool = False) -> None:
        """Read a label file (asked for when `path` is None) onto the image's grid and show it
        instead of the current labels."""
        session = self._session("Import")
        if session is None:
            return
        path = path or self._dialogs.open_path("Import labels", self.folder)
        if not path:
            return
        self.folder = str(Path(path).parent)
        worker = read_labels_worker(path, session.volume, resample=resample)
        self._run(
            worker,
            lambda labelmap: self._imported(session, path, labelmap),
            lambda error: self._import_failed(session, path, error),
        )

    def _imported(self, session: LabelSession, path, labelmap: LabelMap) -> None:
        if session is not self._context.session:
            return  # another series opened meanwhile
        if not session.is_empty() and not self._dialogs.confirm(
            "Import labels",
            f"Replace the labels on show with {Path(path).name}?\n"
            "The undo history of the current labels is cleared.",
            "Replace",
        ):
            return
        session.replace(labelmap)
        self.message.emit(f"Imported labels from {path}")

    def _import_failed(self, session: LabelSession, path, error: Exception) -> None:
        if isinstance(error, GeometryMismatchError):
            again = self._dialogs.confirm(
                "Label grid does not match",
                f"{error}\n\nResample the labels onto the image (nearest neighbour)?",
                "Resample",
            )
            if again and session is self._context.session:
                self.import_labels(path, resample=True)
            return
        log_caught(f"cannot import labels from {path}", error)
        self._dialogs.warn("Cannot import labels", _naming(path, error))

    # Export.

    def _export_failed(self, path, error: Exception) -> None:
        log_caught(f"cannot export labels to {path}", error)
        self._dialogs.warn("Cannot export labels", _naming(path, error))

    def export_labels(self, path: str | Path | None = None) -> None:
        """Write the labels on show to a NIfTI/NRRD file or a DICOM SEG (by the suffix)."""
        session = self._session("Export")
        if session is None:
            return
        path = path or self._dialogs.save_path("Export labels", self.folder)
        if not path:
            return
        self.folder = str(Path(path).parent)
        worker = write_labels_worker(copy_labelmap(session.labelmap), session.volume, path)

        def written(where) -> None:
            self.message.emit(f"Exported labels to {where}")
            self.exported.emit(session.key, str(where))

        self._run(
            worker,
            written,
            partial(self._export_failed, path),
        )


def _naming(path, error: Exception) -> str:
    """The error's text, with the file's name first unless it already says it."""
    text = str(error)
    return text if str(path) in text else f"{path}: {text}"
