"""The audit log in the window: opening a series, an explicit save and an export are recorded
in the workspace's log (autosaves are not), and Help → Audit log… shows them, filtered, with
the lines it could not read."""

from __future__ import annotations

from label_testing import ScriptedDialogs, open_labelled

from medgui.core.workspace.audit import read_audit


def _logged(window, root) -> list[str]:
    """The actions in the workspace's log once the window's pending appends are written."""
    window.audit.flush()
    return [entry.action for entry in read_audit(root / "audit.jsonl").entries]


def test_open_save_export_then_view(qtbot, window, demo_study, wait_idle, tmp_path, artifacts):
    root = tmp_path / "workspace"
    assert window.labels.set_workspace(root)
    dialogs = ScriptedDialogs()
    lab = open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, dialogs)
    audit = window.audit
    qtbot.waitUntil(lambda: _logged(window, root) == ["series_opened"], timeout=10_000)

    # An autosave is not recorded; the explicit save is.
    saved = []
    window.labels.autosave.saved.connect(lambda key, explicit, _f: saved.append(explicit))
    window.labels.autosave.mark_dirty()
    window.labels.autosave._start(lab.session, explicit=False, policy=None)
    qtbot.waitUntil(lambda: saved == [False], timeout=10_000)
    window.labels.actions.actions["save_labels"].trigger()
    qtbot.waitUntil(lambda: saved == [False, True], timeout=10_000)
    exported = tmp_path / "labels.nii.gz"
    window.labels.files.export_labels(exported)
    qtbot.waitUntil(lambda: not window.labels.files.busy, timeout=20_000)
    assert exported.is_file() and not dialogs.warnings
    audit.flush()
    entries = read_audit(root / "audit.jsonl").entries
    assert [e.action for e in entries] == ["series_opened", "labels_saved", "labels_exported"]
    key = lab.session.key
    assert {e.details["series"] for e in entries} == {key}
    assert entries[0].details["path"] and entries[2].details["path"] == str(exported)

    # A line cut short by a crash is shown as a problem; the rest is still listed.
    with open(root / "audit.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"format": "medgui-audit", "act')
    window.menu_actions["audit_log"].trigger()
    viewer = audit.viewer
    qtbot.waitUntil(lambda: not viewer.loading and viewer.table.rowCount() == 3, timeout=10_000)
    assert viewer.isVisible()
    rows = viewer.shown_rows()
    assert [action for _t, action, _d in rows] == [
        "labels_exported",
        "labels_saved",
        "series_opened",
    ]  # newest first
    assert all(key in details for _t, _a, details in rows)
    assert "line 4" in viewer.problems.text()
    viewer.grab().save(str(artifacts / "audit_log.png"))

    viewer.filter.setText("saved")
    assert [action for _t, action, _d in viewer.shown_rows()] == ["labels_saved"]
    viewer.filter.setText(f"{key} OPENED")  # every word, any case
    assert [action for _t, action, _d in viewer.shown_rows()] == ["series_opened"]
    viewer.filter.setText("no such words")
    assert viewer.shown_rows() == []
