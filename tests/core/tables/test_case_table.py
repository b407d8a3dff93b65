"""The case table of a workspace: rows per patient/study/series/label, the demo study's
organs, measurements, joins, and the `medgui features` command."""

import json
import math

import numpy as np
import pytest
from case_table_testing import SPACING_XYZ, lesion_radius_mm, make_case_workspace

from medgui.cli.main import main
from medgui.core.annotations.measurements import Plane, Ruler
from medgui.core.io.load import load_volume
from medgui.core.io.scan import scan
from medgui.core.labels.io import load_label_map
from medgui.core.tables.csvfile import read_csv
from medgui.core.tables.table import TableCancelled, build_case_table
from medgui.core.workspace.store import SeriesWork, Workspace


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory):
    from medgui.core.workspace.demo import write_demo_study

    return write_demo_study(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def case_workspace(tmp_path_factory):
    return make_case_workspace(tmp_path_factory.mktemp("cases"), patients=6)


def _lesion_voxels(index):
    z, y, x = np.mgrid[:12, :40, :40]
    d2 = ((x - 20) * SPACING_XYZ[0]) ** 2 + ((y - 20) * SPACING_XYZ[1]) ** 2
    d2 = d2 + ((z - 6) * SPACING_XYZ[2]) ** 2
    return int(np.count_nonzero(d2 <= lesion_radius_mm(index) ** 2))


def test_one_row_per_series_with_patient_shape_intensity_and_target(case_workspace):
    table = build_case_table(case_workspace, "series")
    assert table.problems == []
    assert len(table.rows) == 6
    assert table.columns[0] == "id" and table.columns[-1] == "class"
    by_patient = {row["patient_id"]: row for row in table.rows}
    for index in range(6):
        row = by_patient[f"P{index:02d}"]
        assert row["class"] == ("malignant" if index % 2 else "benign")
        assert row["age_years"] == 2024 - (1950 + index) - 1 + 1  # born 1 Jan, seen 1 June
        assert row["sex"] == "MF"[(index // 2) % 2]
        assert math.isnan(row["weight_kg"])  # not in the header: missing, not zero
        volume = _lesion_voxels(index) * np.prod(SPACING_XYZ)
        assert row["lesion_volume_mm3"] == pytest.approx(volume)
        assert row["lesion_mean"] == pytest.approx(60 if index % 2 else 30, abs=2)
        assert 0 < row["lesion_glcm_homogeneity"] <= 1
    assert "lesion_sphericity" in table.feature_columns
    assert "patient_id" not in table.feature_columns and "class" not in table.feature_columns


def test_rows_per_label_patient_and_study(case_workspace):
    per_label = build_case_table(case_workspace, "label")
    assert {row["label"] for row in per_label.rows} == {"lesion"}
    assert "volume_mm3" in per_label.columns and "label" in per_label.columns
    assert per_label.rows[0]["id"].endswith(":lesion")
    per_patient = build_case_table(case_workspace, "patient")
    assert sorted(row["id"] for row in per_patient.rows) == [f"P{i:02d}" for i in range(6)]
    assert len(build_case_table(case_workspace, "study").rows) == 6
    with pytest.raises(ValueError, match="one row per"):
        build_case_table(case_workspace, "organ")


def test_measurements_and_a_series_whose_images_are_gone(tmp_path):
    workspace = make_case_workspace(tmp_path, patients=2)
    key = workspace.series_keys()[0]
    work = workspace.load_series(key)
    ruler = Ruler(plane=Plane.AXIAL, slice_index=3, spacing_mm=(0.5, 0.5), p0=(0, 0), p1=(0, 40),
                  label="long axis")  # fmt: skip
    work.measurements = [ruler.to_dict()]
    workspace.save_series(work)
    # Its images are not in the recorded folder: shape features stay, intensities go.
    lost = SeriesWork("1.2.3.4", "1.2.3.4", "moved", [str(tmp_path / "gone")], work.labelmap)
    workspace.save_series(lost)
    table = build_case_table(workspace, "series")
    rows = {row["series_key"]: row for row in table.rows}
    assert rows[key]["ruler_long_axis_mm"] == pytest.approx(20.0)
    assert rows["1.2.3.4"]["lesion_volume_mm3"] == rows[key]["lesion_volume_mm3"]
    assert math.isnan(rows["1.2.3.4"]["lesion_mean"])
    assert any("1.2.3.4: no intensity features" in p for p in table.problems)


def test_demo_study_organs(tmp_path, demo_study):
    series = scan(demo_study.dicom_dir, index=False).image_series[0]
    volume = load_volume(series)
    labels = load_label_map(demo_study.labels_path, volume)
    workspace = Workspace(tmp_path / "workspace")
    workspace.save_series(
        SeriesWork(series.uid, series.uid, "demo", [str(demo_study.dicom_dir)], labels)
    )
    table = build_case_table(workspace, "label")
    rows = {row["label"]: row for row in table.rows}
    assert set(rows) == {"liver", "spleen", "kidney", "lesion"}
    spheres = sum(math.pi / 6 * lesion["diameter_mm"] ** 3 for lesion in demo_study.lesions)
    assert rows["lesion"]["volume_mm3"] == pytest.approx(spheres, rel=0.1)
    assert rows["liver"]["mean"] == pytest.approx(60, abs=10)  # the phantom's liver HU
    assert 0 < rows["liver"]["sphericity"] < rows["spleen"]["sphericity"] <= 1.05
    assert rows["spleen"]["age_years"] > 50  # born 1970, scanned today
    assert all(row["class"] == "" for row in table.rows)  # untagged


def test_join_by_patient_id_and_accession(case_workspace, tmp_path):
    extra = tmp_path / "clinical.csv"
    extra.write_text("patient_id,psa,sex\nP00,4.5,M\nP03,12,F\nP99,1,M\n", encoding="utf-8")
    table = build_case_table(case_workspace, "patient", join=extra, on="patient_id")
    rows = {row["patient_id"]: row for row in table.rows}
    assert rows["P00"]["psa"] == "4.5" and rows["P03"]["csv_sex"] == "F"
    assert "psa" not in rows["P01"]
    assert table.columns[-1] == "class" and "csv_sex" in table.columns
    assert any("'P99' matches no case" in p for p in table.problems)
    by_accession = tmp_path / "acc.csv"
    by_accession.write_text("accession,stage\nA02,3\n", encoding="utf-8")
    table = build_case_table(case_workspace, "series", join=by_accession, on="accession")
    assert [row.get("stage") for row in table.rows if row["accession"] == "A02"] == ["3"]
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("patient_id,x\nP00,1\nP00,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dup.csv: patient_id 'P00' is on more than one row"):
        build_case_table(case_workspace, join=duplicate)
    with pytest.raises(ValueError, match="no 'accession' column"):
        build_case_table(case_workspace, join=extra, on="accession")


def test_progress_and_cancel(case_workspace):
    seen = []
    build_case_table(case_workspace, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6) and len(seen) == 6
    with pytest.raises(TableCancelled):
        build_case_table(case_workspace, progress=lambda done, total: False)


def test_features_command_writes_the_csv(case_workspace, tmp_path, capsys):
    out = tmp_path / "cases.csv"
    assert main(["features", str(case_workspace.root), str(out), "--per", "patient"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows"] == 6
    columns, rows = read_csv(out)
    assert columns[0] == "id" and "lesion_volume_mm3" in columns
    assert {row["class"] for row in rows} == {"benign", "malignant"}
    assert float(rows[0]["lesion_volume_mm3"]) > 0
    assert main(["features", str(tmp_path), str(out)]) == 1  # not a workspace
    assert "not a medgui workspace" in capsys.readouterr().err


def test_a_patient_with_two_series_tagged_differently(tmp_path):
    from medgui.core.annotations.model import SeriesAnnotations
    from medgui.core.dicom.write import SeriesInfo, write_dicom_series
    from medgui.core.workspace.sources import find_series

    workspace = make_case_workspace(tmp_path, patients=2)
    first = next(workspace.load_series(k) for k in workspace.series_keys()
                 if find_series(workspace.load_series(k)).patient_id == "P00")  # fmt: skip
    header = find_series(first).instances[0]
    info = SeriesInfo(patient_id="P00", study_instance_uid=header.study_instance_uid,
                      series_number=2, accession_number=header.accession_number)  # fmt: skip
    write_dicom_series(load_volume(find_series(first)), tmp_path / "second", info)
    annotations = SeriesAnnotations.from_json(first.annotations)
    annotations.tags.series_tag = "malignant"  # the first is benign
    second = SeriesWork(info.series_instance_uid, info.series_instance_uid, "follow-up",
                        [str(tmp_path / "second")], first.labelmap,
                        annotations=annotations.to_json())  # fmt: skip
    workspace.save_series(second)
    assert len(build_case_table(workspace, "series").rows) == 3
    for per in ("patient", "study"):
        table = build_case_table(workspace, per)
        rows = {row["patient_id"]: row for row in table.rows}
        assert len(rows) == 2 and rows["P00"]["class"] == "" and rows["P01"]["class"]
        assert any("tagged ['benign', 'malignant']; no target" in p for p in table.problems)
        assert any("label 'lesion' is in series" in p for p in table.problems)
