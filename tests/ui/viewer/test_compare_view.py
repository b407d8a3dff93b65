"""Comparison in the real main window: the current study beside the prior of the same patient
(found by patient ID and an earlier date), scrolled together by position in patient coordinates
with an offset the user sets, sharing window/level and zoom; or beside another series."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from PySide6.QtCore import Qt

from medgui.core import Volume
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.reformat import Plane

K = Qt.Key


def _ct(n_slices: int, spacing_z: float, origin_z: float, seed: int) -> Volume:
    """A trunk-like CT whose slices grow brighter with z (so a slice's grey says where it is)."""
    z, y, x = np.mgrid[:n_slices, :48, :48]
    body = ((y - 24) / 18) ** 2 + ((x - 24) / 20) ** 2 < 1
    height = origin_z + spacing_z * z
    array = np.where(body, 40 + 2 * height, -1000).astype(np.int16)
    array += np.random.default_rng(seed).integers(-4, 4, array.shape, dtype=np.int16)
    return Volume(array, spacing_mm=(1.0, 1.0, spacing_z), origin=(-24.0, -24.0, origin_z),
                  metadata={"Modality": "CT"})  # fmt: skip


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory):
    """One patient's CT of 2024 (2 mm slices) and its prior of 2022 (5 mm), and another
    patient's later study in the same folder."""
    root = tmp_path_factory.mktemp("compare")
    for folder, patient, date, volume, description in (
        ("now", "P-7", "20240310", _ct(40, 2.0, -40.0, 1), "CT now"),
        ("prior", "P-7", "20220115", _ct(16, 5.0, -35.0, 2), "CT prior"),
        ("other", "P-9", "20230101", _ct(10, 5.0, 0.0, 3), "other patient"),
    ):
        info = SeriesInfo(patient_id=patient, study_date=date, series_description=description)
        write_dicom_series(volume, root / folder, info=info)
    return root


@pytest.mark.timeout(90)
def test_the_prior_side_by_side_linked_by_position(
    qtbot, window, two_studies, wait_idle, wait_shown, artifacts
):
    window.resize(1400, 800)
    window.open_path(two_studies)
    wait_idle(window)
    (current,) = [s for s in window.scan.series if s.description == "CT now"]
    window.load(current)
    wait_shown(window)
    layout, compare = window.view_layout, window.compare
    state = layout.state
    with qtbot.waitSignal(compare.opened, timeout=20_000):
        window.menu_actions["compare_prior"].trigger()
    pane = compare.pane
    assert pane.volume.metadata["SeriesDescription"] == "CT prior"
    assert "2022-01-15" in pane.title.text() and layout.comparison is pane
    assert window.statusBar().currentMessage().startswith("Comparing with")  # not "Loading…"
    assert pane.isVisibleTo(window) and layout.views[Plane.AXIAL].isVisibleTo(window)

    # Scrolling the current series moves the prior to the same height (nearest 5 mm slice).
    state.set_slice(Plane.AXIAL, 20)  # z = 0
    assert pane.state.slice_index(Plane.AXIAL) == 7  # z = 0 in the prior (-35 + 5 * 7)
    state.set_slice(Plane.AXIAL, 25)  # z = 10
    assert pane.state.slice_index(Plane.AXIAL) == 9
    # And the other way.
    pane.state.set_slice(Plane.AXIAL, 3)  # z = -20
    assert state.slice_index(Plane.AXIAL) == 10

    # The offset, in mm, from the header's box: the prior shows 10 mm higher.
    pane.offset.setValue(10.0)
    assert pane.link.offset_mm == 10.0
    assert pane.link.position(1) - pane.link.position(0) == pytest.approx(10.0)
    # Unlinked, each scrolls alone; linked again, the offset is their difference.
    pane.linked.setChecked(False)
    pane.state.set_slice(Plane.AXIAL, 12)
    assert state.slice_index(Plane.AXIAL) == 10
    pane.linked.setChecked(True)
    assert pane.offset.value() == pytest.approx(pane.link.position(1) - pane.link.position(0))

    # Window/level and zoom are shared.
    layout.views[Plane.AXIAL].setFocus()
    qtbot.keyClick(layout.views[Plane.AXIAL], K.Key_4)  # lung preset
    assert pane.state.window == state.window
    pane.state.set_zoom(1.6)
    assert state.zoom == 1.6
    qtbot.waitUntil(lambda: not pane.view.render_pending)
    state.set_window(40, 400)
    pane.offset.setValue(0.0)
    state.set_zoom(1.0)
    state.set_slice(Plane.AXIAL, 20)
    qtbot.waitUntil(lambda: not pane.view.render_pending)
    layout.grab().save(str(artifacts / "compare_prior.png"))
    # The prior's slice on show is at the current one's height (+ the offset): their greys
    # (40 + 2 z) say so.
    centre = pane.view.shown_values[24, 24]
    assert abs(centre - (40 + 2 * pane.link.position(1))) < 6

    # Another plane: the pane shows it too, linked along its own normal.
    state.set_active_plane(Plane.CORONAL)
    assert pane.view.plane is Plane.CORONAL and pane.link.plane is Plane.CORONAL
    state.set_slice(Plane.CORONAL, 30)
    assert pane.link.position(1) == pytest.approx(pane.link.position(0))

    window.menu_actions["compare_stop"].trigger()
    assert compare.pane is None and layout.comparison is None


