"""ECG paper: layouts put each lead where a printout does, the grid and calipers measure right."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.signals.ecg_layout import (
    LAYOUTS,
    EcgPaper,
    grid_lines,
    heart_rate_bpm,
    px_per_mm,
)
from medgui.core.signals.signal import Signal

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def _twelve_lead(seconds: float = 20.0, fs: float = 500.0) -> Signal:
    n = int(seconds * fs)
    # Each channel holds its own index so a cell's channel is checked by its values.
    return Signal(np.repeat(np.arange(12.0)[:, None], n, axis=1), fs, list(LEADS), ["mV"] * 12)


def test_3x4_columns_are_consecutive_time_with_a_lead_ii_strip():
    paper = EcgPaper(layout="3x4+II", start_s=4.0)
    cells = paper.cells(_twelve_lead())
    grid = {(c.row, c.column): c for c in cells if not (c.row == 3)}
    assert [grid[(r, 0)].lead for r in range(3)] == ["I", "II", "III"]
    assert [grid[(0, c)].lead for c in range(4)] == ["I", "aVR", "V1", "V4"]
    assert [grid[(0, c)].t0_s for c in range(4)] == pytest.approx([4.0, 6.5, 9.0, 11.5])
    assert [grid[(0, c)].x_mm for c in range(4)] == pytest.approx([0, 62.5, 125, 187.5])
    assert all(grid[(r, c)].t1_s - grid[(r, c)].t0_s == pytest.approx(2.5) for r, c in grid)
    strip = [c for c in cells if c.row == 3]
    assert len(strip) == 1 and strip[0].lead == "II" and strip[0].channel == 1
    assert (strip[0].t0_s, strip[0].t1_s) == pytest.approx((4.0, 14.0))
    assert [c.y_mm for c in cells if c.column == 0] == pytest.approx([15, 45, 75, 105])


def test_6x2_12x1_and_one_lead():
    signal = _twelve_lead()
    six = EcgPaper(layout="6x2").cells(signal)
    assert [c.lead for c in six if c.column == 1] == LEADS[6:]
    assert {c.t0_s for c in six if c.column == 1} == {5.0}
    twelve = EcgPaper(layout="12x1").cells(signal)
    assert [c.lead for c in twelve] == LEADS and [c.row for c in twelve] == list(range(12))
    assert [c.channel for c in twelve] == list(range(12))
    one = EcgPaper(layout="1").cells(signal)
    assert [(c.lead, c.t1_s) for c in one] == [("II", 10.0)]


def test_speed_changes_the_seconds_on_a_page_and_lead_spellings_are_matched():
    signal = Signal(np.zeros((2, 1000)), 100.0, ["Lead V5", "MLII"], ["mV", "mV"])
    paper = EcgPaper(speed_mm_s=50.0, layout="3x4+II")
    cells = paper.cells(signal)  # not a 12-lead record: one row per channel, standard leads first
    assert [(c.lead, c.channel) for c in cells] == [("V5", 0), ("MLII", 1)]
    assert cells[0].t1_s == pytest.approx(5.0)
    x, y = paper.to_mm(cells[1], np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert x.tolist() == [0.0, 50.0] and y.tolist() == [45.0, 45.0 - 10.0]


def test_settings_cycle_and_bad_ones_are_named():
    paper = EcgPaper()
    paper.cycle("speed")
    paper.cycle("gain", -1)
    paper.cycle("layout")
    assert (paper.speed_mm_s, paper.gain_mm_mv, paper.layout) == (50.0, 5.0, LAYOUTS[1])
    with pytest.raises(ValueError, match="paper speed"):
        paper.set_speed(30)
    with pytest.raises(ValueError, match="layout must be"):
        EcgPaper(layout="4x3")
    paper.scroll_to(99.0, duration_s=20.0)
    assert paper.start_s == pytest.approx(20.0 - paper.page_s)
    paper.scroll_down(50.0, max_top_mm=40.0)
    assert paper.top_mm == 40.0
    paper.set_layout("12x1")
    assert paper.top_mm == 0.0
    assert EcgPaper(layout="12x1", top_mm=30.0).top_mm == 30.0


def test_grid_has_minor_lines_every_mm_and_major_every_5():
    minor, major = grid_lines(0, 10, 0, 5)
    vertical_major = sorted(s[0, 0] for s in major if s[0, 0] == s[1, 0])
    vertical_minor = sorted(s[0, 0] for s in minor if s[0, 0] == s[1, 0])
    assert vertical_major == [0, 5, 10]
    assert vertical_minor == [1, 2, 3, 4, 6, 7, 8, 9]
    assert sorted(s[0, 1] for s in major if s[0, 1] == s[1, 1]) == [0, 5]


def test_true_scale_and_calipers():
    assert px_per_mm(96) == pytest.approx(96 / 25.4)
    with pytest.raises(ValueError):
        px_per_mm(0)
    paper = EcgPaper()  # 25 mm/s, 10 mm/mV
    reading = paper.measure((10.0, 50.0), (30.0, 40.0))  # 20 mm right, 10 mm up
    assert reading.interval_ms == pytest.approx(800.0)
    assert reading.amplitude_mv == pytest.approx(1.0)
    assert reading.heart_rate_bpm == pytest.approx(75.0)
    assert "800 ms" in reading.text() and "75 bpm" in reading.text()
    assert heart_rate_bpm(1000) == pytest.approx(60.0)
    with pytest.raises(ValueError):
        heart_rate_bpm(0)


def test_time_at_finds_the_cell_and_record_time_under_a_paper_point():
    paper = EcgPaper(layout="3x4+II", start_s=4.0)
    cells = paper.cells(_twelve_lead())
    cell, t = paper.time_at(cells, 62.5 + 25.0, 45.0 + 10.0)  # aVL's column, 1 s in, below it
    assert (cell.lead, cell.column) == ("aVL", 1) and t == pytest.approx(7.5)
    cell, t = paper.time_at(cells, 100.0, 105.0)  # the rhythm strip: 4 s into the page
    assert cell.lead == "II" and cell.row == 3 and t == pytest.approx(8.0)
    assert paper.time_at(cells, -5.0, 15.0) is None  # the calibration margin
    assert paper.time_at(cells, 100.0, 200.0) is None  # below the last row
