"""The About box: versions of medgui and its libraries, the training device, the workspace, and
the research-use statement. The app icon lives here too (the window and this box show it).

Versions come from the installed packages' metadata, so the box opens at once without importing
torch; what CUDA and MPS offer is asked by a worker (`medgui.workers.system_info`) and fills in
when it answers.
"""

from __future__ import annotations

import html
import sys
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from medgui import __version__
from medgui.workers.system_info import DeviceInfo, device_info_worker

RESEARCH_USE = (
    "For research use only. medgui is not a medical device: it is not for diagnosis, "
    "treatment or any clinical decision."
)
ICON_SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)
# (shown name, distribution name) of the libraries whose versions matter in a bug report.
LIBRARIES = (
    ("pyqtgraph", "pyqtgraph"),
    ("PyTorch", "torch"),
    ("MONAI", "monai"),
    ("pydicom", "pydicom"),
    ("SimpleITK", "SimpleITK"),
    ("highdicom", "highdicom"),
)


def resources_dir() -> Path:
    """resources/ of the source tree, or of the one-folder app (PyInstaller's bundle folder)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def app_icon() -> QIcon:
    """medgui's icon at every PNG size (an empty icon when the files are not installed)."""
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in ICON_SIZES_PX:
        path = folder / f"medgui-{size}.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon


def package_version(distribution: str) -> str:
    """The installed version of `distribution`, or "not installed"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_lines() -> list[tuple[str, str]]:
    """(name, version) of medgui, Qt, PySide6 and the libraries in `LIBRARIES`."""
    lines = [("medgui", __version__), ("Qt", qVersion()), ("PySide6", pyside_version)]
    return lines + [(name, package_version(dist)) for name, dist in LIBRARIES]


def _rows(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(k)}</td><td>&nbsp;&nbsp;{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


class AboutDialog(QDialog):
    """The About box for a window whose workspace lives in `workspace_root`."""

    def __init__(self, workspace_root: str | Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About medgui")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a new one per Help → About
        self.workspace_root = Path(workspace_root)
        self.device: DeviceInfo | None = None
        self.device_error = ""
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self._fill()
        worker = device_info_worker()
        worker.returned.connect(self._on_device)
        worker.errored.connect(self._on_device_error)
        worker.start()

    def _on_device(self, info: DeviceInfo) -> None:
        self.device = info
        self._fill()

    def _on_device_error(self, error: Exception) -> None:
        self.device_error = f"could not ask PyTorch: {error}"
        self._fill()

    def device_lines(self) -> list[tuple[str, str]]:
        """CUDA, MPS and the training device, or a placeholder until the worker answers."""
        if self.device is not None:
            info = self.device
            return [
                ("CUDA", info.cuda),
                ("Apple MPS", info.mps),
                ("Training on", info.training_device),
            ]
        return [("Devices", self.device_error or "asking PyTorch…")]

    def _fill(self) -> None:
        self.text.setText(
            "<h3>medgui</h3>"
            "<p>A desktop workstation for medical images: read, annotate, train locally, "
            "report. Nothing leaves this computer unless you export it.</p>"
            f"{_rows(version_lines() + self.device_lines())}"
            f"<p>Workspace folder: {html.escape(str(self.workspace_root))}</p>"
            f"<p><b>{html.escape(RESEARCH_USE)}</b></p>"
        )
        self.adjustSize()  # the text grew when the devices came in
