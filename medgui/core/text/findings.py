"""Findings read from report text, with ConText-style negation and uncertainty.

Each sentence (bounded by ``.``, ``!``, ``;``, ``:`` or a line break; "vs." and "Dr." do not end
one) is searched for finding terms and triggers; overlapping matches keep the longest, so
"cannot exclude" is one uncertainty trigger and not a negation "not", and "no change" is a
pseudo-trigger that negates nothing. A pre-trigger modifies the findings after it and a
post-trigger those before it, up to a terminator ("but", "however", "although", ...), the
sentence's end or a window of words; when several reach a finding the nearest wins (a tie goes
to negation). A finding with no trigger is positive.

Per report, a finding's status is positive if any mention is, else uncertain if any is, else
negative (the CheXpert labeler's aggregation). "No Finding" is positive only when no other
finding (support devices aside) is positive or uncertain; it is reported when the report says
it ("no acute cardiopulmonary process") or when every finding it mentions is negative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from medgui.core.text import vocabulary as vocab
from medgui.core.text.vocabulary import NO_FINDING, SUPPORT_DEVICES, Vocabulary

POSITIVE, NEGATIVE, UNCERTAIN = "positive", "negative", "uncertain"
STATUSES = (POSITIVE, NEGATIVE, UNCERTAIN)
_RANK = {POSITIVE: 2, UNCERTAIN: 1, NEGATIVE: 0}
PRE_WINDOW_WORDS, POST_WINDOW_WORDS = 12, 6
_ABBREVIATIONS = r"(?<!\bvs)(?<!\bdr)(?<!\bmr)(?<!\bmrs)(?<!\bapprox)(?<!\be\.g)(?<!\bi\.e)"
_SENTENCE_END = re.compile(_ABBREVIATIONS + r"[.!;:](?=\s|$)|\n\s*\n?|\r\n?", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# "No opacity to suggest pneumonia": a negation that reaches these hedges negates the finding.
_NEGATABLE_HEDGE = re.compile(r"(?:to )?suggest|suspicious|concerning", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """One mention of `finding` in the text, at ``text[start:end]``, with its `status`, the
    `sentence` that holds it and the `trigger` that set the status ("" when none did)."""

    finding: str
    status: str
    sentence: str
    start: int
    end: int
    trigger: str = ""


@dataclass(frozen=True)
class Finding:
    """A finding's status in one report, the sentence that decided it and every mention."""

    finding: str
    status: str
    sentence: str
    mentions: tuple[Mention, ...] = ()


def _bounded(fragment: str, plural: bool = False) -> str:
    tail = r"(?:e?s)?" if plural else ""
    return rf"(?<![\w-])(?:{fragment}){tail}(?![\w-])" if fragment != r"\?" else r"\?"


def _alternation(fragments: Iterable[str], plural: bool = False) -> re.Pattern:
    ordered = sorted(set(fragments), key=len, reverse=True)
    return re.compile("|".join(_bounded(f, plural) for f in ordered), re.IGNORECASE)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence of `text`."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip(" \t\r\n.!;:")]


