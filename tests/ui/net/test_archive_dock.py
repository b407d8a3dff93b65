"""The Archive dock in the real main window, against a real Orthanc: configure a node, verify,
query, retrieve into the series browser (the first series opening while the rest arrive),
cancel, send."""

from __future__ import annotations

import json

import pydicom
import pytest
from dicom_testing import PYDICOM_DATA, PYDICOM_FILES
from label_testing import open_demo_labelled
from orthanc_testing import ANGIO_SERIES, BRAIN_MRA, MR_FILES, free_port

from medgui.core.annotations.measurements import Ruler
from medgui.core.image.reformat import Plane
from medgui.core.net.dimse import DimseClient
from medgui.core.net.nodes import load_settings, parse_address


@pytest.fixture
def archive(window, orthanc, tmp_path):
    """The window's archive workbench, with the test's Orthanc saved as node "test"."""
    wb = window.archive
    wb.store = tmp_path / "store"
    form = wb.panel.nodes
    form.name.setText("test")
    form.address.setText(orthanc.dimse_address)
    form.port.setValue(orthanc.move_port)
    form.save_button.click()
    return wb


def _wait_idle(qtbot, wb, timeout=30_000):
    qtbot.waitUntil(lambda: not wb.busy, timeout=timeout)


def test_the_archive_dock_is_in_the_file_menu(window):
    action = window.menu_actions["archive"]
    assert window.app_context.menu_holding("quit") is window.app_context.menu_holding("archive")
    action.trigger()
    assert window.archive.dock.isVisible()


def test_a_node_is_saved_and_verified(archive, qtbot):
    assert load_settings().node("test").ae_title == "ORTHANC"
    archive.panel.nodes.verify_button.click()
    _wait_idle(qtbot, archive)
    assert "answered in" in archive.panel.log.toPlainText()


def test_query_retrieve_and_the_series_shows_in_the_browser(window, archive, qtbot, artifacts):
    window.archive.show()
    panel = archive.panel
    assert panel.tabs.currentIndex() == 0  # the query tab, once a node is saved
    panel.fields["patient_name"].setText("Doe*")
    panel.fields["accession"].setText("2")
    panel.search_button.click()
    _wait_idle(qtbot, archive)
    assert panel.results.topLevelItemCount() == 1
    study = panel.results.topLevelItem(0)
    assert (study.text(0), study.text(5)) == ("Doe^Peter", "Brain-MRA")
    assert study.childCount() == 3  # the series under the study
    panel.results.setCurrentItem(study)
    opened = []
    window.jobs.volume_loaded.connect(lambda *args: opened.append(args[0]))
    panel.retrieve_button.click()
    _wait_idle(qtbot, archive)
    assert "11 of 11 instance(s) retrieved" in panel.log.toPlainText()
    # The first complete series opened by itself, then the whole study is in the browser.
    qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    qtbot.waitUntil(
        lambda: (
            window.scan is not None
            and {s.study_uid for s in window.scan.series} == {BRAIN_MRA}
            and any(s.uid.startswith(ANGIO_SERIES) for s in window.scan.series)
        ),
        timeout=20_000,
    )
    assert str(opened[0].metadata.get("StudyInstanceUID")) == BRAIN_MRA
    assert window.browser.series_items()
    angio = next(s for s in window.scan.image_series if s.uid.startswith(ANGIO_SERIES))
    window.load(angio)
    qtbot.waitUntil(lambda: window.volume is not None and not window.busy, timeout=20_000)
    qtbot.waitUntil(lambda: "ANGIO" in window.windowTitle(), timeout=20_000)
    study.setExpanded(True)
    window.grab().save(str(artifacts / "archive_retrieved.png"))


def test_cancel_says_what_is_missing(window, archive, qtbot):
    panel = archive.panel
    panel.search_button.click()
    _wait_idle(qtbot, archive)
    mra = next(
        panel.results.topLevelItem(i)
        for i in range(panel.results.topLevelItemCount())
        if panel.results.topLevelItem(i).text(5) == "Brain-MRA"
    )
    panel.results.setCurrentItem(mra)
    panel.retrieve_button.click()
    panel.cancel_button.click()
    _wait_idle(qtbot, archive)
    log = panel.log.toPlainText()
    assert "cancelled" in log and "missing" in log
    assert "Retrieve incomplete" in window.statusBar().currentMessage()


def test_send_files_reports_each(archive, orthanc, qtbot):
    seg = PYDICOM_DATA / "liver.dcm"
    archive.choose_files = lambda parent: [str(seg)]
    archive.panel.send_files_button.click()
    _wait_idle(qtbot, archive)
    assert "sent 1 of 1 file(s)" in archive.panel.log.toPlainText()
    assert orthanc.find_instance(str(pydicom.dcmread(seg).SOPInstanceUID))


