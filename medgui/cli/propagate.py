"""The `medgui propagate` sub-command: fill the unlabelled slices of a partly labelled series.

``medgui propagate IMAGE PARTIAL_LABELS OUT [--minutes M]`` trains a small 2-D model on the
labelled slices of PARTIAL_LABELS (`medgui.ml.segmentation.propagate`) and writes OUT, a label
map on IMAGE's grid in which the labelled slices are kept exactly and the others are filled.
IMAGE is a NIfTI/NRRD/MHA file or a DICOM series (folder or file); PARTIAL_LABELS a NIfTI/NRRD
label map, a DICOM SEG (.dcm) or a DICOM series of label values (folder); OUT a .nii.gz/.nrrd or
a DICOM SEG (.dcm). Prints one JSON line (slices given, filled, seconds) on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

COMMANDS = ("propagate",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `propagate` to the `medgui` sub-command parsers."""
    p = sub.add_parser("propagate", help="label a few slices, let a small model fill the others")
    p.add_argument("image", help="image: NIfTI/NRRD/MHA file or DICOM series")
    p.add_argument(
        "partial_labels", help="label map with a few labelled slices: NIfTI/NRRD, DICOM SEG "
        "(.dcm) or a DICOM series folder of label values",
    )  # fmt: skip
    p.add_argument("out", help="where the filled label map goes: .nii.gz/.nrrd or SEG .dcm")
    p.add_argument("--minutes", type=float, default=None, help="time budget (default 0.75)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_propagate)


def read_partial_labels(path: str | Path, image):
    """The partial label map at `path` on `image`'s grid (ValueError naming the file if it is
    on another grid or not a label map)."""
    from medgui.core.labels.io import load_label_map
    from medgui.core.labels.labelmap import LabelMap

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    from medgui.core.labels.seg_read import import_seg, is_seg_file

    if is_seg_file(path):
        return import_seg(path, image)
    if path.is_dir():
        from medgui.core import load_volume

        volume = load_volume(path)
        if volume.array.dtype.kind not in "iu":
            raise ValueError(f"{path}: not a label series (its values are not integers)")
        labelmap = LabelMap([volume.array], volume.spacing_mm, volume.origin, volume.direction)
        if not labelmap.matches(image):
            raise ValueError(f"{path}: the labels' grid does not match the image's")
        return labelmap
    return load_label_map(path, image)


def cmd_propagate(args: argparse.Namespace) -> int:
    """`medgui propagate`: read, propagate, write OUT, print the figures as JSON."""
    from medgui.core import load_volume
    from medgui.core.labels.io import label_format, save_label_map
    from medgui.ml.segmentation.data import flatten_layers
    from medgui.ml.segmentation.propagate import DEFAULT_MINUTES, propagate

    label_format(args.out)  # a wrong suffix is refused before the minutes of training
    started = time.monotonic()
    image = load_volume(args.image)
    partial = read_partial_labels(args.partial_labels, image)
    flat = flatten_layers(partial)
    minutes = DEFAULT_MINUTES if args.minutes is None else args.minutes
    print(f"propagating for up to {minutes:g} minutes…", file=sys.stderr)
    proposal = propagate(
        image, flat, minutes=minutes, device=args.device, table=partial.table, seed=args.seed
    )
    out = proposal.labels  # on the image's grid, with the partial map's table
    target = Path(args.out)
    if label_format(target) == "seg":
        from medgui.core.labels.seg import export_seg

        export_seg(out, image, target)
    else:
        save_label_map(out, target)
    given = proposal.model["given_slices"]
    print(
        json.dumps(
            {
                "given_slices": len(given),
                "filled_slices": image.shape_zyx[0] - len(given),
                "training_steps": proposal.model["steps"],
                "seconds": round(time.monotonic() - started, 1),
                "out": str(target),
            }
        )
    )
    return 0
