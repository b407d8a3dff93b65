"""Tag series from reports across the workspace: linked by the series' DICOM headers, hand
tags kept, series without reports left alone, a series whose images are gone listed."""

from __future__ import annotations

import numpy as np

from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume
from medgui.core.text.report import ReportText, StudyRef
from medgui.core.workspace.report_tags import series_study, tag_workspace_series
from medgui.core.workspace.reports import ReportStore
from medgui.core.workspace.store import SeriesWork, Workspace


def _series(tmp_path, workspace, name, accession, tags=None) -> str:
    info = SeriesInfo(patient_id=f"P-{name}", accession_number=accession, study_date="20240305")
    folder = tmp_path / name
    write_dicom_series(Volume(np.zeros((3, 8, 8), np.int16)), folder, info, modality="CR")
    notes = SeriesAnnotations(tags=tags).to_json() if tags else {}
    uid = info.series_instance_uid
    workspace.save_series(SeriesWork(uid, uid, name, [str(folder)], annotations=notes))
    return uid


def test_every_linked_series_is_tagged_and_hand_tags_stay(tmp_path):
    root = tmp_path / "ws"
    workspace, store = Workspace(root), ReportStore(root)
    tagged = _series(tmp_path, workspace, "a", "ACC-1")
    hand = ClassTagSet(["Pleural Effusion", "No Pleural Effusion"], 3)
    hand.set(None, "No Pleural Effusion")
    kept = _series(tmp_path, workspace, "b", "ACC-2", hand)
    alone = _series(tmp_path, workspace, "c", "ACC-3")
    on_show = _series(tmp_path, workspace, "d", "ACC-1")
    for report_id, accession in (("r1", "ACC-1"), ("r2", "ACC-2")):
        text = "Small left pleural effusion. No pneumothorax."
        store.add(ReportText(report_id, text, study=StudyRef(accession=accession)))
    gone = SeriesWork("1.2.9", "1.2.9", "Gone", [str(tmp_path / "nowhere")])
    workspace.save_series(gone)

    study, n_images = series_study(workspace.load_series(tagged))
    assert (study.accession, study.patient_id, study.study_date, n_images) == (
        "ACC-1",
        "P-a",
        "20240305",
        3,
    )
    assert study.study_uid.startswith("1.") or study.study_uid.startswith("2.")
    steps = []
    run = tag_workspace_series(root, "Pleural Effusion", skip=[on_show],
                               progress=lambda d, t: steps.append((d, t)))  # fmt: skip
    assert run.tagged == {tagged: "Pleural Effusion"}
    assert run.kept == [kept] and run.untagged == [alone]
    assert len(run.problems) == 1 and "Gone: no DICOM header names its study" in run.problems[0]
    assert steps[-1] == (4, 4)
    tags = SeriesAnnotations.from_json(workspace.load_series(tagged).annotations).tags
    assert tags.series_tag == "Pleural Effusion" and tags.n_images == 3
    assert tags.origins[None]["sentence"] == "Small left pleural effusion."
    assert tags.origins[None]["reports"] == "r1"
    still = SeriesAnnotations.from_json(workspace.load_series(kept).annotations).tags
    assert still.series_tag == "No Pleural Effusion" and not still.origins
    assert workspace.load_series(on_show).annotations == {}
    assert "1 series tagged from reports" in run.lines()[0]
