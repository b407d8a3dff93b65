"""The `medgui features` sub-command: a workspace's case table as CSV.

``medgui features WORKSPACE OUT.csv [--per patient|study|series|label] [--join CSV --on
patient_id|accession]`` measures every saved series (`medgui.core.tables`), writes OUT.csv and
prints one JSON line (rows, columns, problems) on stdout; each problem (a series left out, a
joined key that matches no case) is also a warning on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

COMMANDS = ("features",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `features` to the `medgui` sub-command parsers."""
    from medgui.core.tables.columns import PER
    from medgui.core.tables.csvfile import JOIN_KEYS

    p = sub.add_parser(
        "features", help="a case table of a workspace: shape, intensity, texture, patient columns"
    )
    p.add_argument("workspace", help="a medgui workspace folder")
    p.add_argument("out", help="the CSV file to write")
    p.add_argument("--per", choices=PER, default="series", help="one row per (default: series)")
    p.add_argument("--join", metavar="CSV", help="add this CSV's columns to the matching rows")
    p.add_argument(
        "--on", choices=JOIN_KEYS, default="patient_id", help="the column --join matches on"
    )
    p.set_defaults(func=cmd_features)


def cmd_features(args: argparse.Namespace) -> int:
    """`medgui features`: build the case table, write it, report."""
    from medgui.core.tables.table import build_case_table
    from medgui.core.workspace.layout import WORKSPACE_FILE, is_workspace
    from medgui.core.workspace.store import Workspace

    if not is_workspace(args.workspace):
        raise ValueError(f"{args.workspace}: not a medgui workspace (no {WORKSPACE_FILE})")
    table = build_case_table(Workspace(args.workspace), args.per, join=args.join, on=args.on)
    table.write_csv(args.out)
    for problem in table.problems:
        print(f"warning: {problem}", file=sys.stderr)
    summary = {"rows": len(table.rows), "columns": len(table.columns), "per": table.per}
    print(json.dumps(summary | {"out": str(args.out), "problems": len(table.problems)}))
    return 0
