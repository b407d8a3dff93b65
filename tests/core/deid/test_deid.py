"""De-identification: real pydicom test files with planted PHI (top level, nested sequences,
private tags, dates), consistent UIDs, resolving SEG references, burned-in flags, options,
the mapping file, and the verification pass failing when PHI is left."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from dicom_testing import dciodvfy_errors, ramp_volume, real_file
from pydicom.dataset import Dataset

from medgui.core.deid import profile as deid_profile
from medgui.core.deid.clean import DeidOptions
from medgui.core.deid.export import DeidVerificationError, deidentify_folder
from medgui.core.deid.mapping import PseudonymMap
from medgui.core.deid.verify import Originals, find_phi
from medgui.core.dicom.write import SeriesInfo
from medgui.core.io.load import load_volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.seg import export_seg
from medgui.core.labels.seg_read import import_seg

NAME, PATIENT_ID, BIRTH, ACCESSION = "Doe^Jane^Marie", "PHI-12345", "19640229", "ACC998877"
NEEDLES = [b"Doe", b"Jane", b"Marie", PATIENT_ID.encode(), BIRTH.encode(), ACCESSION.encode()]
STUDY_UID = "1.2.826.0.1.3680043.8.498.1234567890"
REAL = ("CT_small.dcm", "MR_small.dcm", "US1_UNCR.dcm", "SC_rgb.dcm", "test-SR.dcm",
        "MR-SIEMENS-DICOM-WithOverlays.dcm", "liver.dcm")  # fmt: skip


def _read(path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _plant(ds: Dataset) -> Dataset:
    """PHI at the top level, in nested sequences, in a private tag, and dates."""
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = NAME, PATIENT_ID, BIRTH
    ds.AccessionNumber, ds.StudyInstanceUID = ACCESSION, STUDY_UID
    ds.PatientSex, ds.PatientAge, ds.PatientWeight = "F", "061Y", "64"
    ds.StudyDate, ds.SeriesDate, ds.StudyTime = "20200315", "20200316", "101010"
    ds.AcquisitionDateTime = "20200315101010.5"
    ds.DateOfLastCalibration = "20200301"  # a date the table does not list
    ds.InstitutionName, ds.ReferringPhysicianName = "Doe Clinic", "House^Gregory"
    ds.ConsultingPhysicianName = "Wilson^James"
    ds.EvaluatorName = "Cuddy^Lisa"  # a person's name the table does not list
    request = Dataset()
    request.AccessionNumber, request.RequestedProcedureID = ACCESSION, PATIENT_ID
    ds.RequestAttributesSequence = [request]
    other = Dataset()
    other.PatientID = PATIENT_ID
    ds.OtherPatientIDsSequence = [other]
    # A sequence the table does not list: its items are cleaned with the same table.
    deep, inner = Dataset(), Dataset()
    inner.PatientName, inner.PatientBirthDate = NAME, BIRTH
    deep.ReferencedSOPClassUID, deep.ReferencedSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    deep.ReferencedSeriesSequence = [inner]
    ds.ReferencedImageSequence = [deep]
    ds.private_block(0x0011, "ACME PHI", create=True).add_new(0x01, "LO", NAME)
    ds.private_block(0x0019, "SIEMENS MR HEADER", create=True).add_new(0x0C, "IS", "1000")
    return ds


def _pnames(item: Dataset) -> None:
    """A person's name and a birth date as SR content items (cleaned recursively)."""
    name, date = Dataset(), Dataset()
    name.ValueType, name.PersonName = "PNAME", NAME
    date.ValueType, date.Date = "DATE", BIRTH
    item.ContentSequence = [*item.get("ContentSequence", []), name, date]


@pytest.fixture
def source(tmp_path) -> Path:
    """The real files, each with the planted PHI, plus one that is not DICOM."""
    folder = tmp_path / "Doe_Jane PHI-12345"
    folder.mkdir()
    for name in REAL:
        ds = _plant(_read(real_file(name)))
        if name == "test-SR.dcm":
            _pnames(ds)
        ds.save_as(folder / name)
    (folder / "notes.txt").write_text("not DICOM")
    return folder


