"""Reports in the workspace: import with study links, findings per study with the user's
terms, search by finding/status and free text, report tags that the user overrides."""

from __future__ import annotations

import pytest

from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.text.report import ReportText, StudyRef
from medgui.core.workspace.layout import report_path, report_terms_path
from medgui.core.workspace.reports import (
    ReportStore,
    import_reports,
    parse_query,
    report_class,
    search,
    tag_origin,
)

CSV = (
    "id,text,accession,patient_id,study_date\n"
    'r1,"Small left pleural effusion. No pneumothorax.",ACC-1,,\n'
    'r2,"No pleural effusion. Possible right lower lobe pneumonia.",ACC-2,,\n'
    'r3,"No acute cardiopulmonary process.",,P7,20240305\n'
)


@pytest.fixture
def store(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    result = import_reports(tmp_path / "ws", [tmp_path / "in.csv"])
    assert [r.report_id for r in result.reports] == ["r1", "r2", "r3"] and not result.problems
    return ReportStore(tmp_path / "ws")


def test_import_stores_each_report_atomically_in_its_file(store):
    path = report_path(store.root, "r1")
    assert path.is_file() and path.parent.name == "reports"
    assert store.get("r1").study == StudyRef(accession="ACC-1")
    assert (store.root / "workspace.json").is_file()
    assert not list(path.parent.glob("*.tmp*"))


def test_unlinked_reports_take_the_study_on_show_or_are_listed(tmp_path):
    (tmp_path / "a.txt").write_text("No effusion.", encoding="utf-8")
    result = import_reports(tmp_path / "ws", [tmp_path / "a.txt"])
    assert "names no study" in result.problems[0]
    shown = StudyRef("1.2.3")
    result = import_reports(tmp_path / "ws", [tmp_path / "a.txt"], study=shown)
    assert not result.problems and result.reports[0].study == shown
    assert ReportStore(tmp_path / "ws").for_study(StudyRef("1.2.3", "X"))[0].text == "No effusion."


def test_study_findings_link_by_accession_and_by_patient_and_date(store):
    findings = {f.finding: f.status for f in store.study_findings(StudyRef("9.9", "ACC-2"))}
    assert findings == {"Pneumonia": "uncertain", "Pleural Effusion": "negative"}
    normal = store.study_findings(StudyRef(patient_id="P7", study_date="2024-03-05"))
    assert [(f.finding, f.status) for f in normal] == [("No Finding", "positive")]


def test_user_terms_are_read_when_the_file_changes(store):
    assert store.study_findings(StudyRef(accession="ACC-9")) == []
    store.add(ReportText("r9", "Calcified granuloma.", study=StudyRef(accession="ACC-9")))
    assert store.study_findings(StudyRef(accession="ACC-9")) == []  # granuloma: not a term yet
    report_terms_path(store.root).write_text("Granuloma: granuloma\n", encoding="utf-8")
    found = store.study_findings(StudyRef(accession="ACC-9"))
    assert [(f.finding, f.status) for f in found] == [("Granuloma", "positive")]


def test_search_by_finding_and_status(store):
    hits = search(store, "Pleural Effusion, positive")
    assert [(h.report.report_id, h.sentence) for h in hits] == [
        ("r1", "Small left pleural effusion.")
    ]
    hits = search(store, "pleural effusion")
    assert [(h.report.report_id, h.status) for h in hits] == [
        ("r1", "positive"),
        ("r2", "negative"),
    ]
    assert [h.report.report_id for h in search(store, "pneumonia, uncertain")] == ["r2"]


def test_free_text_search(store):
    hits = search(store, "lower LOBE")
    assert [(h.report.report_id, h.sentence) for h in hits] == [
        ("r2", "Possible right lower lobe pneumonia.")
    ]
    assert search(store, "  ") == []
    assert parse_query("effusion, positive", ["Pleural Effusion"]) is None


def test_report_class_and_uncertain_policies(store):
    findings = store.study_findings(StudyRef(accession="ACC-2"))
    assert report_class(findings, "Pleural Effusion")[:2] == (
        "No Pleural Effusion",
        ["Pleural Effusion", "No Pleural Effusion"],
    )
    assert report_class(findings, "Pneumonia") is None
    assert report_class(findings, "Pneumonia", "positive")[0] == "Pneumonia"
    assert report_class(findings, "Pneumonia", "negative")[0] == "No Pneumonia"
    assert report_class(findings, "Edema") is None
    with pytest.raises(ValueError, match="uncertain findings"):
        report_class(findings, "Pneumonia", "maybe")


def test_report_tags_keep_their_origin_and_yield_to_the_user(store):
    findings = store.study_findings(StudyRef(accession="ACC-1"))
    name, classes, found = report_class(findings, "Pleural Effusion")
    tags = ClassTagSet(classes, 1)
    origin = tag_origin(found, ["r1"])
    assert tags.set_from_report(None, name, origin)
    assert tags.from_report_count() == 1 and tags.origins[None]["sentence"] == found.sentence
    again = ClassTagSet.from_json(SeriesAnnotations(tags=tags).to_json()["tags"])
    assert again.origins == tags.origins
    tags.set(None, "No Pleural Effusion")  # the user overrides
    assert tags.from_report_count() == 0 and None in tags.overridden
    assert not tags.set_from_report(None, name, origin)  # the override wins and stays
    assert tags.series_tag == "No Pleural Effusion"
    hand = ClassTagSet(classes, 3, image_tags={0: "Pleural Effusion"})
    assert not hand.set_from_report(0, "No Pleural Effusion", origin)  # a hand tag stays
    assert hand.set_from_report(1, "No Pleural Effusion", origin)


def test_an_unreadable_report_file_is_listed(store):
    report_path(store.root, "r2").write_text("{", encoding="utf-8")
    reports, problems = store.load()
    assert [r.report_id for r in reports] == ["r1", "r3"]
    assert len(problems) == 1 and "not valid JSON" in problems[0]