@pytest.mark.timeout(90)
def test_no_prior_says_so_and_another_series_can_be_picked(
    qtbot, window, two_studies, wait_idle, wait_shown, monkeypatch
):
    window.open_path(two_studies)
    wait_idle(window)
    (prior,) = [s for s in window.scan.series if s.description == "CT prior"]
    window.load(prior)
    wait_shown(window)
    with qtbot.waitSignal(window.compare.failed, timeout=20_000):
        window.compare.compare_with_prior()  # nothing earlier than 2022
    assert "No earlier study" in window.statusBar().currentMessage()
    assert window.compare.pane is None
    from medgui.ui.window import compare_actions

    picked = []

    def pick(parent, title, label, items, current, editable):
        picked.extend(items)
        return next(t for t in items if "CT now" in t), True

    monkeypatch.setattr(compare_actions.QInputDialog, "getItem", staticmethod(pick))
    with qtbot.waitSignal(window.compare.opened, timeout=20_000):
        window.menu_actions["compare_series"].trigger()
    assert len(picked) == 2  # every other image series of the scan, the other patient's too
    assert window.compare.pane.volume.metadata["SeriesDescription"] == "CT now"
    window.load(prior)  # a series opened again: the comparison ends
    wait_shown(window)
    qtbot.waitUntil(lambda: window.compare.pane is None)


@pytest.mark.timeout(90)
def test_a_prior_imported_from_another_folder_is_found_in_the_study_index(
    qtbot, window, two_studies, wait_idle, wait_shown
):
    from medgui.core.io.scan import scan

    scan(two_studies / "prior")  # imported earlier: in the study index, not in the folder opened
    window.open_path(two_studies / "now")
    wait_idle(window)
    assert [s.description for s in window.scan.series] == ["CT now"]
    window.load(window.scan.series[0])
    wait_shown(window)
    with qtbot.waitSignal(window.compare.opened, timeout=20_000):
        window.menu_actions["compare_prior"].trigger()
    assert window.compare.pane.volume.metadata["SeriesDescription"] == "CT prior"


@pytest.mark.timeout(90)
def test_the_measurements_dock_lists_the_series_of_the_view_last_clicked(
    qtbot, window, two_studies, wait_idle, wait_shown, artifacts
):
    from view_testing import at, drag

    window.resize(1400, 800)
    window.open_path(two_studies)
    wait_idle(window)
    by_name = {s.description: s for s in window.scan.series}
    window.load(by_name["CT now"])
    wait_shown(window)
    compare, panel = window.compare, window.measurement_panel
    with qtbot.waitSignal(compare.opened, timeout=20_000):
        compare.compare_with(by_name["CT prior"])
    pane, main_view = compare.pane, window.view_layout.views[Plane.AXIAL]
    main_view.setFocus()
    qtbot.keyClick(main_view, K.Key_M)  # ruler: the tool of every view, the pane's too
    drag(main_view, at(main_view, 10, 10), at(main_view, 10, 30))
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert "CT now" in panel.series.text()

    # A ruler on the prior: the dock now lists the prior's, named as such.
    qtbot.waitUntil(lambda: not pane.view.render_pending)
    pane.view.setFocus()
    assert pane.measurements.tool is window.measurements.tool
    drag(pane.view, at(pane.view, 20, 10), at(pane.view, 20, 40))
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and panel.context is pane.measurements)
    assert "2022-01-15" in panel.series.text() and "CT prior" in panel.series.text()
    assert panel.row_texts(0)[0] == "Ruler" and panel.row_texts(0)[2].endswith("mm")
    window.grab().save(str(artifacts / "compare_measurements.png"))

    # Back in the main view: its own ruler; the prior's stays with its series.
    main_view.setFocus()
    qtbot.waitUntil(lambda: panel.context is window.measurements)
    assert panel.table.rowCount() == 1 and "CT now" in panel.series.text()
    prior_key = pane.measurements.series_key
    assert len(window.measurements.store.list(prior_key)) == 1
    gone = weakref.ref(pane.measurements)
    with qtbot.waitSignal(pane.destroyed):
        window.menu_actions["compare_stop"].trigger()
    assert panel.context is window.measurements
    del pane
    gc.collect()
    assert gone() is None  # the window's store let go of the pane's context
    # Compared again: the prior's ruler is still there, and another goes beside it.
    with qtbot.waitSignal(compare.opened, timeout=20_000):
        compare.compare_with(by_name["CT prior"])
    pane = compare.pane
    qtbot.waitUntil(lambda: not pane.view.render_pending)
    pane.view.setFocus()
    qtbot.waitUntil(lambda: panel.context is pane.measurements and panel.table.rowCount() == 1)
    drag(pane.view, at(pane.view, 30, 10), at(pane.view, 30, 40))
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    assert len(window.measurements.store.list(prior_key)) == 2
