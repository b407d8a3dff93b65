"""Workbenches are built from an `AppContext`, not from the main window: here a plain
`QMainWindow` with a File, View and Help menu stands in for it, and the label, audit, smart
labelling, report and export workbenches work in it."""

import pathlib

import pydicom
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from medgui.core import load_volume
from medgui.core.annotations.store import series_key
from medgui.core.workspace.audit import read_audit
from medgui.core.workspace.layout import audit_path
from medgui.core.workspace.store import Workspace
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.settings import AppSettings
from medgui.ui.labeling.smart_workbench import SmartLabelWorkbench
from medgui.ui.labeling.workbench import LabelWorkbench
from medgui.ui.measure.context import MeasurementContext
from medgui.ui.reporting.export_dialog import ExportWorkbench
from medgui.ui.reporting.report_workbench import ReportWorkbench
from medgui.ui.viewer.view_layout import ViewLayout
from medgui.ui.window.audit_workbench import AuditWorkbench
from medgui.workers.study_jobs import StudyJobs

CT = pathlib.Path(pydicom.__file__).parent / "data/test_files/CT_small.dcm"


@pytest.fixture
def app(qtbot, tmp_path, view_factory):
    shell = QMainWindow()  # not a MainWindow: no labels, training, scan or load of its own
    qtbot.addWidget(shell)
    actions = {}
    for menu_name, key in (("&File", "quit"), ("&View", "reset"), ("&Help", "about")):
        actions[key] = shell.menuBar().addMenu(menu_name).addAction(key)
    view_layout = ViewLayout(view_factory)
    shell.setCentralWidget(view_layout)
    context = AppContext(
        shell,
        settings=AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)),
        jobs=StudyJobs(shell),
        measurements=MeasurementContext(parent=shell),
        view_layout=view_layout,
        menu_actions=actions,
    )
    context.labels = LabelWorkbench(context, workspace=Workspace(tmp_path / "workspace"))
    return context


def test_label_and_audit_workbenches_need_only_the_context(app, qtbot):
    audit = AuditWorkbench(app)
    assert "Audit &log…" in [a.text() for a in app.menu_holding("about").actions()]
    volume = load_volume(CT)
    app.view_layout.set_volume(volume)
    # The label workbench opened a session for the series on show, in the context's workspace.
    session = app.session
    assert session is not None and session.key == series_key(volume)
    assert app.label_context.session is session
    app.jobs.volume_loaded.emit(volume, "CT small", str(CT), 0.1)  # as a finished load says
    audit.flush()
    entries = read_audit(audit_path(app.workspace.root)).entries
    assert [e.action for e in entries] == ["series_opened"]
    assert entries[0].details["series"] == session.key
    # Saving goes to the context's workspace and is recorded there too.
    app.labels.actions.actions["save_labels"].trigger()
    qtbot.waitUntil(lambda: app.workspace.series_dir(session.key).is_dir(), timeout=10_000)
    qtbot.waitUntil(lambda: len(read_audit(audit_path(app.workspace.root)).entries) == 2)


def test_smart_report_and_export_workbenches_need_only_the_context(app, qtbot, monkeypatch):
    warnings = []
    monkeypatch.setattr(app.labels.dialogs, "warn", lambda title, text: warnings.append(title))
    smart = SmartLabelWorkbench(app)
    reports = ReportWorkbench(app)
    exports = ExportWorkbench(app)
    assert not smart.actions["propagate"].isEnabled()  # no series yet
    assert reports.open_dialog() is None and warnings == ["Report"]
    app.view_layout.set_volume(load_volume(CT))
    assert smart.actions["propagate"].isEnabled()
    smart.propagate()  # nothing labelled: refused through the context's warning
    assert warnings == ["Report", "Propagate"] and smart.job is None
    messages = []
    monkeypatch.setattr(app.shell.statusBar(), "showMessage", lambda t, *_: messages.append(t))
    reports.mark_key_image()
    assert len(app.session.annotations.key_images) == 1 and "Key image marked" in messages[-1]
    volume, labelmap, measurements = exports._on_show()
    assert volume is app.view_layout.volume and labelmap is app.session.labelmap
    assert reports._runs(volume) == []  # no training workbench in this application
