"""The findings extractor's negation and uncertainty, scored on labelled report sentences.

Two sets in tests/core/text: the development set (the rules were tuned on it) and a held-out
set written afterwards. For each: per-status precision, recall and F1 (positive, negative,
uncertain) over (sentence, finding) pairs and their macro F1, for medgui's rules and, with
``--medspacy-python PATH`` (a Python with medspaCy installed), for medspaCy's ConText on the
same targets in a subprocess; and sentences per second.

Run: .venv/bin/python benchmarks/bench_findings.py [--medspacy-python /tmp/mspacy/bin/python]
Prints a table, then (last line) one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "core"))
from text_testing import SENTENCES, labelled_sentences, score  # noqa: E402

from medgui.core.text.findings import FindingsExtractor, Mention, aggregate  # noqa: E402

SETS = {"dev": SENTENCES, "heldout": SENTENCES.with_name("findings_heldout.tsv")}


def statuses(findings) -> dict[str, str]:
    return {f.finding: f.status for f in findings if f.sentence}


def run_rules(extractor: FindingsExtractor, sentences: list[str]) -> tuple[list, float]:
    start = time.perf_counter()
    out = [statuses(extractor.extract(s)) for s in sentences]
    return out, time.perf_counter() - start


def run_medspacy(python: str, extractor: FindingsExtractor, sentences: list[str]):
    request = {
        "terms": extractor.vocabulary.terms,
        "absent": extractor.vocabulary.absent,
        "sentences": sentences,
    }
    script = Path(__file__).with_name("medspacy_context.py")
    done = subprocess.run(
        [python, str(script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    answer = json.loads(done.stdout)
    order = extractor.vocabulary.findings
    out = []
    for sentence, found in zip(sentences, answer["mentions"], strict=True):
        mentions = [Mention(name, status, sentence, 0, 0) for name, status in found]
        out.append(statuses(aggregate(mentions, order)))
    return out, answer["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medspacy-python", help="a Python interpreter with medspaCy")
    args = parser.parse_args()
    extractor = FindingsExtractor()
    figures: dict[str, float] = {}
    for set_name, path in SETS.items():
        rows = labelled_sentences(path)
        sentences, gold = [s for s, _ in rows], [g for _, g in rows]
        runs = {"rules": run_rules(extractor, sentences)}
        if args.medspacy_python:
            runs["medspacy"] = run_medspacy(args.medspacy_python, extractor, sentences)
        print(f"\n{set_name}: {len(rows)} sentences")
        print(
            f"{'':10}"
            + "".join(
                f"{k:>22}"
                for k in (
                    "positive P/R/F1",
                    "negative P/R/F1",
                    "uncertain P/R/F1",
                    "macro F1  sent/s",
                )
            )
        )
        for name, (predicted, seconds) in runs.items():
            s = score(gold, predicted)
            cells = [
                f"{s[st + '_precision']:.2f}/{s[st + '_recall']:.2f}/{s[st + '_f1']:.2f}"
                for st in ("positive", "negative", "uncertain")
            ]
            rate = len(sentences) / max(seconds, 1e-9)
            print(
                f"{name:10}"
                + "".join(f"{c:>22}" for c in cells)
                + f"{s['macro_f1']:>12.3f}{rate:>10.0f}"
            )
            figures |= {f"{set_name}_{name}_{k}": round(v, 4) for k, v in s.items()}
            figures[f"{set_name}_{name}_sentences_per_s"] = round(rate, 1)
        if "medspacy" in runs:
            ratio = figures[f"{set_name}_rules_macro_f1"] / max(
                figures[f"{set_name}_medspacy_macro_f1"], 1e-9
            )
            figures[f"{set_name}_macro_f1_ratio_rules_over_medspacy"] = round(ratio, 3)
            print(f"macro F1 rules / medspaCy: {ratio:.2f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
