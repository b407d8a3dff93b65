"""The About box, the first-run welcome, and the app icon and desktop entry under resources/."""

from __future__ import annotations

import configparser
from importlib import metadata

from PySide6.QtCore import qVersion
from PySide6.QtGui import QImage

from medgui import __version__
from medgui.ui.window.about import ICON_SIZES_PX, RESEARCH_USE, AboutDialog, app_icon, resources_dir
from medgui.ui.window.welcome import WelcomeDialog


def test_every_icon_size_is_a_png_of_that_size():
    for size in ICON_SIZES_PX:
        image = QImage(str(resources_dir() / "icons" / f"medgui-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
    sizes = {(s.width(), s.height()) for s in app_icon().availableSizes()}
    assert sizes == {(n, n) for n in ICON_SIZES_PX}


def test_the_desktop_entry_runs_medgui_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(resources_dir() / "medgui.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0] == "medgui" and desktop["Icon"] == "medgui"


def test_about_lists_versions_devices_workspace_and_research_use(qtbot, window, artifacts):
    window.menu_actions["about"].trigger()
    about = window.findChild(AboutDialog)
    assert about is not None and about.isVisible()
    text = about.text.text()
    for expected in (
        __version__,
        qVersion(),
        metadata.version("torch"),
        metadata.version("pydicom"),
        metadata.version("SimpleITK"),
        metadata.version("monai"),
        metadata.version("highdicom"),
        str(window.labels.workspace.root),
    ):
        assert expected in text
    assert RESEARCH_USE in text
    # CUDA/MPS come from a worker (the ui never imports torch) and fill in when it answers.
    qtbot.waitUntil(lambda: about.device is not None, timeout=60_000)
    text = about.text.text()
    assert "CUDA" in text and "Apple MPS" in text and about.device.training_device in text
    about.grab().save(str(artifacts / "about.png"))
    about.close()


def test_the_welcome_offers_the_demo_once_and_tells_device_and_workspace(
    qtbot, wait_shown, tmp_path, artifacts
):
    from medgui import app

    window = app.show_main_window()
    qtbot.addWidget(window)
    welcome = window.findChild(WelcomeDialog)
    assert welcome is not None and welcome.isVisible()
    assert window.view_layout.volume is None  # nothing opens until the user says so
    assert str(window.labels.workspace.root) in welcome.workspace_label.text()
    qtbot.waitUntil(lambda: "Training will use" in welcome.device_label.text(), timeout=60_000)
    welcome.grab().save(str(artifacts / "welcome.png"))

    chosen = tmp_path / "my workspace"
    window.labels.dialogs.folder = lambda *_args: str(chosen)
    welcome.workspace_button.click()
    assert window.labels.workspace.root == chosen
    assert str(chosen) in welcome.workspace_label.text()

    welcome.demo_button.click()
    assert not welcome.isVisible()
    wait_shown(window, 30_000)
    assert window.view_layout.volume.shape_zyx == (80, 256, 256)
    window.close()

    second = app.show_main_window()
    qtbot.addWidget(second)
    # The welcome shows from show_main_window itself (the first window had it at once).
    assert second.findChild(WelcomeDialog) is None
    assert not second.busy and second.view_layout.volume is None
