"""`EcgPanel`: the main window's place for a waveform record: its name above an `EcgView`.

The paper settings (speed, gain, layout, filters) are the panel's, kept from one record to the
next; each record gets a fresh view, so no caliper or overview of the last one stays on show.
Each record also gets a `BeatSession`: its labels saved in the workspace if there are any, else
its own annotations; every edit is saved back (atomically) when the panel knows a workspace.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal as QtSignal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medgui.core.signals.beat_session import BeatSession
from medgui.core.signals.ecg_layout import EcgPaper
from medgui.core.signals.signal import Signal
from medgui.core.workspace.beats import load_beats, save_beats
from medgui.ui.signals.ecg_view import EcgView
from medgui.ui.signals.saliency_layer import SaliencyLayer


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

    record_shown = QtSignal()  # a new view and session: whoever draws on them attaches anew

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paper = EcgPaper()
        self.view: EcgView | None = None
        self.session: BeatSession | None = None
        self.saliency: SaliencyLayer | None = None
        self.workspace_root: Path | None = None
        self.problem = ""  # why the saved labels could not be read or written, if they could not
        self.title = QLabel()
        self.title.setObjectName("EcgRecordTitle")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(self.title)

    def show_record(
        self, name: str, signal: Signal, workspace_root: str | Path | None = None
    ) -> None:
        """Show `signal` (read from the file called `name`) on the panel's paper, its beats
        labelled in a session saved to `workspace_root` (None: not saved)."""
        self.clear()
        self.workspace_root = Path(workspace_root) if workspace_root is not None else None
        self.view = EcgView(self.paper, parent=self)
        self._layout.addWidget(self.view, 1)
        self.view.set_signal(signal)
        self.session = self._open_session(signal)
        self.session.events.connect(self._session_event)
        self.view.set_session(self.session)
        self.saliency = SaliencyLayer(self.view, self.workspace_root)
        self.view.add_layer(self.saliency)
        self.title.setText(describe_record(name, signal))
        self.view.setFocus()
        self.record_shown.emit()

    def _open_session(self, signal: Signal) -> BeatSession:
        lead = self.paper.cells(signal)[-1].channel  # snap to the rhythm strip's lead
        self.problem = ""
        if self.workspace_root is not None and signal.source:
            try:
                saved = load_beats(self.workspace_root, signal, snap_channel=lead)
            except (OSError, ValueError) as error:  # a bad file: the record's own labels instead
                self.problem = str(error)
                saved = None
            if saved is not None:
                return saved
        return BeatSession.from_annotations(signal, signal.annotations, snap_channel=lead)

    def _session_event(self, name: str) -> None:
        if name != "edited" or self.workspace_root is None or not self.session.signal.source:
            return
        try:
            save_beats(self.workspace_root, self.session)
        except OSError as error:  # the previous save is kept; say why this one failed
            self.problem = str(error)
            self.view.status.setText(f"Beats not saved: {error}")

    def clear(self) -> None:
        """Drop the record on show (its samples can be hundreds of megabytes)."""
        self.session = self.saliency = None
        if self.view is not None:
            self._layout.removeWidget(self.view)
            self.view.deleteLater()
            self.view = None
        self.title.clear()
