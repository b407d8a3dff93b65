"""The report in the window: Ctrl+K marks the slice on show as a key image (saved with the
series), File → Report… shows the findings editors and a live preview, Save writes the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from label_testing import CTRL, K, ScriptedDialogs, open_demo_labelled
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from medgui.core.annotations.measurements import Ruler
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.store import Workspace
from medgui.ui.common.theme import apply_dark_theme

_LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def demo(qtbot, window, demo_study, wait_idle, tmp_path):
    """The demo CT open in a workspace under tmp_path, its labels imported."""
    return open_demo_labelled(qtbot, window, demo_study, wait_idle, tmp_path / "workspace")


def test_mark_key_image_write_findings_preview_and_save(qtbot, window, demo, tmp_path, artifacts):
    state, session = demo.state, demo.session
    state.set_window(60, 350)
    tool = window.labels.tools.tool
    qtbot.keyClick(demo.view, K.Key_K, CTRL)  # the shortcut, where the keyboard focus is
    (key,) = session.annotations.key_images
    assert window.labels.tools.tool == tool  # K alone is the box tool; Ctrl+K is not
    assert (key.plane, key.slice_index) == (state.active_plane, state.slice_index(key.plane))
    assert (key.center, key.width) == (60, 350)
    spacing = (1.0, 1.0)
    ruler = Ruler(
        plane=key.plane,
        slice_index=key.slice_index,
        spacing_mm=spacing,
        p0=(100, 100),
        p1=(100, 150),
        label="planted",
    )
    window.measurements.store.add(session.key, ruler)

    dialog = window.reports.open_dialog()
    assert dialog.isVisible() and dialog.key_images.count() == 1
    qtbot.keyClicks(dialog.findings, "Hypodense lesion in segment VII.")
    qtbot.keyClicks(dialog.impression, "Follow-up <3 months>.")
    assert session.annotations.report_draft.findings == "Hypodense lesion in segment VII."
    qtbot.waitUntil(lambda: "segment VII" in dialog.preview.toPlainText(), timeout=30_000)
    qtbot.waitUntil(lambda: window.reports.job is None, timeout=30_000)
    preview = dialog.preview.toPlainText()
    assert "50.0 mm" in preview and "For research use only" in preview
    assert "Follow-up <3 months>." in preview  # escaped in the HTML, shown as typed
    assert "figure0.png" in dialog.preview.toHtml()  # the key image is in the document
    dialog.grab().save(str(artifacts / "report_dialog.png"))

    out = tmp_path / "report.pdf"
    dialog.ask_path = lambda: str(out)
    with qtbot.waitSignal(window.reports.saved, timeout=60_000) as saved:
        qtbot.mouseClick(dialog.save_button, _LEFT)
    assert saved.args == [str(out)] and out.stat().st_size > 0
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Hypodense lesion in segment VII." in text
        assert re.search(r"planted\s+ruler\s+axial", text) and "50.0 mm" in text
    entry = AuditLog(window.labels.workspace.root).read().entries[-1]
    assert entry.action == "report_written" and entry.details["series"] == session.key

    # The key image and the draft are saved with the series' work.
    window.labels.autosave.save()
    qtbot.waitUntil(lambda: not window.labels.autosave.saving, timeout=20_000)
    work = Workspace(window.labels.workspace.root).load_series(session.key)
    notes = SeriesAnnotations.from_json(work.annotations)
    assert notes.key_images == [key]
    assert notes.report_draft.impression == "Follow-up <3 months>."


def test_key_images_show_remove_undo_and_html(qtbot, window, demo, tmp_path):
    window.menu_actions["mark_key_image"].trigger()
    (key,) = demo.session.annotations.key_images
    demo.state.set_slice(key.plane, key.slice_index + 7)
    demo.state.set_window(400, 1800)
    dialog = window.reports.open_dialog()
    row = dialog.key_images.visualItemRect(dialog.key_images.item(0)).center()
    qtbot.mouseClick(dialog.key_images.viewport(), _LEFT, pos=row)  # a double-click's press
    qtbot.mouseDClick(dialog.key_images.viewport(), _LEFT, pos=row)
    assert demo.state.slice_index(key.plane) == key.slice_index
    assert (demo.state.window.center, demo.state.window.width) == (key.center, key.width)
    dialog.key_images.item(0).setSelected(True)
    qtbot.mouseClick(dialog.remove_button, _LEFT)
    assert demo.session.annotations.key_images == [] and dialog.key_images.count() == 0
    window.menu_actions["label_undo"].trigger()
    assert len(demo.session.annotations.key_images) == 1 and dialog.key_images.count() == 1
    qtbot.waitUntil(lambda: window.reports.job is None, timeout=30_000)

    dialog.format.setCurrentText("HTML")
    out = tmp_path / "report.html"
    dialog.ask_path = lambda: str(out)
    with qtbot.waitSignal(window.reports.saved, timeout=60_000):
        qtbot.mouseClick(dialog.save_button, _LEFT)
    html = out.read_text(encoding="utf-8")
    assert dialog.suffix() == ".html" and html.count('src="data:image/png;base64,') == 1


def test_report_needs_an_open_series(window):
    dialogs = ScriptedDialogs().install(window.labels.dialogs)
    assert window.reports.open_dialog() is None
    assert dialogs.warnings and "Open a series" in dialogs.warnings[0][1]


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (..., 3) in 0..255."""
    c = rgb / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


@pytest.fixture
def dark_theme(qapp):
    """The app's dark theme, as `medgui` starts with it; the test app's look restored after."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_the_preview_is_readable_in_the_dark_theme(qtbot, dark_theme, window, demo, artifacts):
    """The preview's report text against its page has at least WCAG AAA contrast (7:1) in the
    dark theme (its near-black text used to sit on the theme's near-black base)."""
    dialog = window.reports.open_dialog()
    qtbot.keyClicks(dialog.findings, "Hypodense lesion in segment VII.")
    qtbot.waitUntil(lambda: "segment VII" in dialog.preview.toPlainText(), timeout=30_000)
    qtbot.waitUntil(lambda: window.reports.job is None, timeout=30_000)
    dialog.grab().save(str(artifacts / "report_dialog_dark.png"))
    image = dialog.preview.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)
    top = pixels[:200].reshape(-1, 3).astype(float)  # title, notice and header: text only
    colours, counts = np.unique(top, axis=0, return_counts=True)
    page = _luminance(colours[np.argmax(counts)])
    lum = _luminance(top)
    contrast = (np.maximum(lum, page) + 0.05) / (np.minimum(lum, page) + 0.05)
    assert contrast.max() >= 7.0, f"text against page: {contrast.max():.2f}:1"
    assert (contrast >= 4.5).mean() > 0.01  # enough of the band is readable text
