"""File → Export… on the real main window with the demo study: SEG, SR and a de-identified copy
in one run, with progress, the summary (verification, burned-in flags) and the audit log."""

from __future__ import annotations

import highdicom as hd
import pydicom
from label_testing import open_demo_labelled
from PySide6.QtCore import Qt

from medgui.core.annotations.measurements import Ruler
from medgui.core.image.reformat import Plane
from medgui.core.workspace.audit import read_audit
from medgui.workers.export_worker import DEID_FOLDER, SEG_NAME, SR_NAME

_LEFT = Qt.MouseButton.LeftButton


def _open_demo(qtbot, window, demo_study, wait_idle, tmp_path):
    lab = open_demo_labelled(qtbot, window, demo_study, wait_idle, tmp_path / "workspace")
    ruler = Ruler(plane=Plane.AXIAL, slice_index=40, spacing_mm=(1.0, 1.0), p0=(60, 60),
                  p1=(60, 140), label="trunk width")  # fmt: skip
    window.measurements.store.add(lab.session.key, ruler)
    return lab


def test_export_seg_sr_and_deidentified_copy(qtbot, window, demo_study, wait_idle, tmp_path,
                                             artifacts):  # fmt: skip
    _open_demo(qtbot, window, demo_study, wait_idle, tmp_path)
    window.menu_actions["export"].trigger()
    dialog = window.exports.dialog
    assert dialog.isVisible() and dialog.seg_box.isEnabled() and dialog.sr_box.isEnabled()
    out = tmp_path / "export"
    dialog.folder_edit.setText(str(out))
    for box in (dialog.seg_box, dialog.sr_box, dialog.deid_box, dialog.dates_box):
        box.setChecked(True)
    dialog.mapping_edit.setText(str(tmp_path / "mapping.csv"))
    qtbot.mouseClick(dialog.export_button, _LEFT)
    assert window.exports.running and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not window.exports.running, timeout=120_000)
    text = dialog.summary.toPlainText()
    assert text.startswith("Export done."), text
    assert "verification: no original patient name" in text
    dialog.grab().save(str(artifacts / "export_dialog.png"))
    result = window.exports.result
    assert result.written == [out / SEG_NAME, out / SR_NAME]
    sr = hd.sr.srread(out / SR_NAME)
    (planar,) = sr.content.get_planar_roi_measurement_groups()
    assert planar.tracking_identifier == "trunk width"
    assert len(sr.content.get_volumetric_roi_measurement_groups()) >= 2
    # The copy holds the 80 slices, the SEG and the SR, references mapped together.
    copies = sorted((out / DEID_FOLDER).rglob("*.dcm"))
    assert len(copies) == 82 and (tmp_path / "mapping.csv").exists()
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in copies]
    instances = {ds.SOPInstanceUID for ds in headers}
    (seg,) = [ds for ds in headers if ds.Modality == "SEG"]
    referenced = {
        item.ReferencedSOPInstanceUID
        for series in seg.ReferencedSeriesSequence
        for item in series.ReferencedInstanceSequence
    }
    assert referenced <= instances and all(ds.PatientName != "Demo^Phantom" for ds in headers)
    actions = [e.action for e in read_audit(tmp_path / "workspace" / "audit.jsonl").entries]
    assert actions[-3:] == ["seg_exported", "sr_exported", "deid_exported"]


def test_cancel_stops_and_a_bad_folder_is_explained(qtbot, window, demo_study, wait_idle,
                                                    tmp_path):  # fmt: skip
    _open_demo(qtbot, window, demo_study, wait_idle, tmp_path)
    window.menu_actions["export"].trigger()
    dialog, bench = window.exports.dialog, window.exports
    qtbot.mouseClick(dialog.export_button, _LEFT)
    assert "Cannot export: choose the output folder" in dialog.summary.toPlainText()
    out = tmp_path / "export"
    dialog.folder_edit.setText(str(out))
    dialog.deid_box.setChecked(True)
    qtbot.mouseClick(dialog.export_button, _LEFT)
    # Cancel once the copy is under way (80 slices take far longer than one progress step).
    qtbot.waitUntil(lambda: dialog.bar.maximum() > 0 and dialog.bar.value() > 0, timeout=60_000)
    qtbot.mouseClick(dialog.cancel_button, _LEFT)
    qtbot.waitUntil(lambda: not bench.running, timeout=60_000)
    assert dialog.summary.toPlainText() == "Export cancelled."
    assert list((out / DEID_FOLDER).rglob("*.dcm")) == []  # no partial copy is left
    assert list(out.iterdir()) == []  # nor its hidden temporary folder
    assert dialog.export_button.isEnabled() and not dialog.cancel_button.isEnabled()
    actions = [e.action for e in read_audit(tmp_path / "workspace" / "audit.jsonl").entries]
    assert "deid_exported" not in actions and "export_failed" not in actions  # a cancel


def test_a_failed_verification_is_shown_loudly(qtbot, window, demo_study, wait_idle, tmp_path,
                                               monkeypatch):  # fmt: skip
    from medgui.core.deid import profile as deid_profile

    monkeypatch.delitem(deid_profile.RULES, "AccessionNumber")  # a rule gone missing
    _open_demo(qtbot, window, demo_study, wait_idle, tmp_path)
    window.menu_actions["export"].trigger()
    dialog = window.exports.dialog
    dialog.folder_edit.setText(str(tmp_path / "export"))
    dialog.deid_box.setChecked(True)
    qtbot.mouseClick(dialog.export_button, _LEFT)
    qtbot.waitUntil(lambda: not window.exports.running, timeout=120_000)
    text = dialog.summary.toPlainText()
    assert text.startswith("Export FAILED: de-identification verification failed"), text
    assert "AccessionNumber holds the original accession number" in text
    assert list((tmp_path / "export" / DEID_FOLDER).rglob("*.dcm")) == []


def test_a_failed_sr_leaves_no_seg(qtbot, window, demo_study, wait_idle, tmp_path, monkeypatch):
    """The SR writer fails after the SEG is written: the dialog says so, the folder holds
    neither file, and the audit log has the failure and no export."""
    from medgui.core.workspace import export as dicom_export

    def fail(*_args, **_kwargs):
        raise ValueError("highdicom refused the SR")

    monkeypatch.setattr(dicom_export, "export_sr", fail)
    _open_demo(qtbot, window, demo_study, wait_idle, tmp_path)
    window.menu_actions["export"].trigger()
    dialog = window.exports.dialog
    out = tmp_path / "export"
    dialog.folder_edit.setText(str(out))
    for box in (dialog.seg_box, dialog.sr_box):
        box.setChecked(True)
    qtbot.mouseClick(dialog.export_button, _LEFT)
    qtbot.waitUntil(lambda: not window.exports.running, timeout=120_000)
    text = dialog.summary.toPlainText()
    assert text.startswith("Export FAILED") and "highdicom refused the SR" in text, text
    assert list(out.iterdir()) == []  # no labels_seg.dcm, no temporary
    actions = [e.action for e in read_audit(tmp_path / "workspace" / "audit.jsonl").entries]
    assert actions[-1] == "export_failed" and "seg_exported" not in actions
