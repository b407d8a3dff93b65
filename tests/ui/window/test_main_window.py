"""The real main window driven as a user would: open, browse, load, cancel, problems."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from medgui.core.image.reformat import Plane


def _series_titles(window) -> list[str]:
    return sorted(item.text().splitlines()[0] for item in window.browser.series_items().values())


def test_open_folder_lists_series_and_double_click_loads(
    qtbot, window, series_folder, wait_idle, wait_shown
):
    window.open_path(series_folder)
    wait_idle(window)
    assert _series_titles(window) == ["#1 Axial thin", "#2 Axial thick"]
    # Two series: nothing is loaded until the user picks one.
    assert window.view_layout.volume is None

    index = window.browser.index_of(next(iter(window.browser.series_items())))
    tree = window.browser.tree
    tree.scrollTo(index)
    rect = tree.visualRect(index)
    # QTest's double click needs the press of a first click to land on the same item.
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_shown(window)
    assert window.view_layout.volume.shape_zyx == (12, 48, 40)
    assert window.volume is window.view_layout.volume
    assert "Axial" in window.windowTitle()


def test_enter_on_a_series_loads_it(qtbot, window, series_folder, wait_idle):
    window.open_path(series_folder)
    wait_idle(window)
    tree = window.browser.tree
    tree.setFocus()
    shown = window.view_layout.volume
    uids = list(window.browser.series_items())
    # The series not on show (the first when none is): Return must load exactly that one.
    wanted = next(u for u in reversed(uids) if shown is None or _uid(shown) != u)
    tree.setCurrentIndex(window.browser.index_of(wanted))
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _uid(window.view_layout.volume) == wanted, timeout=10_000)
    wait_idle(window)
    assert _uid(window.view_layout.volume) == wanted


def _uid(volume) -> str | None:
    return None if volume is None else volume.metadata.get("SeriesInstanceUID")


def test_thumbnails_arrive(qtbot, window, series_folder, wait_idle):
    window.open_path(series_folder)
    wait_idle(window)
    items = list(window.browser.series_items().values())
    assert items[0].text().splitlines()[1] == "CT · 12 images · 40×48×12"

    def previews_drawn():
        # The thumbnail is the middle slice: its centre is inside the bright ellipse.
        return all(
            item.icon().pixmap(64, 64).toImage().pixelColor(32, 32).value() > 0 for item in items
        )

    qtbot.waitUntil(previews_drawn, timeout=10_000)


def test_a_series_that_opens_by_itself_gets_its_thumbnail_after_the_load(
    qtbot, window, single_series
):
    """Previews decode (holding the GIL) only once the load is done: beside it they slowed the
    viewer's first turns on the volume."""
    events = []
    window.jobs.volume_loaded.connect(lambda *_: events.append("loaded"))
    window.jobs.thumbnail.connect(lambda *_: events.append("thumbnail"))
    window.open_path(single_series)
    qtbot.waitUntil(lambda: "thumbnail" in events, timeout=10_000)
    assert events.index("loaded") < events.index("thumbnail")


def test_single_series_opens_by_itself_with_progress(qtbot, window, single_series, wait_shown):
    window.open_path(single_series)
    # The bar shows as soon as the job starts, and goes when it ends.
    assert not window.progress.isHidden()
    wait_shown(window)
    assert window.progress.isHidden()
    assert window.view_layout.volume.shape_zyx == (20, 40, 40)
    assert window.problems.rows() == []


def test_first_slice_shows_before_the_load_ends(
    qtbot, window, single_series, wait_idle, slow_loads
):
    slow_loads(delay_s=0.02)
    window.open_path(single_series)
    qtbot.waitUntil(lambda: window.view_layout.volume is not None, timeout=10_000)
    assert window.busy, "the views should open while the load is still running"
    wait_idle(window)
    visible = window.view_layout.visible_views()
    assert visible
    if hasattr(next(iter(visible.values())), "updates"):
        updated = set().union(*(set(v.updates) for v in visible.values()))
        assert updated == set(range(20))


