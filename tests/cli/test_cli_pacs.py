"""`medgui pacs echo|find|get|send|listen|nodes` against a real Orthanc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
from dicom_testing import PYDICOM_DATA, PYDICOM_FILES
from orthanc_testing import ANGIO_SERIES, BRAIN_MRA, MR_FILES, free_port, wait_until

from medgui.cli import main
from medgui.core.io.index import default_index
from medgui.core.net.dimse import DimseClient
from medgui.core.net.nodes import load_settings, parse_address

REPO = Path(__file__).resolve().parents[2]


def test_echo_and_a_node_that_is_down(orthanc, capsys):
    assert main(["pacs", "echo", orthanc.dimse_address]) == 0
    assert "answered in" in capsys.readouterr().out
    assert main(["pacs", "echo", f"dicom://ORTHANC@127.0.0.1:{free_port()}"]) == 1
    assert "cannot connect (Connection refused)" in capsys.readouterr().err


def test_find_prints_studies_with_their_series_and_json(orthanc, capsys):
    assert main(["pacs", "find", orthanc.dimse_address, "--patient-name", "Doe*",
                 "--study-date", "20030101-20031231", "--json"]) == 0  # fmt: skip
    studies = json.loads(capsys.readouterr().out)
    assert {s["description"] for s in studies} == {"Brain-MRA", "Brain", "Carotids"}
    mra = next(s for s in studies if s["uid"] == BRAIN_MRA)
    assert [x["instances"] for x in mra["series"]] == [1, 3, 7]
    assert main(["pacs", "find", orthanc.web_address, "--modality", "CT"]) == 0
    out = capsys.readouterr().out
    assert "CompressedSamples^CT1" in out and "1 study" in out
    assert main(["pacs", "find", orthanc.dimse_address, "--level", "patient",
                 "--patient-id", "98890234"]) == 0  # fmt: skip
    assert "Doe^Peter" in capsys.readouterr().out


def test_get_writes_part10_files_and_indexes_them(orthanc, tmp_path, capsys):
    out = tmp_path / "got"
    assert (
        main(["pacs", "get", orthanc.dimse_address, "--study", BRAIN_MRA, "--out", str(out)]) == 0
    )
    text = capsys.readouterr().out
    assert "11 of 11 instance(s) retrieved" in text
    files = sorted(out.rglob("*.dcm"))
    assert len(files) == 11
    for path in files:
        assert pydicom.dcmread(path).file_meta.TransferSyntaxUID  # a Part 10 meta header
    cached, todo = default_index().lookup([str(p) for p in files])
    assert len(cached) == 11 and not todo  # in the local study index


def test_get_by_move_and_by_dicomweb(orthanc, tmp_path, capsys):
    args = ["--study", BRAIN_MRA, "--series", ANGIO_SERIES]
    move = ["--method", "move", "--port", str(orthanc.move_port), "--out", str(tmp_path / "m")]
    assert main(["pacs", "get", orthanc.dimse_address, *args, *move]) == 0
    assert main(["pacs", "get", orthanc.web_address, *args, "--out", str(tmp_path / "w")]) == 0
    assert len(list((tmp_path / "m").rglob("*.dcm"))) == len(list((tmp_path / "w").rglob("*.dcm")))
    assert len(list((tmp_path / "w").rglob("*.dcm"))) == 7


def test_get_of_an_unknown_study_fails_clearly(orthanc, tmp_path, capsys):
    code = main(["pacs", "get", orthanc.dimse_address, "--study", "1.2.3.999",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 1 and "has no study 1.2.3.999" in capsys.readouterr().err


def test_send_reports_each_file_and_fails_when_one_does(orthanc, tmp_path, capsys):
    seg = PYDICOM_DATA / "liver.dcm"
    assert main(["pacs", "send", orthanc.web_address, str(seg)]) == 0
    assert "sent 1 of 1" in capsys.readouterr().out
    bad = tmp_path / "notes.dcm"
    bad.write_text("not DICOM")
    assert main(["pacs", "send", orthanc.dimse_address, str(seg), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "sent 1 of 2" in out and f"failed {bad}" in out


def test_send_deidentified_leaves_the_name_behind(orthanc, capsys):
    name = "CompressedSamples^MR1"

    def instances_named() -> int:
        query = {"Level": "Instance", "Query": {"PatientName": name}}
        return len(orthanc.rest("/tools/find", json.dumps(query).encode()))

    before, total = instances_named(), orthanc.rest("/statistics")["CountInstances"]
    source = PYDICOM_FILES / "MR_small.dcm"
    assert main(["pacs", "send", orthanc.dimse_address, "--deidentify", str(source)]) == 0
    assert orthanc.rest("/statistics")["CountInstances"] == total + 1
    assert instances_named() == before


def test_listen_receives_until_stopped(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "medgui", "pacs", "listen", "--port", str(port),
         "--out", str(tmp_path), "--aet", "RECEIVER"],
        stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        assert "listening as RECEIVER" in process.stdout.readline()
        node = parse_address(f"dicom://RECEIVER@127.0.0.1:{port}")
        assert DimseClient(node, "SENDER").send(MR_FILES[:2]).sent == 2
        wait_until(lambda: len(list(tmp_path.rglob("*.dcm"))) == 2, 10, "two files received")
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0 and "2 new file(s)" in out


def test_nodes_are_saved_listed_and_removed(capsys):
    assert main(["pacs", "nodes", "--add", "main", "dicom://PACS@pacs.local:104",
                 "--aet", "WS7"]) == 0  # fmt: skip
    assert "main             dicom://PACS@pacs.local:104" in capsys.readouterr().out
    settings = load_settings()
    assert settings.calling_ae == "WS7" and settings.node("main").port == 104
    assert main(["pacs", "nodes", "--remove", "main"]) == 0
    assert load_settings().nodes == []
    assert main(["pacs", "nodes", "--remove", "main"]) == 1
