"""The `medgui findings REPORTS.csv OUT.csv` sub-command: the findings of each report.

REPORTS.csv has the columns ``id`` and ``text`` (any others are ignored); OUT.csv gets
``id,finding,status,sentence``, one row per finding a report mentions (status positive,
negative or uncertain), in the input's order. ``--terms FILE`` adds the user's own terms
("Finding: term, term" lines). Rows without text are reported on stderr and left out; a file
without the columns, or that cannot be decoded, is an error (exit 1).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

COMMANDS = ("findings",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `findings` to the `medgui` sub-command parsers."""
    p = sub.add_parser("findings", help="CheXpert findings (with negation) of each report in a CSV")
    p.add_argument("reports", metavar="REPORTS.csv", help="a CSV with the columns id,text")
    p.add_argument("out", metavar="OUT.csv", help="where id,finding,status,sentence go")
    p.add_argument("--terms", metavar="FILE", help="your own terms: 'Finding: term, term' lines")
    p.set_defaults(func=_cmd_findings)


def _cmd_findings(args: argparse.Namespace) -> int:
    from medgui.core.text.findings import FindingsExtractor
    from medgui.core.text.read import ReadResult, decode_text, read_csv
    from medgui.core.text.vocabulary import load_vocabulary
    from medgui.core.util.atomic import atomic_write_text

    source = Path(args.reports)
    if args.terms and not Path(args.terms).is_file():
        raise ValueError(f"{args.terms}: no such terms file")
    extractor = FindingsExtractor(load_vocabulary(args.terms))
    try:
        data = source.read_bytes()
    except OSError as error:
        raise ValueError(f"{source}: cannot be read ({error.strerror or error})") from error
    result = ReadResult()
    read_csv(source, decode_text(data, source), result)
    if not result.reports:
        raise ValueError(f"{source}: no report with text in it")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "finding", "status", "sentence"])
    rows = 0
    for report in result.reports:
        for found in extractor.extract(report.text):
            writer.writerow([report.report_id, found.finding, found.status, found.sentence])
            rows += 1
    atomic_write_text(args.out, buffer.getvalue())
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print(f"{args.out}: {rows} finding(s) in {len(result.reports)} report(s)")
    return 0
