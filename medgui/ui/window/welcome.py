"""The first-run welcome: offers the demo study, says which device training will use and why,
and where the workspace (labels, models, reports) lives, with a button to choose another.

`show_welcome_once(window)` shows it on the first start only (the settings remember it); the
app calls it from `show_main_window`, never from MainWindow itself, so tests that build a
window directly never see it. It is not modal: the window behind it is usable at once.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from medgui.ui.window.about import RESEARCH_USE, app_icon
from medgui.workers.system_info import DeviceInfo, device_info_worker


class WelcomeDialog(QDialog):
    """The welcome for `window` (a MainWindow): demo, training device, workspace."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.setWindowTitle("Welcome to medgui")
        self.setWindowIcon(app_icon())
        intro = QLabel(
            "<h3>Welcome to medgui</h3>"
            "<p>Open scans (File → Open, or drop a folder on the window), read and annotate "
            "them, train a model on your labels on this computer, and write reports. Nothing "
            "leaves this computer unless you export it.</p>"
            "<p>The demo study is a synthetic abdominal CT with labelled organs: try every "
            "tool on it without patient data.</p>"
        )
        intro.setWordWrap(True)
        self.device_label = QLabel("Training device: asking PyTorch…")
        self.device_label.setWordWrap(True)
        self.workspace_label = QLabel()
        self.workspace_label.setWordWrap(True)
        self.workspace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(f"<small>{html.escape(RESEARCH_USE)}</small>")
        note.setWordWrap(True)
        self.demo_button = QPushButton("Open the demo study")
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self._open_demo)
        self.workspace_button = QPushButton("Choose workspace folder…")
        self.workspace_button.clicked.connect(self._choose_workspace)
        self.close_button = QPushButton("Start with an empty window")
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.demo_button, self.workspace_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.device_label, self.workspace_label, note):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        self._show_workspace()
        worker = device_info_worker()
        worker.returned.connect(self._on_device)
        worker.errored.connect(
            lambda error: self.device_label.setText(f"Training device: unknown ({error})")
        )
        worker.start()

    def _on_device(self, info: DeviceInfo) -> None:
        device, _, why = info.training_device.partition(": ")
        because = f" ({why})" if why else ""
        self.device_label.setText(
            f"<b>Training will use:</b> {html.escape(device)}{html.escape(because)}. "
            f"CUDA: {html.escape(info.cuda)}; Apple MPS: {html.escape(info.mps)}."
        )
        self.adjustSize()

    def _show_workspace(self) -> None:
        root = html.escape(str(self.window.labels.workspace.root))
        self.workspace_label.setText(
            f"<b>Workspace:</b> {root}<br>Labels, measurements and trained models are kept "
            "there (File → Choose workspace folder… changes it later)."
        )

    def _choose_workspace(self) -> None:
        self.window.labels.choose_workspace()
        self._show_workspace()

    def _open_demo(self) -> None:
        self.window.open_demo()
        self.accept()


def show_welcome_once(window) -> WelcomeDialog | None:
    """Show the welcome over `window` on the first run (then never again); returns it."""
    settings = window.settings
    if settings.demo_opened_once():
        return None
    settings.set_demo_opened_once()
    dialog = WelcomeDialog(window)
    dialog.show()
    return dialog