def test_cancel_stops_a_load(qtbot, window, demo_study, slow_loads):
    landed = slow_loads(delay_s=0.02).landed
    window.open_path(demo_study.dicom_dir)
    qtbot.waitUntil(lambda: window.view_layout.volume is not None, timeout=10_000)
    qtbot.mouseClick(window.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.busy
    assert window.progress.isHidden()
    # The view is cleared: a half-loaded volume is not left on screen as if it were complete.
    assert window.view_layout.volume is None
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(5_000)
    stopped_at = len(landed)
    assert stopped_at < 80, "the worker should stop at its next cancel point"
    # The worker is over: whatever it had queued for the GUI thread is delivered now.
    QApplication.processEvents()
    assert len(landed) == stopped_at
    assert window.view_layout.volume is None


def test_problems_panel_lists_bad_files(qtbot, window, folder_with_bad_file, wait_shown):
    window.open_path(folder_with_bad_file)
    wait_shown(window)
    names = {row[1].split("/")[-1]: row for row in window.problems.rows()}
    assert {"notes.txt", "broken.dcm"} <= set(names)
    assert names["notes.txt"][2]  # every problem says why
    assert window.problems.isVisibleTo(window)


def test_load_error_is_shown_not_raised(qtbot, window, tmp_path, wait_idle):
    empty = tmp_path / "empty"
    empty.mkdir()
    window.load(empty)
    wait_idle(window)
    rows = window.problems.rows()
    assert rows and rows[-1][0] == "load" and "no loadable image series" in rows[-1][2]
    assert window.problems.isVisibleTo(window)


def test_layout_switch_shows_three_views_and_keeps_state(qtbot, window, single_series, wait_shown):
    window.open_path(single_series)
    wait_shown(window)
    layout = window.view_layout
    assert len(layout.visible_views()) == 1
    state = layout.state
    state.set_window(100, 500)
    window.menu_actions["layout_3"].trigger()
    assert set(layout.visible_views()) == set(Plane)
    assert all(v.isVisibleTo(window) for v in layout.views.values())
    assert layout.state is state and state.window.width == 500
    assert window.menu_actions["layout_3"].isChecked()
    window.menu_actions["layout_1"].trigger()
    shown = [p for p, v in layout.views.items() if v.isVisibleTo(window)]
    assert shown == [state.active_plane]
    assert window.settings.layout() == "1"


def test_view_actions_drive_the_state(qtbot, window, single_series, wait_shown):
    window.open_path(single_series)
    wait_shown(window)
    state = window.view_layout.state
    window.menu_actions["invert"].trigger()
    assert state.invert
    state.set_invert(False)
    assert not window.menu_actions["invert"].isChecked()
    window.menu_actions["rotate_cw"].trigger()
    assert state.rotate == 90
    window.menu_actions["reset"].trigger()
    assert state.rotate == 0
    window.view_actions.presets_menu.actions()[3].trigger()  # lung
    assert (state.window.center, state.window.width) == (-600, 1500)
    window.menu_actions["plane_coronal"].trigger()
    assert state.active_plane is Plane.CORONAL


def test_every_menu_action_shows_its_shortcut(window):
    def walk(menu):
        for action in menu.actions():
            if action.menu():
                yield from walk(action.menu())
            elif not action.isSeparator():
                yield action

    expected = {
        "&Open File…": "Ctrl+O",
        "Open &Folder…": "Ctrl+Shift+O",
        "&Quit": "Ctrl+Q",
        "One view": "Ctrl+1",
        "Three planes": "Ctrl+3",
        "Reset display": "R",
        "Fit to window": "F",
        "Invert": "I",
        "Play / pause cine": "Space",
    }
    found = {}
    for top in window.menuBar().actions():
        window.view_actions._fill_presets()
        for action in walk(top.menu()):
            found[action.text()] = action.shortcut().toString()
    for text, key in expected.items():
        assert found[text] == key, text
    assert "Brain\t1" in found and "Bone\t8" in found


def test_recent_files_persist_across_windows(
    qtbot, window, series_folder, settings, wait_idle, new_window
):
    window.open_path(series_folder)
    wait_idle(window)
    window.close()
    from medgui.ui.common.settings import AppSettings

    again = new_window(AppSettings(settings.store))
    assert again.settings.recent_files()[0] == str(series_folder.resolve())
    again.recent_menu.aboutToShow.emit()
    assert again.recent_menu.actions()[0].text() == str(series_folder.resolve())


def test_drop_a_folder_opens_it(qtbot, window, series_folder, wait_idle):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(series_folder))])
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt delivers a drop only to a widget that accepted the drag entering it, as in a real drag.
    enter = QDragEnterEvent(QPoint(50, 50), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), *args)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    wait_idle(window)
    assert len(window.browser.series_items()) == 2


