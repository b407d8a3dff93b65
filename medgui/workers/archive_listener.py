"""medgui's storage SCP while the window runs (off by default), as Qt signals.

pynetdicom calls the landing from its own threads; `received(study_folder)` and
`rejected(reason)` reach the GUI thread queued, so the window lists a study as it arrives.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from medgui.core.net.landing import Landing
from medgui.core.net.scp import StorageListener


class ArchiveListener(QObject):
    """Starts and stops a storage SCP that lands instances in a local store."""

    received = Signal(str)  # the study folder an instance just landed in
    rejected = Signal(str)  # which instance could not be kept, and why

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: StorageListener | None = None

    @property
    def port(self) -> int:
        """The port it listens on, 0 when stopped."""
        return self._listener.port if self._listener is not None else 0

    def start(self, store: Path, ae_title: str, port: int) -> None:
        """Listen on `port` as `ae_title`, landing in `store`; ArchiveError when the port
        cannot be used."""
        self.stop()
        landing = Landing(store)
        landing.on_arrival = self._arrived
        listener = StorageListener(landing, ae_title, port)
        self._listener = listener.__enter__()

    def _arrived(self, path: Path | None, why: str) -> None:
        if path is not None:
            self.received.emit(str(path.parent.parent))
        else:
            self.rejected.emit(why)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.__exit__(None, None, None)
            self._listener = None
