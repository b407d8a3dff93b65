"""The `medgui deid` and `medgui sr` sub-commands (headless DICOM exports).

`deid IN OUT` writes a verified de-identified copy of IN to OUT and prints the summary (burned-in
flags, warnings, skipped inputs, per-file errors); it exits 1 when a file failed (duplicate
instances included) or the verification found an original value. `sr SERIES --workspace W
--out SR.dcm` writes the series' saved measurements as a DICOM SR, with its labels as a DICOM
SEG beside it (or at --seg) that the SR's per-segment statistics reference.
"""

from __future__ import annotations

import argparse
from pathlib import Path

COMMANDS = ("deid", "sr")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `deid` and `sr` to the `medgui` sub-command parsers."""
    p = sub.add_parser("deid", help="de-identified copy of a DICOM folder (PS3.15 basic profile)")
    p.add_argument("source", metavar="IN", help="a DICOM file or folder")
    p.add_argument("out", metavar="OUT", help="a new or empty folder")
    p.add_argument(
        "--keep-dates-shifted",
        action="store_true",
        help="keep dates, shifted by a per-patient offset (Retain Longitudinal Temporal "
        "Information with Modified Dates)",
    )
    p.add_argument(
        "--keep-patient-characteristics",
        action="store_true",
        help="keep sex, age, size, weight, ... (Retain Patient Characteristics)",
    )
    p.add_argument(
        "--map",
        metavar="MAPPING.csv",
        help="pseudonyms, date offsets and UID keys per original PatientID: read if it exists, "
        "new patients appended (keeps repeated exports consistent; keep it secret)",
    )
    p.add_argument("--workspace", metavar="DIR", help="workspace whose audit log records this")
    p.set_defaults(func=_cmd_deid)
    p = sub.add_parser("sr", help="a series' measurements (and labels) as DICOM SR (+ SEG)")
    p.add_argument("series", metavar="SERIES", help="the DICOM series folder or file")
    p.add_argument("--workspace", metavar="DIR", help="the workspace holding its work")
    p.add_argument("--out", metavar="SR.dcm", required=True)
    p.add_argument("--seg", metavar="SEG.dcm", help="where the SEG goes (default: OUT_seg.dcm)")
    p.set_defaults(func=_cmd_sr)


def _cmd_deid(args: argparse.Namespace) -> int:
    from medgui.core.deid.clean import DeidOptions
    from medgui.core.workspace.audit import AuditLog
    from medgui.core.workspace.export import export_deidentified
    from medgui.core.workspace.store import Workspace

    options = DeidOptions(args.keep_dates_shifted, args.keep_patient_characteristics)
    audit = AuditLog(Workspace(args.workspace).root)
    summary = export_deidentified(args.source, args.out, options, audit, args.map)
    print("\n".join(summary.lines()))
    return 1 if summary.errors else 0


def _cmd_sr(args: argparse.Namespace) -> int:
    from medgui.core.annotations.store import series_key
    from medgui.core.io.load import load_volume
    from medgui.core.workspace.audit import AuditLog
    from medgui.core.workspace.export import (
        SeriesExport,
        export_series,
        has_labels,
        work_measurements,
    )
    from medgui.core.workspace.store import Workspace

    volume = load_volume(args.series)
    workspace = Workspace(args.workspace)
    work = workspace.load_series(series_key(volume))
    labelmap = work.labelmap if work else None
    out = Path(args.out)
    seg = None
    if has_labels(labelmap):
        seg = Path(args.seg) if args.seg else out.with_name(f"{out.stem}_seg.dcm")
    written, _ = export_series(
        volume, labelmap, work_measurements(work), SeriesExport(seg, out), AuditLog(workspace.root)
    )
    print("\n".join(str(path) for path in written))
    return 0