class FindingsExtractor:
    """Findings of a `Vocabulary` (the CheXpert 14 by default) in report text."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or vocab.chexpert_vocabulary()
        both = set(vocab.UNCERTAIN_BEFORE) & set(vocab.UNCERTAIN_AFTER)
        # (kind, finding or "", pattern); a match's kind decides what it does.
        self._patterns: list[tuple[str, str, re.Pattern]] = [
            ("target", name, _alternation(terms, plural=True))
            for name, terms in self.vocabulary.terms.items()
            if terms
        ]
        self._patterns += [
            ("absent", name, _alternation(terms)) for name, terms in self.vocabulary.absent.items()
        ]
        self._patterns += [
            ("ignore", "", _alternation(vocab.IGNORED_TERMS, plural=True)),
            ("neg_pre", "", _alternation(vocab.NEGATION_BEFORE)),
            ("neg_post", "", _alternation(vocab.NEGATION_AFTER)),
            ("unc_pre", "", _alternation(set(vocab.UNCERTAIN_BEFORE) - both)),
            ("unc_post", "", _alternation(set(vocab.UNCERTAIN_AFTER) - both)),
            ("unc_both", "", _alternation(both)),
            ("pseudo", "", _alternation(vocab.PSEUDO_TRIGGERS)),
            ("term", "", _alternation(vocab.TERMINATORS)),
        ]

    def _matches(self, sentence: str) -> list[tuple[int, int, str, str]]:
        """Non-overlapping (start, end, kind, finding) in `sentence`, longest first."""
        found = [
            (m.start(), m.end(), kind, name)
            for kind, name, pattern in self._patterns
            for m in pattern.finditer(sentence)
            if m.end() > m.start()
        ]
        found.sort(key=lambda f: (f[0] - f[1], f[0]))
        taken: list[tuple[int, int, str, str]] = []
        for item in found:
            if all(item[1] <= t[0] or item[0] >= t[1] for t in taken):
                taken.append(item)
        return sorted(taken)

    def mentions(self, text: str) -> list[Mention]:
        """Every finding mention in `text` with its status, in reading order."""
        out = []
        for a, b in sentences(text):
            sentence = text[a:b]
            matches = self._matches(sentence)
            for start, end, kind, name in matches:
                if kind == "absent":
                    status, trigger = NEGATIVE, sentence[start:end]
                elif kind == "target" and name == NO_FINDING:
                    status, trigger = POSITIVE, ""
                elif kind == "target":
                    status, trigger = _status(sentence, matches, start, end)
                else:
                    continue
                out.append(Mention(name, status, sentence.strip(), a + start, a + end, trigger))
        return out

    def extract(self, text: str) -> list[Finding]:
        """One `Finding` per finding the report mentions (the vocabulary's order), with the
        "No Finding" rule of the module docstring."""
        return aggregate(self.mentions(text), self.vocabulary.findings)


def aggregate(mentions: Iterable[Mention], order: list[str]) -> list[Finding]:
    """A report's findings from its `mentions` (see the module docstring), in `order` (names
    not in it last)."""
    by_finding: dict[str, list[Mention]] = {}
    for mention in mentions:
        by_finding.setdefault(mention.finding, []).append(mention)
    results = {}
    for name, found in by_finding.items():
        best = max(found, key=lambda m: _RANK[m.status])  # the first of the highest rank
        results[name] = Finding(name, best.status, best.sentence, tuple(found))
    abnormal = [
        f
        for n, f in results.items()
        if n not in (NO_FINDING, SUPPORT_DEVICES) and f.status != NEGATIVE
    ]
    normal = results.get(NO_FINDING)
    if normal is not None and abnormal:
        results[NO_FINDING] = Finding(NO_FINDING, NEGATIVE, normal.sentence, normal.mentions)
    elif normal is None and not abnormal and any(n != SUPPORT_DEVICES for n in results):
        results[NO_FINDING] = Finding(NO_FINDING, POSITIVE, "")
    rank = {name: n for n, name in enumerate(order)}
    return sorted(results.values(), key=lambda f: rank.get(f.finding, len(rank)))


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _status(sentence: str, matches, start: int, end: int) -> tuple[str, str]:
    """The status of the target at sentence[start:end]: the nearest trigger that reaches it."""
    best: tuple[int, int, str, str] | None = None  # (distance, tie-break, status, trigger)
    negations = 0  # pre-negations that reach the target
    for t_start, t_end, kind, _name in matches:
        if t_end <= start and kind in ("neg_pre", "unc_pre", "unc_both"):
            between, window = (t_end, start), PRE_WINDOW_WORDS
        elif t_start >= end and kind in ("neg_post", "unc_post", "unc_both"):
            between, window = (end, t_start), POST_WINDOW_WORDS
        else:
            continue
        blocked = any(k == "term" and between[0] <= s and e <= between[1] for s, e, k, _ in matches)
        distance = _words(sentence[between[0] : between[1]])
        if blocked or distance > window:
            continue
        status = NEGATIVE if kind.startswith("neg") else UNCERTAIN
        candidate = (distance, 0 if status == NEGATIVE else 1, status, sentence[t_start:t_end])
        negations += status == NEGATIVE and t_end <= start
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None:
        return POSITIVE, ""
    if best[2] == UNCERTAIN and negations and _NEGATABLE_HEDGE.match(best[3]):
        return NEGATIVE, best[3]
    return best[2], best[3]
