"""The `medgui pacs` sub-commands: the archive from the command line.

NODE is a saved node's name (`medgui pacs nodes`), `dicom://CALLED_AET@host:port`
(`dicoms://` for TLS) or a DICOMweb base URL. A DICOMweb password or token comes from
$MEDGUI_PACS_SECRET, never from the command line (where other users' `ps` would see it).
`get` and `send` exit 1 unless every instance arrived or was stored; what did arrive is kept.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

from medgui.core.net.nodes import ArchiveSettings, load_settings, parse_address, save_settings

COMMANDS = ("pacs",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `pacs` (echo, find, get, send, listen, nodes) to the `medgui` sub-commands."""
    p = sub.add_parser("pacs", help="the archive: verify, query, retrieve, send, receive")
    actions = p.add_subparsers(dest="action", required=True)

    def node_command(name: str, help_text: str) -> argparse.ArgumentParser:
        q = actions.add_parser(name, help=help_text)
        q.add_argument("node", metavar="NODE", help="saved name, dicom://AET@host:port or URL")
        q.add_argument("--aet", help="our calling AE title (default: the saved one, MEDGUI)")
        q.add_argument("--ca-file", help="certificates to verify a TLS/HTTPS node with")
        return q

    q = node_command("echo", "verify a node (C-ECHO, or a one-study QIDO-RS search)")
    q.set_defaults(func=_cmd_echo)
    q = node_command("find", "query studies (with their series)")
    q.add_argument("--patient-id", default="")
    q.add_argument("--patient-name", default="", help="wildcards * and ? allowed, e.g. 'Doe*'")
    q.add_argument("--study-date", default="", metavar="FROM-TO", help="YYYYMMDD[-YYYYMMDD]")
    q.add_argument("--modality", default="")
    q.add_argument("--accession", default="")
    q.add_argument("--description", default="", help="study description (wildcards allowed)")
    q.add_argument("--level", choices=("patient", "study"), default="study")
    q.add_argument("--json", action="store_true", help="print the matches as JSON")
    q.set_defaults(func=_cmd_find)
    q = node_command("get", "retrieve a study or series into a folder (and the study index)")
    q.add_argument("--study", required=True, metavar="UID")
    q.add_argument("--series", metavar="UID", help="only this series of the study")
    q.add_argument("--out", required=True, metavar="DIR")
    q.add_argument("--method", choices=("get", "move"), default="get", help="C-GET or C-MOVE")
    q.add_argument("--port", type=int, help="our storage SCP's port for C-MOVE (default 11112)")
    q.set_defaults(func=_cmd_get)
    q = node_command("send", "send DICOM files or folders (C-STORE or STOW-RS)")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument(
        "--deidentify",
        action="store_true",
        help="send a de-identified copy (PS3.15 basic profile) instead of the files",
    )
    q.set_defaults(func=_cmd_send)
    q = actions.add_parser("listen", help="receive instances (storage SCP) until interrupted")
    q.add_argument("--port", type=int, help="the port (default: the saved one, 11112)")
    q.add_argument("--out", required=True, metavar="DIR")
    q.add_argument("--aet", help="our AE title (default: the saved one, MEDGUI)")
    q.set_defaults(func=_cmd_listen)
    q = actions.add_parser("nodes", help="list, add or remove saved nodes; set our AE title")
    q.add_argument("--add", nargs=2, metavar=("NAME", "ADDRESS"))
    q.add_argument("--remove", metavar="NAME")
    q.add_argument("--aet", help="set our calling AE title")
    q.set_defaults(func=_cmd_nodes)


def _client(args: argparse.Namespace):
    from dataclasses import replace

    from medgui.core.net.client import client_for
    from medgui.core.net.nodes import check_ae_title

    settings = load_settings()
    node = settings.node(args.node).with_secret()
    if args.ca_file:
        node = replace(node, ca_file=args.ca_file)
    calling = check_ae_title(args.aet or settings.calling_ae, "calling AE title")
    return client_for(node, calling), settings


def _cmd_echo(args: argparse.Namespace) -> int:
    client, _ = _client(args)
    print(f"{client.node.label()}: answered in {client.echo() * 1000:.0f} ms")
    return 0


def _cmd_find(args: argparse.Namespace) -> int:
    from medgui.core.net.query import Query, date_range

    start, end = date_range(args.study_date) if args.study_date else ("", "")
    query = Query(
        args.patient_name, args.patient_id, start, end, args.modality, args.accession,
        args.description,
    )  # fmt: skip
    client, _ = _client(args)
    if args.level == "patient":
        return _print_patients(client, query, args.json)
    studies = client.find_studies(query)
    found = [(study, client.find_series(study.uid)) for study in studies]
    if args.json:
        items = [dict(s.to_json(), series=[x.to_json() for x in ss]) for s, ss in found]
        print(json.dumps(items, indent=2))
        return 0
    for study, series in found:
        print(
            f"{study.date:<8}  {study.patient_id:<12} {study.patient_name:<24} "
            f"{study.modalities:<6} {study.accession:<10} {study.description}\n"
            f"{'':10}study {study.uid}"
        )
        for s in series:
            number = "" if s.number is None else s.number
            print(f"{'':10}  series {number!s:>4} {s.modality:<4} {s.instances or '?':>4} img  "
                  f"{s.description}  {s.uid}")  # fmt: skip
    print(f"{len(found)} stud{'y' if len(found) == 1 else 'ies'}")
    return 0


