"""The ECG view: paper grid at true scale, 3x4 + rhythm strip, calipers, filters, keys, scroll,
and `medgui view ECG --screenshot` (the reader is stood in for by the synthetic ECG)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from ecg_testing import beat_times, synthetic_ecg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from medgui.core.signals import waveform_files
from medgui.core.signals.ecg_layout import EcgPaper
from medgui.ui.signals.ecg_view import EcgView

DPI = 96.0


@pytest.fixture
def view(qtbot):
    widget = EcgView(dpi=DPI)
    qtbot.addWidget(widget)
    widget.resize(1024, 640)
    widget.set_signal(synthetic_ecg(bpm=75, duration_s=30, wander_mv=0.3))
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.box.geometry().width() > 900)
    return widget


def _mouse(widget, kind, pos: QPointF, buttons) -> None:
    event = QMouseEvent(
        kind,
        pos,
        widget.mapToGlobal(pos),
        Qt.MouseButton.LeftButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_grid_is_true_scale_and_3x4_has_a_rhythm_strip(view):
    assert view.paper.layout == "3x4+II"
    expected = DPI / 25.4
    left, right = view.scene_point(0.0, 0.0), view.scene_point(50.0, 30.0)
    assert (right.x() - left.x()) / 50.0 == pytest.approx(expected, rel=0.02)
    assert (right.y() - left.y()) / 30.0 == pytest.approx(expected, rel=0.02)
    assert [c.lead for c in view.cells if c.row == 3] == ["II"]
    assert len(view.cells) == 13
    # The rendered page: a major (red) grid line every 5 mm, i.e. every 18.9 px at 96 dpi.
    image = view.page.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    row = int(view.scene_point(0, 2.5).y())  # between rows of traces, on a minor line or paper
    width = image.width()
    ptr = image.constBits()
    pixels = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    line = pixels[row, : width * 4].reshape(width, 4)[:, :3].astype(int)  # B, G, R
    red = np.flatnonzero((line[:, 2] > 180) & (line[:, 1] < 140))
    starts = red[np.insert(np.diff(red) > 1, 0, True)]
    assert len(starts) > 40  # every 5 mm across the 250 mm page
    spacing = (starts[-1] - starts[0]) / (len(starts) - 1)  # whole pixels average out
    assert spacing / 5.0 == pytest.approx(expected, rel=0.02)


def test_caliper_over_one_rr_interval_reads_800_ms_and_75_bpm(view, qtbot):
    strip = next(c for c in view.cells if c.row == 3)
    r0, r1 = beat_times(75, 30)[2:4]
    x0, y = view.paper.to_mm(strip, r0, 0.0)
    x1, _ = view.paper.to_mm(strip, r1, 0.0)
    port = view.page.viewport()
    a, b = view.scene_point(float(x0), float(y)), view.scene_point(float(x1), float(y))
    left = Qt.MouseButton.LeftButton
    with qtbot.waitSignal(view.caliper_measured) as measured:
        _mouse(port, QEvent.Type.MouseButtonPress, a, left)
        for k in range(1, 11):
            _mouse(port, QEvent.Type.MouseMove, a + (b - a) * (k / 10), left)
        _mouse(port, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: view.caliper.interval_ms > 700)
    reading = view.caliper
    assert reading.interval_ms == pytest.approx(800.0, abs=8)  # one pixel is 10.6 ms
    assert reading.heart_rate_bpm == pytest.approx(75.0, abs=1)
    assert abs(reading.amplitude_mv) < 0.05
    assert measured.args
    assert "bpm" in view.status.text()


def _strip_trace(view) -> np.ndarray:
    curves = [i for i in view.box.addedItems if hasattr(i, "getData")]
    strip = next(c for c in view.cells if c.row == 3)
    # The rhythm strip's trace is the curve of many points nearest its baseline.
    traces = [
        c.getData() for c in curves if c.getData()[0] is not None and len(c.getData()[0]) > 1000
    ]
    return min(traces, key=lambda xy: abs(np.median(xy[1]) - strip.y_mm))[1]


def _wander_mm(trace: np.ndarray) -> float:
    """How far the baseline drifts: the spread of the trace's mean over each 0.8 s (one RR
    interval at 75 bpm, 400 samples, so each mean holds exactly one beat)."""
    beats = trace[: trace.size // 400 * 400].reshape(-1, 400)
    return float(np.std(beats.mean(axis=1)))


def test_filters_keys_and_scrolling(view, qtbot):
    wandering = _strip_trace(view)
    chord = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_B, chord)  # a menu shortcut's chord: no filter
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert view.paper.filters == set() and view.paper.speed_mm_s == 25
    qtbot.keyClick(view, Qt.Key.Key_B)  # baseline wander off
    assert view.paper.filters == {"baseline"}
    flat = _strip_trace(view)
    assert _wander_mm(flat) < _wander_mm(wandering) / 5
    qtbot.keyClick(view, Qt.Key.Key_N)
    qtbot.keyClick(view, Qt.Key.Key_B)
    assert view.paper.filters == {"notch50"}
    qtbot.keyClick(view, Qt.Key.Key_S)
    qtbot.keyClick(view, Qt.Key.Key_G)
    qtbot.keyClick(view, Qt.Key.Key_L)
    assert (view.paper.speed_mm_s, view.paper.gain_mm_mv, view.paper.layout) == (50, 20, "3x4")
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.paper.start_s == pytest.approx(0.2)
    assert view.region.getRegion() == pytest.approx((0.2, 5.2))
    view.region.setRegion((12.0, 17.0))  # dragging the overview moves the page
    assert view.paper.start_s == pytest.approx(12.0)
    wheel = QWheelEvent(
        QPointF(300, 200),
        view.page.viewport().mapToGlobal(QPointF(300, 200)),
        QPoint(),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.page.viewport(), wheel)  # two notches down: 0.4 s on
    assert view.paper.start_s == pytest.approx(12.4)
    view.scroll_to(1e9)
    assert view.paper.start_s == pytest.approx(30.0 - view.paper.page_s)
    view.cycle("speed")  # 12.5 mm/s: 20 s on the page, still inside the 30 s record
    assert view.paper.start_s == pytest.approx(10.0)
    assert view.region.getRegion() == pytest.approx((10.0, 30.0))


def test_a_tall_page_scrolls_down_and_stays_at_true_scale(view, qtbot):
    view.paper.set_layout("12x1")
    view.redraw()
    assert [c.lead for c in view.cells][:3] == ["I", "II", "III"]
    top = view.scene_point(0.0, 0.0).y()
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.paper.top_mm == pytest.approx(15.0)
    moved = view.scene_point(0.0, 0.0).y()
    assert (top - moved) / 15.0 == pytest.approx(DPI / 25.4, rel=0.02)
    for _ in range(200):  # never past the last row
        qtbot.keyClick(view, Qt.Key.Key_Down)
    visible = view.box.geometry().height() / view.px_per_mm
    assert view.paper.top_mm == pytest.approx(view.paper.page_height_mm(view.cells) - visible)


def test_dark_paper(qtbot, artifacts):
    view = EcgView(dpi=DPI, dark=True)
    qtbot.addWidget(view)
    view.resize(1024, 560)
    view.set_signal(synthetic_ecg())
    view.show()
    qtbot.waitExposed(view)
    image = view.page.grab().toImage()
    image.save(str(artifacts / "ecg_dark.png"))
    corner = image.pixelColor(image.width() - 3, image.height() - 3)  # right of the page
    assert corner.lightness() < 40
    assert view.paper.layout == "3x4+II" and len(view.cells) == 13
    with pytest.raises(ValueError, match="unknown filter 'hum'"):
        view.set_filter("hum", True)


def test_screenshot_looks_like_a_printout(qtbot, artifacts):
    view = EcgView(EcgPaper(), dpi=DPI)
    qtbot.addWidget(view)
    view.resize(1024, 560)
    view.set_signal(synthetic_ecg(bpm=75, duration_s=10, noise_mv=0.015, wander_mv=0.1))
    view.show()
    qtbot.waitExposed(view)
    out = artifacts / "ecg_3x4_rhythm.png"
    assert view.grab().save(str(out))
    image = QImage(str(out))
    assert image.width() == 1024
    assert not view.overview.isVisible()  # a 10 s record fits one page: no overview


def test_cli_renders_a_waveform(tmp_path, monkeypatch, capsys):
    from medgui.cli.main import main

    record = tmp_path / "ecg.hea"
    record.write_text("stand-in\n")
    seen = []
    # A stand-in reader module: the view reaches the readers only through this lazy import.
    reader = types.ModuleType("medgui.core.signals.read")
    reader.read_signal = lambda path: seen.append(str(path)) or synthetic_ecg()
    monkeypatch.setitem(sys.modules, "medgui.core.signals.read", reader)
    out = tmp_path / "ecg.png"
    assert main(["view", str(record), "--screenshot", str(out), "--ecg-layout", "6x2"]) == 0
    assert seen == [str(record)] and QImage(str(out)).width() == 1024
    assert "wrote" in capsys.readouterr().out


def test_cli_end_to_end_through_the_reader(tmp_path, monkeypatch):
    read = pytest.importorskip("medgui.core.signals.read")
    from medgui.cli.main import main

    monkeypatch.setattr(read, "read_signal", lambda path: synthetic_ecg())
    out = tmp_path / "ecg.png"
    assert main(["view", str(tmp_path / "rec.edf"), "--screenshot", str(out)]) == 0
    assert QImage(str(out)).height() == 768


def test_waveform_paths_are_told_apart(tmp_path):
    import pydicom

    ct = pydicom.__file__.replace("__init__.py", "data/test_files/CT_small.dcm")
    assert waveform_files.is_waveform_path("x.hea") and waveform_files.is_waveform_path("x.EDF")
    assert not waveform_files.is_waveform_path(ct)
    assert not waveform_files.is_waveform_path(tmp_path)
    ecg = pydicom.__file__.replace("__init__.py", "data/test_files/waveform_ecg.dcm")
    assert waveform_files.is_waveform_path(ecg)
