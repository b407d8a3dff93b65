"""Rhythm episodes and beat moves in the real main window's ECG view: episodes marked with E
(or Shift+drag) and typed from the rhythm menu, drawn as labelled bars over the rhythm strip,
relabelled, their end dragged, deleted, each edit one undo step; beats selected by a click and
moved by dragging their mark, to the R peak or (Alt) exactly where dropped."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from ecg_mouse_testing import at_sample, choose, click, drag, hover
from ecg_testing import beat_times, write_wfdb_record
from PySide6.QtCore import Qt

from medgui.ui.signals.episode_layer import BAR_MM, EpisodeLayer

FS = 500.0
R_PEAKS = [round(t * FS) for t in beat_times(75.0, 10.0)]
CTRL, SHIFT, ALT = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                    Qt.KeyboardModifier.AltModifier)  # fmt: skip
PIXEL = 6  # samples: one screen pixel at 25 mm/s and 96 dpi is 10.6 ms (5.3 samples at 500 Hz)


@pytest.fixture
def view(qtbot, window, wait_idle, tmp_path):
    """A synthetic 12-lead WFDB record (no labels of its own) open in `window`."""
    assert window.labels.set_workspace(tmp_path / "ws")
    window.open_path(write_wfdb_record(tmp_path))
    panel = window.signals.panel
    qtbot.waitUntil(lambda: panel.view is not None and bool(panel.view.cells), timeout=15_000)
    wait_idle(window)
    return panel.view


def _layer(view) -> EpisodeLayer:
    return next(la for la in view.layers if isinstance(la, EpisodeLayer))


def _spans(view) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.rhythm) for e in view.session.episodes]


def _texts(view) -> list[str]:
    return [i.textItem.toPlainText() for i in view.box.addedItems if isinstance(i, pg.TextItem)]


def test_e_twice_and_the_menu_add_an_episode_drawn_as_a_bar_and_undone_in_one_step(qtbot, view):
    layer = _layer(view)
    hover(qtbot, view, 1000)
    qtbot.keyClick(view, Qt.Key.Key_E)
    assert layer.pending is not None and view.session.episodes == ()
    hover(qtbot, view, 2500)
    qtbot.keyClick(view, Qt.Key.Key_E)  # the end before the start is fine: sorted
    choose(qtbot, layer.menu, "(AFIB")
    [(start, end, rhythm)] = _spans(view)
    assert abs(start - 1000) <= PIXEL and abs(end - 2500) <= PIXEL and rhythm == "(AFIB"
    assert "(AFIB" in _texts(view) and "(AFIB" in view.status.text()
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert view.session.episodes == () and "(AFIB" not in _texts(view)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert _spans(view) == [(start, end, "(AFIB")]

    hover(qtbot, view, 1800)  # inside it: Shift+E types it anew, Shift+Delete deletes it
    qtbot.keyClick(view, Qt.Key.Key_E, SHIFT)
    choose(qtbot, layer.menu, "(AFL")
    assert _spans(view) == [(start, end, "(AFL")]
    qtbot.keyClick(view, Qt.Key.Key_Delete, SHIFT)
    assert view.session.episodes == ()
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert _spans(view) == [(start, end, "(AFL")]

    hover(qtbot, view, 2000)  # an overlapping one is refused, and says why
    qtbot.keyClick(view, Qt.Key.Key_E)
    hover(qtbot, view, 3000)
    qtbot.keyClick(view, Qt.Key.Key_E)
    choose(qtbot, layer.menu, "(VT")
    assert _spans(view) == [(start, end, "(AFL")] and "overlaps" in view.status.text()
    hover(qtbot, view, 3500)  # Esc drops a half-marked episode
    qtbot.keyClick(view, Qt.Key.Key_E)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert layer.pending is None


def test_a_bars_end_drags_and_shift_drag_marks_a_new_episode(qtbot, view):
    view.session.add_episode(500, 2000, "(AFIB")
    layer = _layer(view)
    top = layer.bar_top(next(c for c in view.annotated_cells()))
    x_end, _ = at_sample(view, 2000)
    x_to, _ = at_sample(view, 3000)
    drag(view, (x_end, top + BAR_MM / 2), (x_to, top + BAR_MM / 2))
    [(start, end, _rhythm)] = _spans(view)
    assert start == 500 and abs(end - 3000) <= PIXEL and view.caliper is None
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert _spans(view) == [(500, 2000, "(AFIB")]

    drag(view, at_sample(view, 3400), at_sample(view, 2600), SHIFT)  # leftwards is fine
    choose(qtbot, layer.menu, "(VT")
    assert len(view.session.episodes) == 2 and view.caliper is None
    new = view.session.episodes[1]
    assert abs(new.start - 2600) <= PIXEL and abs(new.end - 3400) <= PIXEL
    assert new.rhythm == "(VT"
    drag(view, at_sample(view, 3600), at_sample(view, 3900))  # no modifier: the caliper's
    assert view.caliper is not None and len(view.session.episodes) == 2


def test_a_click_selects_a_beat_and_dragging_its_mark_moves_it(qtbot, view):
    session = view.session
    for peak in R_PEAKS[2:5]:
        session.add_beat(peak)
    beat = R_PEAKS[3]
    click(view, at_sample(view, beat + 20))  # 40 ms off, on the trace
    assert view.selected_beat == beat and "Selected beat N" in view.status.text()
    cell = view.annotated_cells()[0]
    mark_y = cell.y_mm - 0.49 * view.paper.row_pitch_mm + 1.5  # on the beat's symbol
    x_beat, _ = at_sample(view, beat)
    x_late, _ = at_sample(view, beat + 60)  # a drag is 5 px at least (pyqtgraph)
    drag(view, (x_beat, mark_y), (x_late, mark_y), ALT)  # Alt: exactly where dropped
    moved = [b.sample for b in session.beats]
    assert abs(moved[1] - (beat + 60)) <= PIXEL and moved[0] == R_PEAKS[2]
    assert view.selected_beat == moved[1] and view.caliper is None
    x_moved, _ = at_sample(view, moved[1])
    x_near, _ = at_sample(view, beat + 12)
    drag(view, (x_moved, mark_y), (x_near, mark_y))  # snapped back onto the R peak
    assert [b.sample for b in session.beats] == R_PEAKS[2:5]
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert abs(session.beats[1].sample - (beat + 60)) <= PIXEL  # each move is one step
    click(view, at_sample(view, (R_PEAKS[3] + R_PEAKS[4]) // 2))  # between beats: none
    assert view.selected_beat is None
