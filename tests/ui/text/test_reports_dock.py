"""The Reports dock in the real main window: a report imported for the demo study shows with
its findings highlighted, "Accept as tag" tags the series (and yields to a hand tag), search
finds it by finding/status and by words; a screenshot to look at."""

from __future__ import annotations

import pytest
from label_testing import ScriptedDialogs, open_labelled
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.workspace.reports import ReportStore
from medgui.ui.common.theme import BASE, apply_dark_theme
from medgui.ui.text.highlight import STATUS_COLOURS

REPORT = (
    "CT CHEST.\n"
    "FINDINGS: Small left pleural effusion with adjacent atelectasis. No pneumothorax. "
    "Possible right lower lobe pneumonia. Heart size is normal.\n"
    "IMPRESSION: Left effusion. Pneumonia cannot be excluded."
)


@pytest.fixture
def dark_theme(qapp):
    """The app's dark theme, as `medgui` starts with it; the test app's look restored after."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


def _luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_status_colours_are_readable_and_stand_out_on_the_dark_base():
    fills = []
    for fill, ink in STATUS_COLOURS.values():
        assert _contrast(QColor(fill), QColor(ink)) >= 4.5  # WCAG AA for the words
        assert _contrast(QColor(fill), BASE) >= 1.5  # the fill shows against the dark page
        fills.append(QColor(fill).hue())
    assert min(abs(a - b) for i, a in enumerate(fills) for b in fills[i + 1 :]) >= 30


def _rows(table) -> dict[str, str]:
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def test_import_show_tag_and_search(
    qtbot, dark_theme, window, demo_study, wait_idle, tmp_path, artifacts
):
    root = tmp_path / "workspace"
    assert window.labels.set_workspace(root)
    bench = window.report_text
    with qtbot.waitSignal(bench.study_shown, timeout=20_000):
        lab = open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, ScriptedDialogs())
    panel = bench.panel
    assert panel.table.rowCount() == 0 and "No report" in panel.text.toPlainText()
    assert window.menu_actions["import_reports"].text() == "Import &reports…"

    source = tmp_path / "ct_report.txt"
    source.write_text(REPORT, encoding="utf-8")
    with qtbot.waitSignals([bench.imported, bench.study_shown], timeout=20_000):
        bench.import_files([source])
    (stored,) = ReportStore(root).reports()
    assert stored.study == bench.study and not stored.study.is_empty()  # linked to the study
    assert _rows(panel.table) == {
        "Cardiomegaly": "negative",
        "Pneumonia": "uncertain",
        "Atelectasis": "positive",
        "Pneumothorax": "negative",
        "Pleural Effusion": "positive",
    }
    html = panel.text.toHtml()
    assert "#8e2a2a" in html and "#1f6a3c" in html and "#7d6200" in html  # all three statuses

    # Accept the effusion as the series' tag: from the report, with its sentence.
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "Pleural Effusion")  # fmt: skip
    panel.table.selectRow(row)
    with qtbot.waitSignal(bench.tagged) as tagged:
        qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert tagged.args == [True]
    tags = lab.session.annotations.tags
    assert tags.series_tag == "Pleural Effusion"
    assert (
        tags.origins[None]["sentence"] == "Small left pleural effusion with adjacent atelectasis."
    )
    assert tags.origins[None]["reports"] == stored.report_id
    shown = window.labels.tags_panel.series_origin  # reviewed where the tags are
    assert "from the report (positive)" in shown.text() and "Small left pleural" in shown.text()
    # The user overrides: the hand tag wins and stays when the report tag is asked for again.
    lab.session.tag(None, "No Pleural Effusion")
    with qtbot.waitSignal(bench.tagged) as tagged:
        qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert tagged.args == [False] and "set by hand" in panel.message.text()
    assert lab.session.annotations.tags.series_tag == "No Pleural Effusion"
    assert shown.text() == ""  # the user's own tag
    saved = SeriesAnnotations.from_json(lab.session.annotations.to_json()).tags
    assert None in saved.overridden

    # An uncertain finding gives no tag unless the user says how to count it.
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "Pneumonia")  # fmt: skip
    panel.table.selectRow(row)
    assert not bench.accept("Pneumonia", "ignore")

    # Tag all series: the open one is the session's (its hand tag stays); none else is saved.
    with qtbot.waitSignal(bench.tagged_all, timeout=20_000) as done:
        bench.tag_all("Pleural Effusion")
    assert done.args[0].tagged == {} and lab.session.key not in done.args[0].untagged
    assert lab.session.annotations.tags.series_tag == "No Pleural Effusion"

    # Search by finding and status, then by words.
    panel.search.setText("pleural effusion, positive")
    with qtbot.waitSignal(bench.searched, timeout=10_000):
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.hits.count() == 1 and "[positive]" in panel.hits.item(0).text()
    with qtbot.waitSignal(bench.searched, timeout=10_000):
        bench.search("no such words")
    assert panel.hits.item(0).text() == "No report matches"
    with qtbot.waitSignal(bench.searched, timeout=10_000):
        bench.search("lower lobe")
    assert "Possible right lower lobe pneumonia." in panel.hits.item(0).text()

    bench.dock.show()
    bench.dock.raise_()
    window.resize(1500, 950)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.width() > 200)
    window.grab().save(str(artifacts / "reports_dock.png"))