def _outputs(out: Path) -> list[Path]:
    return sorted(out.rglob("*.dcm"))


def _uids(ds: Dataset) -> list[tuple[str, str]]:
    found = []
    for element in ds.iterall():
        if element.VR == "UI" and element.value:
            values = element.value if element.VM > 1 else [element.value]
            found += [(element.keyword, str(v)) for v in values]
    return found


def test_no_phi_remains_in_any_output_byte(source, tmp_path):
    summary = deidentify_folder(source, tmp_path / "out")
    outputs = _outputs(tmp_path / "out")
    assert len(outputs) == len(REAL) == len(summary.written)
    for path in outputs:
        data = path.read_bytes()
        assert [n for n in NEEDLES if n in data] == [], path
        assert b"Gregory" not in data and b"ACME PHI" not in data
        assert b"Wilson" not in data and b"Cuddy" not in data
        assert "PHI-12345" not in str(path) and "Doe" not in str(path)
        ds = _read(path)
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert "PatientSex" not in ds or ds.PatientSex == ""
        assert "PatientAge" not in ds and "StudyDate" in ds and ds.StudyDate == ""
        assert ds.DateOfLastCalibration == ""
        assert "OtherPatientIDsSequence" not in ds and "RequestAttributesSequence" not in ds
        inner = ds.ReferencedImageSequence[0].ReferencedSeriesSequence[0]
        assert inner.PatientName == "" and inner.PatientBirthDate == ""
    # The one not-DICOM file is named; the rest carried on.
    assert len(summary.errors) == 1 and "notes.txt: not a readable DICOM file" in summary.errors[0]
    assert summary.verification.clean


def test_uids_are_replaced_consistently_and_short(source, tmp_path):
    originals = {uid for path in source.glob("*.dcm") for _, uid in _uids(_read(path))}
    deidentify_folder(source, tmp_path / "out")
    datasets = [_read(p) for p in _outputs(tmp_path / "out")]
    studies = {ds.StudyInstanceUID for ds in datasets}
    assert len(studies) == 1 and STUDY_UID not in studies  # one study, still one study
    for ds in datasets:
        for keyword, uid in _uids(ds):
            assert len(uid) <= 64
            if keyword in deid_profile.CLASS_UID_KEYWORDS:
                continue
            assert uid.startswith("2.25.") or uid in pydicom.uid.UID_dictionary, keyword
            assert uid not in originals or uid in pydicom.uid.UID_dictionary
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        # The reference planted to its own instance still points at it.
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == ds.SOPInstanceUID


def test_options_keep_patient_traits_and_shift_dates(source, tmp_path):
    pseudonyms = PseudonymMap()
    options = DeidOptions(keep_dates_shifted=True, keep_patient_characteristics=True)
    deidentify_folder(source, tmp_path / "out", options, pseudonyms)
    (entry,) = pseudonyms.entries.values()
    assert entry.original_patient_id == PATIENT_ID and entry.date_offset_days != 0
    want = (dt.date(2020, 3, 15) + dt.timedelta(days=entry.date_offset_days)).strftime("%Y%m%d")
    for path in _outputs(tmp_path / "out"):
        ds = _read(path)
        assert (ds.PatientSex, ds.PatientAge, str(ds.PatientWeight)) == ("F", "061Y", "64")
        assert ds.StudyDate == want and ds.StudyTime == "101010"
        assert ds.AcquisitionDateTime == want + "101010.5"
        calibrated = dt.date(2020, 3, 1) + dt.timedelta(days=entry.date_offset_days)
        assert ds.DateOfLastCalibration == calibrated.strftime("%Y%m%d")
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        codes = [c.CodeValue for c in ds.DeidentificationMethodCodeSequence]
        assert {"113100", "113107", "113108"} <= set(codes)
        assert BIRTH.encode() not in path.read_bytes()