def test_send_the_study_on_show_as_a_de_identified_copy(window, archive, orthanc, qtbot, tmp_path):
    source = tmp_path / "mr" / "MR_small.dcm"
    source.parent.mkdir()
    source.write_bytes((PYDICOM_FILES / "MR_small.dcm").read_bytes())
    window.open_path(source.parent)
    qtbot.waitUntil(lambda: window.volume is not None and not window.busy, timeout=20_000)
    name = str(pydicom.dcmread(source).PatientName)
    query = json.dumps({"Level": "Instance", "Query": {"PatientName": name}}).encode()
    before = len(orthanc.rest("/tools/find", query))
    total = orthanc.rest("/statistics")["CountInstances"]
    assert not archive.panel.deidentify.isChecked()  # off by default (see the workbench)
    archive.panel.deidentify.setChecked(True)
    archive.panel.send_study_button.click()
    _wait_idle(qtbot, archive)
    assert "sent 1 of 1 file(s)" in archive.panel.log.toPlainText()
    assert orthanc.rest("/statistics")["CountInstances"] == total + 1
    assert len(orthanc.rest("/tools/find", query)) == before  # the name did not go


def test_errors_name_the_node_and_the_reason(archive, qtbot, orthanc):
    form = archive.panel.nodes
    form.address.setText(f"dicom://WRONG@127.0.0.1:{orthanc.dicom_port}")
    form.verify_button.click()
    _wait_idle(qtbot, archive)
    assert "rejected" in archive.panel.log.toPlainText()
    form.address.setText("not an address")
    form.verify_button.click()
    assert "is not a node" in archive.panel.log.toPlainText()
    form.address.setText("dicom://A_TITLE_MUCH_TOO_LONG@host:104")
    form.save_button.click()
    assert "Not saved: " in archive.panel.log.toPlainText()
    assert [n.name for n in load_settings().nodes] == ["test"]
    archive.panel.fields["dates"].setText("2003")
    archive.panel.search_button.click()
    assert "YYYYMMDD" in archive.panel.log.toPlainText()


def test_the_listener_is_off_by_default_and_shows_what_arrives(window, qtbot, tmp_path):
    wb = window.archive
    wb.store = tmp_path / "store"
    form = wb.panel.nodes
    assert not form.listen.isChecked() and wb.listener.port == 0
    port = free_port()
    form.port.setValue(port)
    form.listen.setChecked(True)
    assert wb.listener.port == port
    mra = [p for p in MR_FILES if p.parent.name == "MR700"]  # the ANGIO series, 7 files
    node = parse_address(f"dicom://MEDGUI@127.0.0.1:{port}")
    assert DimseClient(node, "MODALITY").send(mra).sent == 7
    qtbot.waitUntil(
        lambda: (
            window.scan is not None and sum(s.number_of_images for s in window.scan.series) == 7
        ),
        timeout=20_000,
    )
    assert {s.study_uid for s in window.scan.series} == {BRAIN_MRA}
    form.listen.setChecked(False)
    assert wb.listener.port == 0


def test_label_export_and_send_the_seg_and_sr_back(
    qtbot, window, archive, orthanc, demo_study, wait_idle, tmp_path
):
    """The end of the reading: labels and a measurement exported as SEG and SR (File →
    Export…), sent back with one click, and found in the archive."""
    lab = open_demo_labelled(qtbot, window, demo_study, wait_idle, tmp_path / "workspace")
    ruler = Ruler(plane=Plane.AXIAL, slice_index=40, spacing_mm=(1.0, 1.0), p0=(60, 60),
                  p1=(60, 140), label="trunk width")  # fmt: skip
    window.measurements.store.add(lab.session.key, ruler)
    assert not archive.panel.send_export_button.isEnabled()
    window.menu_actions["export"].trigger()
    dialog = window.exports.dialog
    dialog.folder_edit.setText(str(tmp_path / "export"))
    dialog.seg_box.setChecked(True)
    dialog.sr_box.setChecked(True)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not window.exports.running, timeout=120_000)
    assert archive.panel.send_export_button.isEnabled()
    archive.panel.send_export_button.click()
    _wait_idle(qtbot, archive)
    assert "sent 2 of 2 file(s)" in archive.panel.log.toPlainText()
    for path in window.exports.result.written:
        assert orthanc.find_instance(str(pydicom.dcmread(path).SOPInstanceUID))
