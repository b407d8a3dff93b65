"""The report model in the real main window: the Reports dock says how to train one; "Start"
in the Training dock with the task "Report text" trains on the imported reports and registers
the model; the dock then shows each label's probability for the report on show and highlights
the words that drove the label picked; a screenshot to look at."""

from __future__ import annotations

import pytest
from label_testing import ScriptedDialogs, open_labelled
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from report_corpus_testing import toy_reports

from medgui.ui.common.theme import apply_dark_theme
from medgui.ui.text.highlight import WEIGHT_FLOOR, weight_fill
from medgui.ui.text.model_box import CALLED

TINY = '{"vocab_size": 300, "max_tokens": 64, "embed": 16, "width": 16}'


@pytest.fixture
def dark_theme(qapp):
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_train_from_the_training_dock_then_see_probabilities_and_words(
    qtbot, dark_theme, window, demo_study, wait_idle, tmp_path, artifacts
):
    root = tmp_path / "workspace"
    assert window.labels.set_workspace(root)
    bench = window.report_text
    with qtbot.waitSignal(bench.study_shown, timeout=20_000):
        open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, ScriptedDialogs())
    folder = tmp_path / "reports"
    folder.mkdir()
    for report in toy_reports(60, seed=3):
        (folder / f"{report.id}.txt").write_text(report.text, encoding="utf-8")
    with qtbot.waitSignal(bench.scored, timeout=30_000) as scored:
        bench.import_files(sorted(folder.glob("*.txt")))
    panel = bench.panel
    assert scored.args == [None] and "Report text" in panel.model.info.text()
    assert not panel.model.table.isVisibleTo(panel)

    # Train from the Training dock: task "Report text", a tiny network, two epochs.
    training = window.training
    tpanel = training.panel
    tpanel.task.setCurrentIndex(tpanel.task.findData("report"))
    tpanel.model.setCurrentIndex(tpanel.model.findText("cnn"))
    tpanel.epochs.setValue(2)
    tpanel.batch_size.setValue(16)
    tpanel.learning_rate.setValue(1e-2)
    tpanel.options.setText(TINY)
    with qtbot.waitSignal(bench.scored, timeout=180_000) as scored:
        qtbot.mouseClick(tpanel.start_button, Qt.MouseButton.LeftButton)
    scores = scored.args[0]
    assert scores is not None and scores.version_id == "report/v1"
    assert {"Pneumothorax", "Pleural Effusion", "Fracture"} <= set(scores.labels)
    table = panel.model.table
    assert table.isVisibleTo(panel) and table.rowCount() == len(scores.labels)
    for row, (p, t) in enumerate(zip(scores.probabilities, scores.thresholds, strict=True)):
        assert table.item(row, 1).text() == f"{p:.2f}"
        assert (table.item(row, 2).text() == CALLED) == (p >= t)

    # Pick another label (one the report on show mentions, where there is one): its words
    # are highlighted in the text.
    text = panel.current_text().lower()
    others = [n for n in scores.labels if n != scores.label]
    label = next((n for n in others if n.split()[-1].lower() in text), others[0])
    with qtbot.waitSignal(bench.scored, timeout=30_000) as scored:
        table.selectRow(scores.labels.index(label))
    chosen = scored.args[0]
    assert chosen.label == label and panel.model.chosen_label() == label
    strong = [s for s in chosen.spans if abs(s[2]) >= WEIGHT_FLOOR]
    assert strong
    html = panel.text.toHtml()
    shown = panel.current_text()
    for start, end, weight in strong:  # each strong word carries its fill
        assert f'background-color:{weight_fill(weight)};">{shown[start:end]}</span>' in html
    assert f"towards {label}" in panel.legend.text()
    # Readable: white words on every fill; the two sides differ in hue.
    assert QColor(weight_fill(1.0)).hue() != QColor(weight_fill(-1.0)).hue()
    # Another report of the study: scored again, the picked label kept.
    with qtbot.waitSignal(bench.scored, timeout=30_000) as scored:
        panel.report_choice.setCurrentIndex(1)
    assert scored.args[0].label == label and panel.scores is scored.args[0]
    # Back to the findings by status.
    panel.model.words.setChecked(False)
    assert "#8e2a2a" in panel.text.toHtml() or "#1f6a3c" in panel.text.toHtml()
    panel.model.words.setChecked(True)

    bench.dock.show()
    bench.dock.raise_()
    window.resize(1500, 1000)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.width() > 200)
    window.grab().save(str(artifacts / "report_model_dock.png"))
