"""Shared helpers for the report-text tests and the findings benchmark: the labelled sentence
set and its scores."""

from __future__ import annotations

from pathlib import Path

SENTENCES = Path(__file__).parent / "text" / "findings_sentences.tsv"
STATUSES = ("positive", "negative", "uncertain")


def labelled_sentences(path: Path = SENTENCES) -> list[tuple[str, dict[str, str]]]:
    """(sentence, {finding: status}) for each line of the labelled set."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentence, _, labels = line.partition("\t")
        pairs = (item.split("=", 1) for item in labels.split(";") if item)
        rows.append((sentence, {finding: status for finding, status in pairs}))
    return rows


def score(gold: list[dict[str, str]], predicted: list[dict[str, str]]) -> dict[str, float]:
    """Per-status precision, recall and F1 over (sentence, finding) pairs, and their macro
    F1; a finding missed or invented counts against the status it should have or was given.
    An implicit "No Finding" (one the sentence does not state) is not scored."""
    counts = {s: {"tp": 0, "fp": 0, "fn": 0} for s in STATUSES}
    for truth, guess in zip(gold, predicted, strict=True):
        for finding in set(truth) | set(guess):
            t, g = truth.get(finding), guess.get(finding)
            if t == g:
                counts[t]["tp"] += 1
                continue
            if g is not None:
                counts[g]["fp"] += 1
            if t is not None:
                counts[t]["fn"] += 1
    out: dict[str, float] = {}
    for status, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        out |= {f"{status}_precision": p, f"{status}_recall": r}
        out[f"{status}_f1"] = 2 * p * r / (p + r) if p + r else 0.0
    out["macro_f1"] = sum(out[f"{s}_f1"] for s in STATUSES) / len(STATUSES)
    return out


def predicted_statuses(extractor, sentence: str) -> dict[str, str]:
    """{finding: status} the extractor gives `sentence`, without an implicit No Finding."""
    return {f.finding: f.status for f in extractor.extract(sentence) if f.sentence}
