"""The `medgui report` sub-command: the report of one series, headless, from what the
workspace holds (labels, measurements, key images, findings, the active models' cards).

WORKSPACE_OR_SERIES is either a workspace folder (the series is picked with --series, else the
only one, else the most recently saved) or a series (folder, file, DICOMDIR) whose work is looked
up in the workspace (--workspace, default the user's). What was found goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medgui.core.workspace.layout import is_workspace
from medgui.core.workspace.store import SeriesWork, Workspace, folder_name

COMMANDS = ("report",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `report` to the `medgui` sub-command parsers."""
    p = sub.add_parser("report", help="write the PDF or HTML report of a series")
    p.add_argument("source", metavar="WORKSPACE_OR_SERIES")
    p.add_argument("--out", metavar="FILE", required=True, help="FILE.pdf or FILE.html")
    p.add_argument("--page-size", default="A4", choices=("A4", "Letter"))
    p.add_argument("--series", metavar="KEY", help="the series in the workspace (key or UID)")
    p.add_argument("--workspace", metavar="DIR", help="the workspace of a SERIES (default: yours)")
    p.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace the patient's name and ID by a pseudonym; leave out birth date and UIDs",
    )
    p.set_defaults(func=_cmd_report)


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def pick_series(workspace: Workspace, wanted: str | None) -> SeriesWork:
    """The saved work of series `wanted` (its key, UID or folder name) in `workspace`, else of
    its only or most recently saved series; ValueError naming the folder when there is none."""
    keys = workspace.series_keys()
    if not keys:
        raise ValueError(f"{workspace.root}: the workspace holds no saved series")
    if wanted:
        match = [k for k in keys if wanted in (k, folder_name(k))]
        if not match:
            raise ValueError(f"{workspace.root}: no series {wanted!r}; it holds {', '.join(keys)}")
        return workspace.load_series(match[0])
    works = [workspace.load_series(k) for k in keys]
    if len(works) > 1:
        _say(f"{len(works)} series in the workspace; reporting the most recently saved")
    return max(works, key=lambda work: work.saved_at_ns)


def load_work_volume(work: SeriesWork):
    """The image of saved `work`, loaded from its source paths; ValueError when none is there."""
    from medgui.core import load_volume, scan
    from medgui.core.annotations.store import series_key

    for source in map(Path, work.source_paths):
        if source.is_dir():
            found = [s for s in scan(source).series if s.kind == "image" and s.uid == work.uid]
            if found:
                return load_volume(found[0])
        if source.exists():
            volume = load_volume(source)
            if series_key(volume) == work.key:
                return volume
    paths = ", ".join(work.source_paths) or "none recorded"
    raise ValueError(f"the image of series {work.key} is not where it was ({paths})")


def _say_found(workspace: Workspace, work: SeriesWork) -> None:
    _say(
        f"series {work.key} ({work.description or 'no description'}): saved work found in "
        f"{workspace.series_dir(work.key)}"
    )
    if any(r.key == work.key for r in workspace.recoverable()):
        _say("  it has an autosave newer than its last save: open it in medgui and save to use it")


def _find(args) -> tuple[object, SeriesWork | None, Path]:
    """(volume, saved work or None, workspace root) for the command's source."""
    from medgui.core import load_volume
    from medgui.core.annotations.store import series_key

    source = Path(args.source)
    if is_workspace(source):
        workspace = Workspace(source)
        work = pick_series(workspace, args.series)
        _say_found(workspace, work)
        return load_work_volume(work), work, workspace.root
    if not source.exists():
        raise ValueError(f"{source}: no such workspace or series")
    workspace = Workspace(args.workspace) if args.workspace else Workspace()
    volume = load_volume(source)
    key = series_key(volume)
    work = workspace.load_series(key)
    if work is None:
        _say(f"series {key}: no saved work in {workspace.root}; the report has the image only")
    else:
        _say_found(workspace, work)
    return volume, work, workspace.root


def _cmd_report(args) -> int:
    from medgui.reports.build import build_report
    from medgui.reports.model_section import active_cards
    from medgui.reports.write import report_format, write_report

    report_format(args.out)  # a wrong suffix fails before the image is loaded
    volume, work, root = _find(args)
    cards, notes = active_cards(root)
    _say(f"{len(cards)} active model(s): {', '.join(c.name for c in cards) or 'none'}")
    report = build_report(volume, work, cards=cards, pseudonymise=args.pseudonymise)
    report.notes[:0] = notes
    for note in report.notes:
        _say(f"note: {note}")
    key = work.key if work is not None else ""
    path = write_report(report, args.out, size=args.page_size, workspace_root=root, series=key)
    _say(f"wrote {path}")
    return 0
