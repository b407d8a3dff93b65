"""The DICOM tag browser on pydicom's real CT file: rows, sequences, search and following."""

from __future__ import annotations

import numpy as np
from view_testing import PYDICOM_FILES

from medgui.core import Volume, load_volume
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.browser.tag_browser import TagBrowser

CT = PYDICOM_FILES / "CT_small.dcm"
MR = PYDICOM_FILES / "MR_small.dcm"


def browser_for(qtbot, path=CT) -> TagBrowser:
    browser = TagBrowser()
    qtbot.addWidget(browser)
    browser.show_file(path)
    return browser


def test_rows_show_tag_keyword_vr_and_value(qtbot):
    browser = browser_for(qtbot)
    (name,) = browser.find_items("PatientName")
    assert [name.text(c) for c in range(4)] == [
        "(0010,0010)",
        "PatientName",
        "PN",
        "CompressedSamples^CT1",
    ]
    # File meta information comes first.
    assert browser.tree.topLevelItem(0).text(0).startswith("(0002,")
    (transfer,) = browser.find_items("TransferSyntaxUID")
    assert transfer.text(3) == "1.2.840.10008.1.2.1"


def test_sequences_are_expandable_children(qtbot):
    browser = browser_for(qtbot)
    (sequence,) = browser.find_items("OtherPatientIDsSequence")
    assert sequence.text(2) == "SQ"
    assert sequence.childCount() == 2
    first = sequence.child(0)
    assert first.text(1) == "Item 1"
    keywords = [first.child(n).text(1) for n in range(first.childCount())]
    assert "PatientID" in keywords


def test_search_by_keyword_tag_and_value_keeps_parents(qtbot):
    browser = browser_for(qtbot)
    browser.search.setText("patientname")
    assert browser.visible_keywords() == ["PatientName"]
    for query in ("0010,0010", "(0010,0010)", "00100010"):
        browser.search.setText(query)
        assert browser.visible_keywords() == ["PatientName"], query
    browser.search.setText("compressedsamples^ct1")
    assert "PatientName" in browser.visible_keywords()

    # A match inside a sequence shows the sequence and the item it is in, opened.
    browser.search.setText("TypeOfPatientID")
    visible = browser.visible_keywords()
    assert visible[:2] == ["OtherPatientIDsSequence", "Item 1"]
    assert "TypeOfPatientID" in visible and "PatientName" not in visible
    (sequence,) = browser.find_items("OtherPatientIDsSequence")
    assert sequence.isExpanded()

    browser.search.setText("")
    assert len(browser.visible_keywords()) > 50


def test_unreadable_file_says_why(qtbot, tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"")
    browser = browser_for(qtbot, bad)
    assert "bad.dcm" in browser.source.text()
    assert browser.tree.topLevelItemCount() == 0


def test_follows_the_current_slice(qtbot):
    ct, mr = load_volume(CT), load_volume(MR)
    # A two-slice volume whose slices come from two different files.
    volume = Volume(np.zeros((2, 4, 4), np.int16), slice_sources=[(str(CT), 0), (str(MR), 0)])
    state = ViewerState(volume)
    browser = TagBrowser()
    qtbot.addWidget(browser)
    state.set_slice(state.active_plane, 0)
    browser.follow(volume, state)
    assert browser.path is None  # hidden: no header is read
    browser.show()
    assert browser.path == CT
    state.set_slice(state.active_plane, 1)
    qtbot.waitUntil(lambda: browser.path == MR)
    (modality,) = browser.find_items("Modality")
    assert modality.text(3) == mr.modality
    browser.follow(None, None)
    assert browser.path is None and ct.modality == "CT"
