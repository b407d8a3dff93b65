"""The `medgui train` and `medgui infer` sub-commands (headless; also under torchrun).

`add_commands(subparsers)` adds both to the `medgui` parser; each sets ``func`` to its command
function, which returns the exit status. Progress goes to stderr (tqdm); `train` ends with one
JSON line of the final metrics on stdout, so scripts can read it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from medgui.cli.train_progress import consume
from medgui.ml.models.catalogue import TASKS, VALIDATION_CHOICES, task_entry, task_names

COMMANDS = ("train", "infer")


def _option(text: str) -> tuple[str, Any]:
    """KEY=VALUE with VALUE as JSON when it parses (numbers, lists, true) else as text."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `train` and `infer` to the `medgui` sub-command parsers."""
    p = sub.add_parser("train", help="train a model on image and label folders or a workspace")
    p.add_argument(
        "--task",
        default=task_names()[0],
        choices=task_names(),
        help=f"what to learn (default: {task_names()[0]})",
    )
    data = p.add_argument_group("data (folders, or a workspace)")
    data.add_argument(
        "--images",
        metavar="DIR",
        help="images (segment: NIfTI/NRRD/MHA files or "
        "DICOM series folders; classify: one sub-folder per class)",
    )
    data.add_argument("--labels", metavar="DIR", help="label maps named like their images")
    data.add_argument(
        "--unlabelled",
        metavar="DIR",
        help="classify with --method gan/fixmatch: unlabelled images (PNG, JPEG, DICOM; "
        "searched recursively, all of the labelled images' size)",
    )
    data.add_argument("--workspace", metavar="DIR", help="train on a medgui workspace instead")
    data.add_argument(
        "--records",
        metavar="DIR",
        help="beats: WFDB records (NAME.hea + signal files) with reference annotations NAME.atr",
    )
    data.add_argument(
        "--table", metavar="CSV", help="table: a case table (one row per case) to learn from"
    )
    data.add_argument("--target", metavar="COLUMN", help="table: the column to predict")
    data.add_argument(
        "--id", default="id", metavar="COLUMN", help="table: the rows' id column (default: id)"
    )
    data.add_argument(
        "--reports",
        metavar="CSV",
        help="report: a CSV of reports with the columns id,text,labels (labels separated by ';')",
    )
    p.add_argument(
        "--out",
        metavar="MODEL_DIR",
        required=True,
        help="where the model (weights.safetensors, card.json) and checkpoints go",
    )
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument(
        "--minutes", type=float, help="wall-clock budget: stop after the epoch that crosses it"
    )
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--deterministic", action="store_true", help="deterministic kernels only")
    p.add_argument("--val-split", type=float, default=0.2, help="fraction for validation")
    p.add_argument(
        "--validation",
        choices=VALIDATION_CHOICES,
        default="patient",
        help="keep validation data apart by patient (default), by series (one patient may be "
        "on both sides), or none (no validation: the last epoch is kept)",
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    networks = ", ".join(f"{t.name}: {', '.join(t.network_names)}" for t in TASKS)
    p.add_argument(
        "--model", default="", help=f"the task's network (default: the task's own; {networks})"
    )
    p.add_argument(
        "--method",
        choices=("supervised", "gan", "fixmatch"),
        default="supervised",
        help="classify: supervised (default), or learn from --unlabelled images too: gan (a "
        "semi-supervised GAN that can also draw images: medgui generate) or fixmatch",
    )
    p.add_argument("--patience", type=int, default=10, help="early stopping (0: off)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument(
        "--flip",
        action="store_true",
        help="mirror images left-right when augmenting (off by default: left and right are "
        "anatomy; use only for targets without laterality)",
    )
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--workers", type=int, default=0, help="data loader processes")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.add_argument("--resume", action="store_true", help="continue MODEL_DIR's checkpoint")
    p.add_argument(
        "--option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="task option, e.g. patch_size=128 or channels=[8,16,32]",
    )
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("infer", help="run a trained model on an image (or images)")
    p.add_argument("--model", metavar="MODEL_DIR", required=True)
    p.add_argument(
        "input",
        help="segment: a series or image file; classify: image or folder; beats: a WFDB "
        "record (.hea) or DICOM waveform; table: a CSV of cases; report: a CSV with the "
        "columns id,text",
    )
    p.add_argument(
        "output",
        help="segment: label map .nii.gz/.nrrd or DICOM SEG .dcm; classify, table: .json; "
        "beats: .csv (sample, time_s, symbol) or a WFDB annotation file (.atr, .qrs...); "
        "report: .json ({id: {label: probability}})",
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.set_defaults(func=cmd_infer)


def _config(args: argparse.Namespace):
    from medgui.ml.models.task import TrainConfig

    options = dict(args.option)
    if args.method != "supervised":
        if args.task != "classify":
            raise ValueError(f"--method {args.method} is for --task classify")
        options["method"] = args.method
    if args.flip:
        options.setdefault("flip", task_entry(args.task).flip_on)
    return TrainConfig(
        task=args.task,
        model=args.model,
        epochs=args.epochs,
        minutes=args.minutes,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        device=args.device,
        seed=args.seed,
        deterministic=args.deterministic,
        val_split=args.val_split,
        validation=args.validation,
        augment=not args.no_augment,
        amp=not args.no_amp,
        early_stopping_patience=args.patience,
        num_workers=args.workers,
        out_dir=str(args.out),
        options=options,
    )


def cmd_train(args: argparse.Namespace) -> int:
    """`medgui train`: train, write MODEL_DIR, print the final metrics as JSON."""
    import torch

    from medgui.ml.models.task import get_task
    from medgui.ml.training import distributed
    from medgui.ml.training.trainer import trainer_for

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.task == "table" or args.table:
        return _train_table(args)
    if args.unlabelled and args.task != "classify":
        print("error: --unlabelled DIR is for --task classify", file=sys.stderr)
        return 2
    if args.workspace:
        from medgui.core.workspace.layout import WORKSPACE_FILE, is_workspace
        from medgui.core.workspace.store import Workspace

        if not is_workspace(args.workspace):
            raise ValueError(f"{args.workspace}: not a medgui workspace (no {WORKSPACE_FILE})")
        sources: Any = Workspace(args.workspace)  # every task reads a Workspace
        if args.unlabelled:
            sources = {"source": sources, "unlabelled": args.unlabelled}
    elif args.records:
        if args.task != "beats":
            print("error: --records DIR is for --task beats", file=sys.stderr)
            return 2
        sources = Path(args.records)
    elif args.reports:
        if args.task != "report":
            print("error: --reports CSV is for --task report", file=sys.stderr)
            return 2
        sources = Path(args.reports)
    elif args.images:
        sources = {"images": args.images, "labels": args.labels, "unlabelled": args.unlabelled}
    else:
        print(
            "error: give --images DIR (with --labels DIR to segment), --records DIR (beats), "
            "--reports CSV (report) or --workspace DIR",
            file=sys.stderr,
        )
        return 2
    config = _config(args)
    context, choice = distributed.setup(config.device)
    # A run that fails leaves no half-made model folder (its checkpoint, its split key) behind.
    fresh = not Path(args.out).exists()
    try:
        trainer = trainer_for(get_task(config.task), config, device=choice, distributed=context)
        resume = Path(args.out) / "checkpoint" if args.resume else None
        if context.is_main:
            print(f"device: {choice.reason}", file=sys.stderr)
        result = consume(trainer.run(sources, resume_from=resume), context.is_main)
        distributed.finish(context)
    except BaseException:
        if fresh and context.is_main:
            shutil.rmtree(args.out, ignore_errors=True)
        raise
    finally:
        distributed.shutdown(context)
    if context.is_main:
        for problem in result.model.card.split.get("info", {}).get("problems", []):
            print(f"warning: {problem}", file=sys.stderr)
        print(json.dumps(result.summary()))
    return 0


def _train_table(args: argparse.Namespace) -> int:
    """`medgui train --task table`: cross-validated MLP and baselines on a CSV (one process)."""
    from medgui.ml.tables.data import read_table
    from medgui.ml.tables.train import DEFAULT_FOLDS, train_table

    if args.task != "table" or not args.table or not args.target:
        print("error: a case table needs --task table --table CSV --target COLUMN", file=sys.stderr)
        return 2
    data = read_table(args.table, args.target, args.id)
    config = _config(args)
    fresh = not Path(args.out).exists()
    try:
        folds = int(config.options.get("folds", DEFAULT_FOLDS))
        result = consume(train_table(config, data, folds=folds), True)
    except BaseException:
        if fresh:
            shutil.rmtree(args.out, ignore_errors=True)
        raise
    print(json.dumps(result.summary()))
    return 0


def _infer_segmentation(trained, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from medgui.core import load_volume
    from medgui.core.labels.io import label_format, save_label_map, table_path_for
    from medgui.core.labels.seg import export_seg
    from medgui.ml.models.write_errors import writing
    from medgui.ml.segmentation.infer import segment_volume

    label_format(args.output)  # a wrong suffix is refused before the model runs

    volume = load_volume(args.input)
    with tqdm(desc="segmenting", unit="slice", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        proposal = segment_volume(trained, volume, progress)
    out = Path(args.output)
    if label_format(out) == "seg":
        card = trained.card
        version = str(card.model_version) if card.model_version else card.created_at
        algorithm = (card.name or card.model or card.task, version)
        with writing(out):
            export_seg(proposal.labels, volume, out, fractional=False, algorithm=algorithm)
    else:
        # The label map and its table sidecar are one result: a failure leaves neither.
        with writing(out, table_path_for(out)):
            save_label_map(proposal.labels, out)
    found = [lb.name for lb in proposal.labels.table.labels if proposal.labels.mask(lb.value).any()]
    print(f"wrote {out} ({', '.join(found) or 'nothing found'})")
    return 0


def cmd_infer(args: argparse.Namespace) -> int:
    """`medgui infer`: segmentation writes a label map (or DICOM SEG) on the input's grid;
    other tasks do their own file inference (``task.infer_files(model_dir, input, output)``,
    which returns {path: reason} for the inputs it could not read)."""
    import torch

    from medgui.ml.models.card import read_card
    from medgui.ml.models.registry import CARD
    from medgui.ml.models.task import get_task
    from medgui.ml.models.write_errors import writing
    from medgui.ml.runtime.device import pick_device
    from medgui.ml.training.checkpoint import TrainedModel

    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = Path(args.model)
    if not (model_dir / CARD).is_file():
        raise ValueError(f"{model_dir}: not a model folder (no {CARD})")
    card = read_card(model_dir / CARD)
    if card.task == "segment":
        return _infer_segmentation(
            TrainedModel.load(model_dir, pick_device(args.device).device), args
        )
    infer_files = getattr(get_task(card.task), "infer_files", None)
    if infer_files is None:
        print(f"error: task {card.task!r} has no file inference", file=sys.stderr)
        return 2
    with writing(args.output):
        problems = infer_files(model_dir, Path(args.input), Path(args.output)) or {}
    for path, reason in problems.items():
        print(f"warning: {path}: {reason}", file=sys.stderr)
    print(f"wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m medgui.cli.ml train|infer ...` (what torchrun runs before the wiring in
    `medgui.cli`)."""
    parser = argparse.ArgumentParser(prog="medgui")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
