"""The status bar's strip for the running job: what it does, a progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget


class TaskProgress(QWidget):
    """Status-bar strip for the running job: what it does, a progress bar and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button):
            row.addWidget(widget)
        self.hide()

    def report(self, text: str, done: int, total: int) -> None:
        """Show `text` and `done` of `total` (a busy bar while total is 0)."""
        self.label.setText(text)
        # QProgressBar.setValue repaints synchronously, and a synchronous repaint paints the
        # window's whole dirty region at once: right after a volume opens, the new views'
        # first paint too, in the same turn of the event loop. With updates off the value
        # only schedules an ordinary paint (turning updates back on schedules one).
        self.bar.setUpdatesEnabled(False)
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.bar.setUpdatesEnabled(True)
        self.show()

    def end(self) -> None:
        self.hide()
