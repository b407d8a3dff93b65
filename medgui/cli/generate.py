"""The `medgui generate` sub-command: images of each class drawn by a model trained with
``medgui train --task classify --method gan``, as PNGs in one folder per class (ImageFolder
layout). Near-copies of training images are not written; the counts go to stdout as JSON."""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `generate` to the `medgui` sub-command parsers."""
    p = sub.add_parser(
        "generate", help="draw images of each class from a GAN-trained classifier (PNGs)"
    )
    p.add_argument("--model", metavar="MODEL_DIR", required=True, help="trained with --method gan")
    p.add_argument("--per-class", type=int, default=16, help="images per class (default 16)")
    p.add_argument("--out", metavar="DIR", required=True, help="DIR/<class>/*.png are written")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    """Write the images; one line per class on stderr, the counts as JSON on stdout."""
    from medgui.ml.classification.generate import generate_per_class

    report = generate_per_class(args.model, args.per_class, args.out, args.seed)
    for name, counts in report.items():
        note = f", {counts['near_copies']} near-copies left out" if counts["near_copies"] else ""
        print(f"{name}: {counts['written']} written{note}", file=sys.stderr)
    short = [n for n, c in report.items() if c["written"] < args.per_class]
    if short:
        print(
            f"warning: fewer than {args.per_class} images for {', '.join(short)}: the generator "
            "kept drawing near-copies of training images",
            file=sys.stderr,
        )
    print(json.dumps({"out": str(args.out), "classes": report}))
    return 0
