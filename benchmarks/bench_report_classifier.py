"""The report classifier against TF-IDF + logistic regression on the same split.

Data: generated chest-radiograph reports with the CheXpert 14 labels (tests/ml/
report_corpus_testing.py: negation, hedging, comparisons, indications that name what the
report rules out, typos, 3 % label noise); no report corpus ships with any package. The
network trains through medgui's trainer on TRAIN (its own stratified 80/20 split: the
thresholds come from that validation part); the baseline (scikit-learn: word 1-2-gram TF-IDF,
one-vs-rest logistic regression with balanced class weights) trains on the same training
reports and takes its C (1, 10, 100) and per-label thresholds (best F1) from the same
validation reports. Both are scored on held-out TEST reports from another seed: macro F1 at
the chosen thresholds and macro AUC, with the training time of each. Everything runs on the CPU.

Run: .venv/bin/python benchmarks/bench_report_classifier.py [--train N] [--test N]
     [--networks bigru,cnn] [--epochs E] [--minutes M]
Prints a table, then (last line) one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "ml"))
from report_corpus_testing import LABELS, make_reports, write_reports_csv  # noqa: E402

from medgui.ml.models.task import TrainConfig, get_task  # noqa: E402
from medgui.ml.text.infer import ReportModel  # noqa: E402
from medgui.ml.text.metrics import best_threshold, scores  # noqa: E402
from medgui.ml.training.events import EpochDone, Finished  # noqa: E402
from medgui.ml.training.trainer import Trainer  # noqa: E402


def label_matrix(reports) -> np.ndarray:
    return np.array([[name in r.labels for name in LABELS] for r in reports], np.float32)


def baseline(train, val, test) -> dict:
    """TF-IDF + one-vs-rest logistic regression, its C (1, 10 or 100) and per-label thresholds
    chosen on `val` (macro F1), scored on `test`; train_s is the chosen C's fit."""
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectoriser.fit_transform([r.text for r in train])
    x_val, y_val = vectoriser.transform([r.text for r in val]), label_matrix(val)
    best = None
    for c in (1.0, 10.0, 100.0):
        start, cpu = time.perf_counter(), time.process_time()
        model = OneVsRestClassifier(
            LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        ).fit(x, label_matrix(train))
        seconds = time.perf_counter() - start, time.process_time() - cpu
        p_val = model.predict_proba(x_val)
        thresholds = np.array(
            [best_threshold(p_val[:, k], y_val[:, k])[0] for k in range(len(LABELS))]
        )
        f1 = scores(p_val, y_val, thresholds, list(LABELS))["macro_f1"]
        if best is None or f1 > best[0]:
            best = (f1, c, model, thresholds, seconds)
    _f1, c, model, thresholds, seconds = best
    p_test = model.predict_proba(vectoriser.transform([r.text for r in test]))
    return scores(p_test, label_matrix(test), thresholds, list(LABELS)) | {
        "train_s": seconds[0],
        "train_cpu_s": seconds[1],
        "C": c,
    }


def network(kind: str, csv_path: Path, test, args, folder: Path) -> tuple[dict, list[str]]:
    """Train `kind` with medgui's trainer; its test scores and the validation ids it used."""
    config = TrainConfig(
        task="report", model=kind, epochs=args.epochs, minutes=args.minutes,
        batch_size=32, learning_rate=2e-3, device="cpu", early_stopping_patience=4,
        out_dir=str(folder / kind), options={"labels": list(LABELS), "max_tokens": 256},
    )  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    result = None
    for event in Trainer(get_task("report"), config).run(csv_path):
        if isinstance(event, EpochDone):
            shown = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items())
            print(f"{kind} epoch {event.epoch}: {shown}", file=sys.stderr, flush=True)
        elif isinstance(event, Finished):
            result = event.result
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    model = ReportModel.load(folder / kind)
    p = model.probabilities([r.text for r in test])
    out = scores(p, label_matrix(test), model.thresholds, list(LABELS))
    out |= {
        "train_s": seconds,
        "train_cpu_s": cpu,
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
    }
    return out, list(result.model.card.split["val"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=4000, help="training + validation reports")
    parser.add_argument("--test", type=int, default=1500)
    parser.add_argument("--networks", default="bigru,cnn")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    reports, test = make_reports(args.train, seed=1), make_reports(args.test, seed=2)
    figures: dict = {"train_reports": args.train, "test_reports": args.test}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = write_reports_csv(folder / "train.csv", reports)
        results, val_ids = {}, None
        for kind in args.networks.split(","):
            results[kind], val_ids = network(kind, csv_path, test, args, folder)
    held = set(val_ids)  # the trainer's split is seeded: the same for every network
    val = [r for r in reports if r.id in held]
    train = [r for r in reports if r.id not in held]
    results["tfidf_logreg"] = baseline(train, val, test)
    base = results["tfidf_logreg"]
    print(f"{'model':14} {'macro F1':>9} {'macro AUC':>10} {'train s':>8} {'CPU s':>8}")
    for name, r in results.items():
        print(
            f"{name:14} {r['macro_f1']:9.4f} {r['macro_auc']:10.4f} {r['train_s']:8.1f} "
            f"{r['train_cpu_s']:8.1f}"
        )
    print("per-label F1 (test):")
    for label in LABELS:
        row = "  ".join(f"{n}={r.get(f'f1_{label}', float('nan')):.3f}" for n, r in results.items())
        print(f"  {label:27} {row}")
    for name, r in results.items():
        keep = {k: round(v, 4) for k, v in r.items() if not k.startswith(("f1_", "auc_"))}
        figures[name] = keep
        if name != "tfidf_logreg":
            figures[name] |= {
                "f1_ratio_vs_baseline": round(r["macro_f1"] / base["macro_f1"], 4),
                "auc_ratio_vs_baseline": round(r["macro_auc"] / base["macro_auc"], 4),
                "train_time_ratio_vs_baseline": round(r["train_s"] / base["train_s"], 2),
                "train_cpu_ratio_vs_baseline": round(r["train_cpu_s"] / base["train_cpu_s"], 2),
            }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
