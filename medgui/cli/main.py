"""The `medgui` command: the GUI by default, and headless sub-commands for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from medgui import __version__
from medgui.core.signals.ecg_layout import LAYOUTS as ECG_LAYOUTS

# train/infer import torch only when run (medgui.cli.ml), so the other commands start fast.
COMMANDS = (
    "scan", "convert", "demo-data", "view", "index", "train", "infer", "propagate", "deid", "sr",
    "report", "selftest", "findings", "features", "generate", "pacs",
)  # fmt: skip
_SERIES_HELP = "the series to use when the folder holds several (`medgui scan PATH` lists them)"


def _cmd_scan(args: argparse.Namespace) -> int:
    from medgui.core import scan

    found = scan(args.path, index=not args.no_index)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
        return 0
    for s in found.series:
        shape = "×".join(str(n) for n in reversed(s.shape_zyx)) if s.shape_zyx else "-"
        print(
            f"{s.kind:<12} {s.modality:<4} {s.number_of_images:>5} img  {shape:<14} {s.description}"
        )
        for w in s.warnings:
            print(f"{'':17}warning: {w}")
    for e in found.errors:
        print(f"error        {e.path}: {e.reason}")
    print(f"{len(found.series)} series, {len(found.errors)} problem file(s)")
    return 0


def _convert_labels(args: argparse.Namespace) -> int:
    """Label maps: NIfTI/NRRD → DICOM SEG (needs the reference series), SEG → NIfTI/NRRD."""
    from medgui.core import load_volume
    from medgui.core.labels.io import label_format, load_label_map, save_label_map
    from medgui.core.labels.seg import export_seg
    from medgui.core.labels.seg_read import import_seg, is_seg_file

    source, out = Path(args.input), Path(args.output)
    reference = load_volume(args.reference) if args.reference else None
    if label_format(out) == "seg":
        if reference is None:
            print("error: writing a DICOM SEG needs --reference SERIES", file=sys.stderr)
            return 2
        labels = import_seg(source, reference) if is_seg_file(source) else None
        labels = labels or load_label_map(source, reference)
        export_seg(labels, reference, out)
    else:
        labels = import_seg(source, reference) if is_seg_file(source) else None
        labels = labels or load_label_map(source, reference)
        save_label_map(labels, out)
    names = ", ".join(label.name for label in labels.table.labels) or "no labels"
    print(f"wrote {out} ({names})")
    return 0


def _names_seg(path: str) -> bool:
    """Whether `path` names a DICOM SEG (an image may also go to .nhdr/.mhd, no label file)."""
    from medgui.core.labels.io import label_format

    try:
        return label_format(path) == "seg"
    except ValueError:
        return False


def _cmd_convert(args: argparse.Namespace) -> int:
    from medgui.core import load_volume
    from medgui.core.image.resample import resample_to_orthonormal
    from medgui.core.io.itk import is_itk_file, write_itk_volume
    from medgui.core.labels.seg_read import is_seg_file

    if args.reference or is_seg_file(args.input) or _names_seg(args.output):
        return _convert_labels(args)
    if not is_itk_file(args.output):
        print(
            f"error: {args.output}: output must end in .nii, .nii.gz, .nrrd or .mha "
            "(or .dcm for a DICOM SEG of a label map, with --reference)",
            file=sys.stderr,
        )
        return 2
    volume = resample_to_orthonormal(load_volume(args.input, series=args.series))
    for w in volume.warnings:
        print(f"warning: {w}", file=sys.stderr)
    out = write_itk_volume(volume, args.output)
    shape = "×".join(str(n) for n in reversed(volume.shape_zyx))
    print(f"wrote {out} ({shape}, spacing {', '.join(f'{s:.4g}' for s in volume.spacing_mm)} mm)")
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from medgui.core.workspace.demo import write_demo_study

    study = write_demo_study(args.folder, seed=args.seed)
    print(f"demo CT series: {study.dicom_dir}\nground-truth labels: {study.labels_path}")
    return 0


def _cmd_view(args: argparse.Namespace) -> int:
    if not args.screenshot:
        from medgui.app import run_app

        return run_app(path=Path(args.path))
    from medgui.ui.window.screenshot import render_screenshot

    if (args.window is None) != (args.level is None):
        print("error: --window and --level go together", file=sys.stderr)
        return 2
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = render_screenshot(
        args.path,
        args.screenshot,
        slice=args.slice,
        preset=args.preset,
        window=args.window,
        level=args.level,
        layout=args.layout,
        size=(width, height),
        series=args.series,
        labels=args.labels,
        ecg_layout=args.ecg_layout,
        slab_mm=args.slab,
        projection=args.projection,
        render3d=args.render3d.replace("-", " ") if args.render3d else None,
        workspace=args.workspace,
    )
    print(f"wrote {out}")
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from medgui.core.io.index import default_index

    index = default_index()
    if args.clear:
        print(f"cleared the study index ({index.clear()} file record(s) removed): {index.path}")
    elif args.forget:
        for path in args.forget:
            print(f"forgot {index.forget(path)} file record(s) under {path}")
    elif args.prune:
        print(f"removed {index.prune()} record(s) of files that no longer exist")
    else:
        print(f"{index.path}: {index.count()} file record(s)")
    return 0


def _subcommand_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medgui")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scan", help="list the series and problem files under PATH")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="print the scan as JSON")
    p.add_argument("--no-index", action="store_true", help="ignore the local study index")
    p.set_defaults(func=_cmd_scan)
    p = sub.add_parser(
        "convert",
        help="a series or image file to NIfTI/NRRD/MHA; a label map to/from DICOM SEG",
    )
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument(
        "--reference",
        metavar="SERIES",
        help="the image series a label map belongs to (required to write a DICOM SEG)",
    )
    p.add_argument("--series", metavar="UID|NUMBER|DESCRIPTION", help=_SERIES_HELP)
    p.set_defaults(func=_cmd_convert)
    p = sub.add_parser("demo-data", help="write the synthetic demo CT study and its labels")
    p.add_argument("folder")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_demo_data)
    p = sub.add_parser(
        "index",
        help="the local study index (patient names, IDs, dates of every scanned file): "
        "show its size, forget folders, or clear it",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--clear", action="store_true", help="remove every record")
    group.add_argument(
        "--forget", metavar="PATH", nargs="+", help="remove the records of PATH and below"
    )
    group.add_argument(
        "--prune", action="store_true", help="remove the records of files no longer on disk"
    )
    p.set_defaults(func=_cmd_index)
    p = sub.add_parser("view", help="open PATH, or render it headless to a PNG with --screenshot")
    p.add_argument("path")
    p.add_argument("--screenshot", metavar="OUT.png", help="render offscreen to OUT.png and exit")
    p.add_argument("--slice", type=int, help="slice index (default: the middle slice)")
    p.add_argument("--preset", help="CT window preset: brain, subdural, stroke, lung, ...")
    p.add_argument("--window", type=float, help="window width (with --level)")
    p.add_argument("--level", type=float, help="window centre (with --window)")
    p.add_argument(
        "--layout",
        choices=("1", "3", "3d", "4"),
        default="1",
        help="one view, three planes, the 3-D view, or three planes and 3-D",
    )
    p.add_argument("--size", default="1024x768", help="image size WIDTHxHEIGHT")
    p.add_argument("--slab", type=float, metavar="MM", help="thick-slab projections of MM mm")
    p.add_argument(
        "--projection", choices=("mip", "minip", "mean"), help="the slab's projection (mip)"
    )
    p.add_argument(
        "--render3d",
        choices=("bone", "soft-tissue", "vessels", "mip"),
        help="volume rendering in the 3-D view (--layout 3d or 4)",
    )
    p.add_argument(
        "--ecg-layout", choices=ECG_LAYOUTS, default="3x4+II", help="layout of a waveform (ECG)"
    )
    p.add_argument("--series", metavar="UID|NUMBER|DESCRIPTION", help=_SERIES_HELP)
    p.add_argument(
        "--labels",
        metavar="FILE",
        help="a label map to draw over it (default: one beside the series, on its grid)",
    )
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="a medgui workspace: draw the series' saved labels and mark its key images",
    )
    p.set_defaults(func=_cmd_view)
    # Each further command lives in its own module (imported here, run lazily).
    from medgui.cli import export as cli_export
    from medgui.cli import features as cli_features
    from medgui.cli import findings as cli_findings
    from medgui.cli import generate as cli_generate
    from medgui.cli import ml as cli_ml
    from medgui.cli import pacs as cli_pacs
    from medgui.cli import propagate as cli_propagate
    from medgui.cli import report as cli_report
    from medgui.cli import selftest

    modules = (cli_ml, cli_propagate, cli_export, cli_report, selftest) + (
        cli_findings, cli_features, cli_generate, cli_pacs
    )
    for module in modules:
        module.add_commands(sub)
    return parser


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medgui",
        description="medgui: read, annotate, train and report on medical images. "
        f"Sub-commands: {', '.join(COMMANDS)} (medgui COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"medgui {__version__}")
    parser.add_argument("path", nargs="?", help="a file, folder or DICOMDIR to open")
    parser.add_argument("--demo", action="store_true", help="open the built-in demo study")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `medgui` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = _subcommand_parser().parse_args(argv)
        # A file name that is not valid UTF-8 (an old CD's Latin-1 name) must not stop the output.
        # Only real text streams can be reconfigured (a caller may have redirected to StringIO).
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
        from medgui.core.io.series_choice import SeriesChoiceError

        try:
            return args.func(args)
        except SeriesChoiceError as exc:
            print(f"error: {exc}\n(pick one with --series UID|NUMBER|DESCRIPTION)", file=sys.stderr)
            return 1
        except (ValueError, FileNotFoundError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    args = _gui_parser().parse_args(argv)
    from medgui.app import run_app

    return run_app(path=Path(args.path) if args.path else None, demo=args.demo)