def test_demo_is_written_once_and_reused(qtbot, window, wait_shown):
    from medgui.core.io.index import data_dir

    window.open_demo()
    wait_shown(window, 30_000)
    marker = data_dir() / "demo" / "labels.json"
    assert marker.is_file()
    written = marker.stat().st_mtime_ns
    window.open_demo()
    wait_shown(window, 30_000)
    assert marker.stat().st_mtime_ns == written
    assert window.view_layout.volume.shape_zyx == (80, 256, 256)


@pytest.mark.parametrize("layout", ["1", "3"])
def test_screenshot_of_the_main_window_with_the_demo(
    qtbot, window, demo_study, wait_shown, wait_drawn, layout, artifacts, qapp
):
    from medgui.ui.common.theme import apply_dark_theme

    apply_dark_theme(qapp)
    window.open_path(demo_study.dicom_dir)
    wait_shown(window, 30_000)
    window.view_layout.set_layout(layout)
    wait_drawn(window.view_layout)
    out = artifacts / f"main_window_demo_layout{layout}.png"
    assert window.grab().save(str(out))
    assert out.stat().st_size > 10_000


def test_measurements_dock_opens_when_measuring(qtbot, window, single_series):
    from medgui.ui.measure.context import Tool

    assert not window.measurement_dock.isVisibleTo(window)
    assert not window.tags_dock.isVisibleTo(window)
    window.menu_actions["tool_ruler"].trigger()
    assert window.measurements.tool is Tool.RULER
    assert window.measurement_dock.isVisibleTo(window)
    window.measurements.set_tool(Tool.NAVIGATE)
    assert window.menu_actions["tool_navigate"].isChecked()


def test_tag_browser_follows_the_loaded_volume(qtbot, window, single_series, wait_shown):
    window.open_path(single_series)
    wait_shown(window)
    window.tags_dock.toggleViewAction().trigger()
    assert window.tags_dock.isVisibleTo(window)
    assert window.tags.path is not None and window.tags.path.parent == single_series
    first = window.tags.path
    window.view_layout.state.set_slice(Plane.AXIAL, 0)
    qtbot.waitUntil(lambda: window.tags.path != first, timeout=2_000)


def test_readme_screenshot(
    qtbot, settings, new_window, demo_study, wait_shown, wait_drawn, artifacts, qapp
):
    """The main window as the README shows it: the demo, a lesion measured, the panel open."""
    from medgui.core.annotations.measurements import EllipseROI, Ruler
    from medgui.ui.common.theme import apply_dark_theme

    apply_dark_theme(qapp)
    window = new_window(settings)
    window.resize(1400, 900)
    window.show()
    window.open_path(demo_study.dicom_dir)
    wait_shown(window, 30_000)
    state = window.view_layout.state
    # The 20 mm liver lesion: centre (-70, -20, 20) mm LPS is voxel (77.5, 113.2, 48).
    state.set_slice(Plane.AXIAL, 48)
    state.set_window(60, 150)  # the liver preset: the 20 HU lesion stands out from 60 HU liver
    where = {"plane": Plane.AXIAL, "slice_index": 48, "spacing_mm": (1.4, 1.4)}
    window.measurements.add(EllipseROI(center=(113.2, 77.5), radii=(7.1, 7.1), **where))
    ruler = Ruler(p0=(113.2, 70.4), p1=(113.2, 84.6), **where)
    window.measurements.add(ruler)
    assert abs(ruler.length_mm - 19.9) < 0.1
    assert window.measurement_dock.isVisibleTo(window)
    assert window.measurement_panel.table.rowCount() == 2
    wait_drawn(window.view_layout)
    out = artifacts / "main_window_demo.png"
    assert window.grab().save(str(out))


def test_no_two_menu_actions_share_a_shortcut(window):
    """Qt runs neither of two window shortcuts that clash ("Ambiguous shortcut"): Reports and
    Open Folder once both had Ctrl+Shift+O."""

    def walk(menu):
        for action in menu.actions():
            if action.menu():
                yield from walk(action.menu())
            elif not action.isSeparator():
                yield action

    window.view_actions._fill_presets()
    owners: dict[str, set[str]] = {}
    for top in window.menuBar().actions():
        for action in walk(top.menu()):
            for key in action.shortcuts():
                owners.setdefault(key.toString(), set()).add(action.text())
    clashes = {key: texts for key, texts in owners.items() if key and len(texts) > 1}
    assert not clashes
