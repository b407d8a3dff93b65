"""`EcgPanel`: the main window's place for a waveform record: its name above an `EcgView`.

The paper settings (speed, gain, layout, filters) are the panel's, kept from one record to the
next; each record gets a fresh view, so no caliper or overview of the last one stays on show.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medgui.core.signals.ecg_layout import EcgPaper
from medgui.core.signals.signal import Signal
from medgui.ui.signals.ecg_view import EcgView


def describe_record(name: str, signal: Signal) -> str:
    """One line naming the record: file, channels, length and rate."""
    seconds = signal.duration_s
    length = (
        f"{seconds:.1f} s"
        if seconds < 120
        else f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    )
    n = len(signal.channel_names)
    return f"{name} — {n} channel{'s' if n != 1 else ''}, {length}, {signal.fs_hz:g} Hz"


class EcgPanel(QWidget):
    """The record's name (the overlay) above its ECG view (None until a record is shown)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paper = EcgPaper()
        self.view: EcgView | None = None
        self.title = QLabel()
        self.title.setObjectName("EcgRecordTitle")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(self.title)

    def show_record(self, name: str, signal: Signal) -> None:
        """Show `signal` (read from the file called `name`) on the panel's paper."""
        self.clear()
        self.view = EcgView(self.paper, parent=self)
        self._layout.addWidget(self.view, 1)
        self.view.set_signal(signal)
        self.title.setText(describe_record(name, signal))
        self.view.setFocus()

    def clear(self) -> None:
        """Drop the record on show (its samples can be hundreds of megabytes)."""
        if self.view is not None:
            self._layout.removeWidget(self.view)
            self.view.deleteLater()
            self.view = None
        self.title.clear()