def test_safe_private_tag_is_kept_and_others_go(source, tmp_path):
    deidentify_folder(source, tmp_path / "out")
    for path in _outputs(tmp_path / "out"):
        ds = _read(path)
        block = ds.private_block(0x0019, "SIEMENS MR HEADER")
        assert block[0x0C].value == 1000
        assert not any(e.tag.is_private and e.tag.group == 0x0011 for e in ds)
        assert not any(e.tag.group & 0xFF00 == 0x6000 for e in ds)  # overlays removed


def test_a_real_seg_still_reads_after_deid(source, tmp_path):
    summary = deidentify_folder(source, tmp_path / "out")
    (seg_path,) = [p for p, s in summary.written.items() if s.name == "liver.dcm"]
    seg = hd.seg.segread(seg_path)
    original = hd.seg.segread(real_file("liver.dcm"))
    assert seg.SOPInstanceUID != original.SOPInstanceUID
    assert np.array_equal(seg.get_volume().array, original.get_volume().array)
    sources = {
        i.ReferencedSOPInstanceUID
        for i in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence
    }
    assert sources and not sources & {
        i.ReferencedSOPInstanceUID
        for i in original.ReferencedSeriesSequence[0].ReferencedInstanceSequence
    }


def test_sr_content_is_cleaned_recursively(source, tmp_path):
    summary = deidentify_folder(source, tmp_path / "out")
    (sr,) = [p for p, s in summary.written.items() if s.name == "test-SR.dcm"]
    ds = _read(sr)
    names = [i for i in ds.ContentSequence if i.ValueType == "PNAME"]
    assert names and all(i.PersonName == "ANONYMOUS" for i in names)
    dates = [i.Date for i in ds.ContentSequence if i.ValueType == "DATE"]
    assert dates and all(date == "19000101" for date in dates)  # D: a dummy, still valid


def test_burned_in_annotation_is_flagged_not_passed(source, tmp_path):
    ds = _read(source / "CT_small.dcm")
    ds.BurnedInAnnotation = "YES"
    ds.save_as(source / "CT_small.dcm")
    summary = deidentify_folder(source, tmp_path / "out")
    flagged = {path.name: why for path, why in summary.burned_in.items()}
    assert flagged["CT_small.dcm"] == "BurnedInAnnotation is YES"
    assert "US image" in flagged["US1_UNCR.dcm"]
    assert "SC_rgb.dcm" in flagged and "MR_small.dcm" not in flagged
    assert any(line.startswith("BURNED-IN TEXT POSSIBLE") for line in summary.lines())


def test_phi_in_a_safe_listed_private_tag_fails_verification(source, tmp_path):
    ds = _read(source / "MR_small.dcm")
    ds.private_block(0x0019, "SIEMENS MR HEADER", create=True).add_new(0x0E, "LO", PATIENT_ID)
    ds.save_as(source / "MR_small.dcm")
    with pytest.raises(DeidVerificationError, match=r"(?s)original value.*patient ID") as caught:
        deidentify_folder(source, tmp_path / "out")
    assert "(0019,100E) holds the original patient ID" in str(caught.value)
    assert _outputs(tmp_path / "out") == []  # nothing with PHI is left on disk


def test_a_disabled_rule_fails_verification(source, tmp_path, monkeypatch):
    monkeypatch.delitem(deid_profile.RULES, "AccessionNumber")
    monkeypatch.setattr("medgui.core.deid.clean.RULES", deid_profile.RULES)
    with pytest.raises(DeidVerificationError, match="AccessionNumber holds the original"):
        deidentify_folder(source, tmp_path / "out")
    assert _outputs(tmp_path / "out") == []


def test_find_phi_searches_nested_and_whole_short_values():
    ds = Dataset()
    item = Dataset()
    item.InstitutionName = "near DOE^JANE^MARIE here"
    item.OperatorsName = "Smith^Marie"
    ds.ReferencedStudySequence = [item]
    ds.StudyID = "12"
    ds.StudyDescription = "Jane's scan"  # a name part inside free text is not searched for
    found = find_phi(ds, Originals(NAME, "12", "", ""))
    assert [str(f) for f in found] == [
        "ReferencedStudySequence[0]/InstitutionName holds the original patient name",
        "ReferencedStudySequence[0]/OperatorsName holds the original patient name part",
        "StudyID holds the original patient ID",
    ]
    ds.StudyID = "123"  # a short original is only matched whole
    assert find_phi(ds, Originals("", "12", "", "")) == []


