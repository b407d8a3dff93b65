"""The Cases dock in the real main window: build the case table of a workspace of labelled,
tagged series in a worker, sort and filter it, train the table model in the background with
its curves, see the scores, ROC, confusion matrix, importance and per-case predictions, and
open a case's series by double-click."""

import pytest
from case_table_testing import make_case_workspace
from label_testing import ScriptedDialogs
from PySide6.QtCore import Qt

PATIENTS = 12


@pytest.fixture
def cases(qtbot, window, tmp_path):
    dialogs = ScriptedDialogs().install(window.labels.dialogs)
    workspace = make_case_workspace(tmp_path, patients=PATIENTS)
    assert window.labels.set_workspace(workspace.root)
    window.cases.dock.show()
    yield window.cases
    assert not dialogs.warnings


def _column(panel, name):
    return panel.model.columns.index(name)


def _cell(panel, row, name):
    return panel.proxy.index(row, _column(panel, name)).data()


def test_build_sort_filter_train_explain_and_open(qtbot, window, cases, wait_idle, artifacts):
    panel = cases.panel
    assert window.menu_actions["cases_dock"].isChecked()
    qtbot.mouseClick(panel.build, Qt.MouseButton.LeftButton)
    assert not panel.build.isEnabled()  # the worker builds it, the GUI stays free
    qtbot.waitUntil(lambda: cases.table is not None and not cases.busy, timeout=60_000)
    assert panel.model.rowCount() == PATIENTS
    assert panel.target.currentText() == "class"
    assert "lesion_volume_mm3" in panel.chosen_features()
    assert "class" not in panel.chosen_features() and "series_key" not in panel.chosen_features()
    assert "weight_kg" not in panel.chosen_features()  # empty in every row: offered unchecked

    volume = _column(panel, "lesion_volume_mm3")
    panel.view.sortByColumn(volume, Qt.SortOrder.AscendingOrder)
    values = [float(_cell(panel, r, "lesion_volume_mm3")) for r in range(PATIENTS)]
    assert values == sorted(values) and values[0] < values[-1]  # numbers sort as numbers
    panel.filter.setText("MALIGNANT")
    assert panel.proxy.rowCount() == PATIENTS // 2
    panel.filter.setText("")

    panel.epochs.setValue(12)
    panel.folds.setValue(3)
    qtbot.mouseClick(panel.train, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cases.result is not None and not cases.busy, timeout=180_000)
    result = cases.result
    assert result.version_id.startswith("table/v")
    assert set(result.comparison) == {"mlp", "logistic_regression", "gradient_boosting"}
    assert "logistic regression: auc" in panel.scores.text()
    assert len(panel._curves) == 4  # three folds and the final fit, drawn as they trained
    assert len(panel.roc_plot.listDataItems()) == 2  # the chance line and the ROC curve
    counts = [int(panel.confusion.item(i, j).text()) for i in range(2) for j in range(2)]
    assert sum(counts) == PATIENTS
    assert {item["feature"] for item in result.importance} >= {"lesion_volume_mm3", "sex"}
    predicted = [_cell(panel, r, "predicted") for r in range(PATIENTS)]
    assert set(predicted) <= {"benign", "malignant"} and all(predicted)
    assert all(_cell(panel, r, "drivers") for r in range(PATIENTS))
    values = [float(_cell(panel, r, "lesion_volume_mm3")) for r in range(PATIENTS)]
    assert values == sorted(values)  # still sorted by volume with the new columns in front

    panel.tabs.setCurrentWidget(panel.importance_plot)
    cases.dock.setFloating(True)
    cases.dock.resize(1100, 900)
    qtbot.wait(50)
    cases.dock.grab().save(str(artifacts / "cases_dock.png"))
    panel.tabs.setCurrentWidget(panel.roc_plot)
    cases.dock.grab().save(str(artifacts / "cases_dock_roc.png"))

    row = 3
    wanted = _cell(panel, row, "series_uid")
    panel.view.doubleClicked.emit(panel.proxy.index(row, 0))
    qtbot.waitUntil(
        lambda: (
            window.volume is not None and window.volume.metadata.get("SeriesInstanceUID") == wanted
        ),
        timeout=30_000,
    )
    wait_idle(window)


def test_bad_choice_is_told_and_training_can_be_cancelled(qtbot, window, tmp_path):
    dialogs = ScriptedDialogs().install(window.labels.dialogs)
    assert window.labels.set_workspace(make_case_workspace(tmp_path, patients=6).root)
    cases, panel = window.cases, window.cases.panel
    cases.build("patient")
    qtbot.waitUntil(lambda: cases.table is not None and not cases.busy, timeout=60_000)
    assert sorted(row["id"] for row in cases.table.rows) == [f"P{i:02d}" for i in range(6)]
    for i in range(panel.features.count()):
        panel.features.item(i).setCheckState(Qt.CheckState.Unchecked)
    panel.train.click()
    qtbot.waitUntil(lambda: not cases.busy, timeout=60_000)
    assert dialogs.warnings and "no feature columns" in dialogs.warnings[-1][1]
    assert cases.result is None and panel.train.isEnabled()

    panel._fill_features("class")
    panel.epochs.setValue(5000)
    panel.folds.setValue(2)
    panel.train.click()
    qtbot.waitUntil(lambda: len(panel._curves) > 0 and panel._curves[0].getData()[0] is not None,
                    timeout=60_000)  # fmt: skip
    panel.cancel.click()
    qtbot.waitUntil(lambda: not cases.busy, timeout=30_000)  # within a batch, not 5000 epochs
    assert cases.result is None and panel.build.isEnabled()
