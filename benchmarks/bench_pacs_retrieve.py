"""Retrieve one study of N instances from a real Orthanc: medgui's C-GET and C-MOVE against
dcmtk's getscu and movescu (the anchor) on the same server, and WADO-RS for reference.

Run: .venv/bin/python benchmarks/bench_pacs_retrieve.py [--instances 1000] [--runs 3]
Needs Orthanc (+ its DICOMweb plugin) and dcmtk. The instances are copies of pydicom's CT_small
(128×128, 16-bit) with their own UIDs, uploaded through Orthanc's REST API. Prints a table,
then (last line) one JSON object with the median seconds and the ratios medgui / dcmtk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "core"))
from _common import median_seconds  # noqa: E402
from orthanc_testing import ARCHIVE_AET, OUR_AET, PYDICOM_FILES, running_orthanc  # noqa: E402

from medgui.core.net.client import client_for  # noqa: E402
from medgui.core.net.landing import Landing  # noqa: E402
from medgui.core.net.nodes import parse_address  # noqa: E402


def write_study(folder: Path, n: int) -> tuple[str, list[Path]]:
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID = "BENCH"
    paths = []
    for i in range(n):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.InstanceNumber = i + 1
        paths.append(folder / f"{i:05d}.dcm")
        ds.save_as(paths[-1])
    return str(ds.StudyInstanceUID), paths


def count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("getscu", "movescu"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} (dcmtk) is needed as the anchor")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        study, files = write_study(tmp / "in", args.instances)
        (tmp / "orthanc").mkdir()
        with running_orthanc(tmp / "orthanc", files=files) as server:
            key = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
            base = ["-aet", OUR_AET, "-aec", ARCHIVE_AET, "127.0.0.1", str(server.dicom_port)]
            dimse = client_for(parse_address(server.dimse_address), OUR_AET)
            web = client_for(parse_address(server.web_address), OUR_AET)
            run = 0

            def fresh() -> Path:
                nonlocal run
                run += 1
                folder = tmp / f"out{run}"
                folder.mkdir()
                return folder

            def dcmtk(tool: str, extra: list[str]) -> None:
                out = fresh()
                subprocess.run([tool, *base, *extra, *key, "-od", str(out)], check=True)
                assert count_files(out) == args.instances, f"{tool} got {count_files(out)}"

            def ours(client, **options) -> None:
                result = client.retrieve(study, Landing(fresh()), **options)
                assert result.complete and len(result.files) == args.instances, result.lines()

            move = ["-aem", OUR_AET, "--port", str(server.move_port)]
            cases = {
                "getscu": lambda: dcmtk("getscu", []),
                "medgui_get": lambda: ours(dimse, method="get"),
                "movescu": lambda: dcmtk("movescu", move),
                "medgui_move": lambda: ours(dimse, method="move", listener_port=server.move_port),
                "medgui_wado": lambda: ours(web),
            }
            seconds = {name: median_seconds(case, args.runs) for name, case in cases.items()}
    figures = {
        "instances": args.instances,
        **{f"{name}_s": round(s, 3) for name, s in seconds.items()},
        "get_ratio": round(seconds["medgui_get"] / seconds["getscu"], 2),
        "move_ratio": round(seconds["medgui_move"] / seconds["movescu"], 2),
    }
    for name, s in seconds.items():
        print(f"{name:<12} {s:7.2f} s  {args.instances / s:7.0f} instances/s")
    print(
        f"C-GET medgui/getscu {figures['get_ratio']}, C-MOVE medgui/movescu {figures['move_ratio']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
