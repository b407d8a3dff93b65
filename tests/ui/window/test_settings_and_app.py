"""Settings round-trips, and what the application opens at start."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from medgui.core.image.windowing import WindowLevel
from medgui.ui.common.settings import MAX_RECENT, AppSettings


def test_recent_files_newest_first_unique_and_capped(settings, tmp_path):
    for n in range(MAX_RECENT + 3):
        settings.add_recent(tmp_path / f"f{n}")
    settings.add_recent(tmp_path / "f5")
    recent = settings.recent_files()
    assert len(recent) == MAX_RECENT
    assert recent[0].endswith("f5") and recent.count(recent[0]) == 1
    assert recent[1].endswith(f"f{MAX_RECENT + 2}")
    settings.clear_recent()
    assert settings.recent_files() == []


def test_values_survive_a_new_store(tmp_path):
    path = str(tmp_path / "s.ini")
    first = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    first.set_layout("3")
    first.set_last_folder(tmp_path)
    first.set_user_preset("my liver", WindowLevel(70, 160))
    first.add_recent(tmp_path)
    first.sync()
    second = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    assert second.layout() == "3"
    assert second.last_folder() == str(tmp_path)
    assert second.user_presets() == {"my liver": WindowLevel(70, 160)}
    assert second.recent_files() == [str(tmp_path.resolve())]
    second.remove_user_preset("my liver")
    assert second.user_presets() == {}


def test_garbage_values_fall_back_to_defaults(settings, tmp_path):
    settings.store.setValue("files/recent", "{not json")
    settings.store.setValue("view/layout", "7")
    settings.store.setValue("view/user_presets", '{"bad": [1], "zero width": [40, 0]}')
    settings.store.setValue("files/last_folder", str(tmp_path / "gone"))
    assert settings.recent_files() == []
    assert settings.layout() == "1"
    assert settings.user_presets() == {}
    assert settings.last_folder() != str(tmp_path / "gone")


def test_window_geometry_and_layout_restored(qtbot, settings, new_window):
    first = new_window(settings)
    first.show()
    first.resize(700, 500)  # inside the offscreen screen, which restoreGeometry clamps to
    first.view_layout.set_layout("3")
    size = first.size()  # the window's minimum may have widened it
    first.close()
    again = new_window(AppSettings(settings.store))
    assert again.view_layout.layout_name == "3"
    assert again.menu_actions["layout_3"].isChecked()
    assert again.size() == size and size.height() == 500


def test_a_path_on_the_command_line_is_opened(qtbot, wait_shown, single_series):
    from medgui import app

    AppSettings().set_demo_opened_once()
    window = app.show_main_window(single_series)
    qtbot.addWidget(window)
    wait_shown(window)
    assert window.view_layout.volume.shape_zyx == (20, 40, 40)