def _print_patients(client, query, as_json: bool) -> int:
    if not hasattr(client, "find_patients"):
        raise ValueError(f"{client.node.label()}: DICOMweb has no patient-level query")
    rows = [
        {"patient_id": str(p.get("PatientID", "")), "patient_name": str(p.get("PatientName", "")),
         "birth_date": str(p.get("PatientBirthDate", "")),
         "studies": str(p.get("NumberOfPatientRelatedStudies", ""))}
        for p in client.find_patients(query)
    ]  # fmt: skip
    if as_json:
        print(json.dumps(rows, indent=2))
    for r in [] if as_json else rows:
        print(f"{r['patient_id']:<14} {r['patient_name']:<28} {r['birth_date']:<8} "
              f"{r['studies']} stud(ies)")  # fmt: skip
    return 0


def _cmd_get(args: argparse.Namespace) -> int:
    from medgui.core.io.scan import scan
    from medgui.core.net.landing import Landing

    client, settings = _client(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = args.port if args.port is not None else settings.listener_port
    result = client.retrieve(
        args.study,
        Landing(out),
        series_uid=args.series,
        method=args.method,
        listener_port=port,
        progress=_progress_printer(),
    )
    print(file=sys.stderr)
    for line in result.lines():
        print(line)
    if result.files:
        found = scan(out / args.study)  # indexes the new files, as opening the folder would
        print(f"{out / args.study}: {len(found.series)} series")
    return 0 if result.complete else 1


def _progress_printer():
    def show(done: int, total: int) -> None:
        print(f"\r{done} of {total} instance(s)", end="", file=sys.stderr, flush=True)

    return show


def _cmd_send(args: argparse.Namespace) -> int:
    from medgui.core.io.files import walk_files

    client, _ = _client(args)
    files, problems = [], []
    for name in args.files:
        found, skipped = walk_files(Path(name))
        files += found
        problems += [f"{s.path}: {s.reason}" for s in skipped]
    with tempfile.TemporaryDirectory(prefix="medgui-send-") as scratch:
        if args.deidentify:
            files = _deidentified_copy(files, Path(scratch))
        result = client.send(files, progress=_progress_printer())
    print(file=sys.stderr)
    for line in result.lines() + [f"skipped {p}" for p in problems]:
        print(line)
    return 0 if not result.failed and not problems and result.outcomes else 1


def _deidentified_copy(files: list[str], folder: Path) -> list[str]:
    from medgui.core.deid.clean import DeidOptions
    from medgui.core.workspace.audit import AuditLog
    from medgui.core.workspace.export import export_deidentified
    from medgui.core.workspace.store import Workspace

    audit = AuditLog(Workspace().root)
    summary = export_deidentified([Path(f) for f in files], folder, DeidOptions(), audit)
    for line in summary.lines():
        print(f"de-identification: {line}", file=sys.stderr)
    if summary.errors or not summary.verification.clean:
        raise ValueError("the de-identified copy failed its checks; nothing was sent")
    return [str(p) for p in summary.written]


def _cmd_listen(args: argparse.Namespace) -> int:
    from medgui.core.net.landing import Landing
    from medgui.core.net.scp import StorageListener

    settings = load_settings()
    aet = args.aet or settings.calling_ae
    port = args.port if args.port is not None else settings.listener_port
    landing = Landing(args.out)

    def arrived(path: Path | None, why: str) -> None:
        print(f"received {path}" if path else f"rejected {why}", flush=True)

    landing.on_arrival = arrived
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with StorageListener(landing, aet, port) as listener:
        print(f"listening as {aet} on port {listener.port}; files go to {args.out}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    for uid, why in landing.rejected.items():
        print(f"rejected instance {uid}: {why}")
    print(f"{len(landing.written)} new file(s) in {args.out}")
    return 0


def _cmd_nodes(args: argparse.Namespace) -> int:
    settings: ArchiveSettings = load_settings()
    if args.add:
        settings.put(parse_address(args.add[1], name=args.add[0]))
    if args.remove:
        if args.remove not in {n.name for n in settings.nodes}:
            raise ValueError(f"no saved node {args.remove!r}")
        settings.remove(args.remove)
    if args.aet:
        settings.calling_ae = args.aet
    if args.add or args.remove or args.aet:
        save_settings(settings)
    print(f"our AE title: {settings.calling_ae}; storage SCP port: {settings.listener_port}")
    for node in settings.nodes:
        print(f"{node.name:<16} {node.address}")
    return 0