def test_mapping_file_keeps_repeated_exports_consistent(source, tmp_path):
    mapping = tmp_path / "mapping.csv"
    first = PseudonymMap.load(mapping)
    deidentify_folder(source, tmp_path / "a", pseudonyms=first)
    first.save(mapping)
    second = PseudonymMap.load(mapping)
    assert second.entries == first.entries
    deidentify_folder(source, tmp_path / "b", pseudonyms=second)
    a = sorted(p.relative_to(tmp_path / "a") for p in _outputs(tmp_path / "a"))
    b = sorted(p.relative_to(tmp_path / "b") for p in _outputs(tmp_path / "b"))
    assert a == b  # same pseudonym folder, same study/series/instance UIDs
    assert mapping.read_text().splitlines()[0] == (
        "original_patient_id,pseudonym,date_offset_days,uid_key"
    )
    mapping.write_text("original_patient_id,pseudonym,date_offset_days,uid_key\nX,Y,zero,ab\n")
    with pytest.raises(ValueError, match="mapping.csv: line 2"):
        PseudonymMap.load(mapping)


def test_bad_folders_are_refused(source, tmp_path):
    with pytest.raises(ValueError, match="outside the source"):
        deidentify_folder(source, source / "out")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ValueError, match="new or empty"):
        deidentify_folder(source, tmp_path / "full")
    with pytest.raises(ValueError, match="no such file"):
        deidentify_folder(tmp_path / "missing", tmp_path / "out")


def test_seg_references_resolve_after_deid(make_series, tmp_path):
    info = SeriesInfo(series_description="Axial CT", patient_name=NAME, patient_id=PATIENT_ID)
    _, paths = make_series("ct", ramp_volume(shape=(6, 16, 12)), info=info, modality="CT")
    volume = load_volume(paths[0].parent)
    labelmap = LabelMap.empty_like(volume)
    labelmap.table.add("Liver")
    labelmap.layers[0][1:4, 3:9, 2:8] = 1
    export_seg(labelmap, volume, paths[0].parent / "seg.dcm")
    out = tmp_path / "out"
    summary = deidentify_folder(paths[0].parent, out)
    (seg_path,) = [p for p, s in summary.written.items() if s.name == "seg.dcm"]
    seg = _read(seg_path)
    images = [_read(p) for p in summary.written if p != seg_path]
    by_uid = {ds.SOPInstanceUID: ds for ds in images}
    referenced = [
        item.ReferencedSOPInstanceUID
        for series in seg.ReferencedSeriesSequence
        for item in series.ReferencedInstanceSequence
    ]
    assert referenced and set(referenced) <= set(by_uid)
    assert seg.FrameOfReferenceUID == images[0].FrameOfReferenceUID
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == images[0].SeriesInstanceUID
    assert dciodvfy_errors(seg_path) == []
    hd.seg.segread(seg_path)  # highdicom still reads it
    image_folder = tmp_path / "images"
    image_folder.mkdir()
    for path in summary.written:
        if path != seg_path:
            shutil.copy(path, image_folder / path.name)
    reloaded = load_volume(image_folder)
    back = import_seg(seg_path, reloaded)
    assert np.array_equal(back.layers[0], labelmap.layers[0])


class _Stop(Exception):
    pass


def test_cancel_midway_removes_what_was_written(source, tmp_path):
    def progress(done: int, _total: int) -> None:
        if done == 3:  # three files are on disk by now
            assert len(_outputs(tmp_path / "out")) == 3
            raise _Stop

    with pytest.raises(_Stop):
        deidentify_folder(source, tmp_path / "out", progress=progress)
    assert _outputs(tmp_path / "out") == []
