"""Beat labelling in the real main window's ECG view: with the mouse over the rhythm strip, A
adds a beat at the R peak, Alt+letter relabels it, Delete removes it, Ctrl+Z / Ctrl+Shift+Z undo
and redo; the view draws the session's beats, and every edit is saved to the workspace's
beats.json, which the record finds again when it is opened anew."""

from __future__ import annotations

import json

import pyqtgraph as pg
import pytest
from ecg_testing import beat_times, write_wfdb_record
from PySide6.QtCore import Qt

from medgui.core.workspace.beats import beats_path

FS = 500.0
R_PEAKS = [round(t * FS) for t in beat_times(75.0, 10.0)]


@pytest.fixture
def record(qtbot, window, wait_idle, tmp_path):
    """A synthetic 12-lead WFDB record (no beats of its own) open in `window`, its labels
    saved in the workspace tmp_path/ws; returns (window, the .hea)."""
    assert window.labels.set_workspace(tmp_path / "ws")
    hea = write_wfdb_record(tmp_path)
    _open(qtbot, window, wait_idle, hea)
    return window, hea


def _open(qtbot, window, wait_idle, hea) -> None:
    panel = window.signals.panel
    old = panel.view
    window.open_path(hea)
    qtbot.waitUntil(
        lambda: panel.view not in (None, old) and bool(panel.view.cells), timeout=15_000
    )
    wait_idle(window)


def _hover(qtbot, view, sample: int) -> None:
    """Move the mouse over the rhythm strip (lead II across the page) at `sample`."""
    strip = next(c for c in view.cells if c.t1_s - c.t0_s >= view.paper.page_s - 1e-9)
    x, y = view.paper.to_mm(strip, sample / FS, 0.0)
    qtbot.mouseMove(view.page, view.scene_point(float(x), float(y)))
    qtbot.waitUntil(lambda: view.mouse_sample() is not None, timeout=5_000)


def _press(qtbot, view, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(view, key, modifier)


def _drawn(view) -> list[str]:
    """The beat symbols drawn above the rhythm strip."""
    colour = pg.mkColor(view.colours["beat"])
    return [
        i.textItem.toPlainText()
        for i in view.box.addedItems
        if isinstance(i, pg.TextItem) and i.color == colour
    ]


def test_keys_add_relabel_delete_and_undo_a_beat_at_the_r_peak(qtbot, record):
    window, _hea = record
    view, session = window.signals.panel.view, window.signals.panel.session
    assert session.beats == ()
    peak = R_PEAKS[2]
    _hover(qtbot, view, peak + 15)  # 30 ms late: A snaps back to the R peak
    _press(qtbot, view, Qt.Key.Key_A)
    assert [(b.sample, b.symbol) for b in session.beats] == [(peak, "N")]
    assert _drawn(view) == ["N"]
    _press(qtbot, view, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    assert session.beat_at(peak).symbol == "V"
    assert _drawn(view) == ["V"]
    assert view.paper.speed_mm_s == 25.0 and not view.paper.filters  # no view key fired
    _press(qtbot, view, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert session.beat_at(peak).symbol == "S" and view.paper.speed_mm_s == 25.0
    _press(qtbot, view, Qt.Key.Key_Delete)
    assert session.beats == () and _drawn(view) == []
    _press(qtbot, view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(b.sample, b.symbol) for b in session.beats] == [(peak, "S")]
    assert _drawn(view) == ["S"]
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    _press(qtbot, view, Qt.Key.Key_Z, redo)
    assert session.beats == ()


def test_delete_and_relabel_reach_only_a_beat_within_100_ms(qtbot, record):
    window, _hea = record
    view, session = window.signals.panel.view, window.signals.panel.session
    peak = R_PEAKS[3]
    _hover(qtbot, view, peak)
    _press(qtbot, view, Qt.Key.Key_A)
    _hover(qtbot, view, peak + round(0.15 * FS))  # 150 ms away: nothing to reach
    _press(qtbot, view, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    _press(qtbot, view, Qt.Key.Key_Delete)
    assert [(b.sample, b.symbol) for b in session.beats] == [(peak, "N")]
    assert "No beat within 100 ms" in view.status.text()


def test_edits_are_saved_to_beats_json_and_reloaded_with_the_record(
    qtbot, record, wait_idle, tmp_path
):
    window, hea = record
    view, session = window.signals.panel.view, window.signals.panel.session
    for peak in R_PEAKS[1:3]:
        _hover(qtbot, view, peak)
        _press(qtbot, view, Qt.Key.Key_A)
    _press(qtbot, view, Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
    saved = beats_path(tmp_path / "ws", session.signal)
    assert json.loads(saved.read_text())["beats"] == [[R_PEAKS[1], "N"], [R_PEAKS[2], "Q"]]
    _open(qtbot, window, wait_idle, hea)
    reopened = window.signals.panel.session
    assert reopened is not session
    assert [(b.sample, b.symbol) for b in reopened.beats] == [(R_PEAKS[1], "N"), (R_PEAKS[2], "Q")]
    assert sorted(_drawn(window.signals.panel.view)) == ["N", "Q"]


def test_a_bad_beats_json_is_named_in_problems_and_the_record_opens_without_it(
    qtbot, record, wait_idle, tmp_path
):
    window, hea = record
    view, session = window.signals.panel.view, window.signals.panel.session
    _hover(qtbot, view, R_PEAKS[1])
    _press(qtbot, view, Qt.Key.Key_A)
    saved = beats_path(tmp_path / "ws", session.signal)
    saved.write_text("{not json")
    _open(qtbot, window, wait_idle, hea)
    assert window.signals.panel.session.beats == ()  # the record's own (none), not the bad file
    rows = [row for row in window.problems.rows() if row[1] == str(hea)]
    assert any(str(saved) in row[2] for row in rows), rows
