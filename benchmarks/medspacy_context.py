"""medspaCy's ConText on sentences, for bench_findings.py: run by a Python that has medspaCy.

Reads {"terms": {finding: [regex]}, "absent": {finding: [regex]}, "sentences": [...]} as JSON
on stdin; writes [[[finding, status], ...] per sentence] and the seconds spent as JSON on
stdout. The targets are medgui's own terms (the same regular expressions), so only the
negation/uncertainty logic differs: medspaCy's default ConText rules and its sentence splitter.
"""

import json
import sys
import time

import medspacy
from loguru import logger
from medspacy.ner import TargetRule

logger.remove()  # PyRuSH logs every token at DEBUG


def main() -> None:
    request = json.load(sys.stdin)
    nlp = medspacy.load()
    rules = [
        TargetRule(f"{name}:{n}", name, pattern=rf"(?i)\b(?:{term})(?:e?s)?\b")
        for name, terms in request["terms"].items()
        for n, term in enumerate(terms)
    ]
    rules += [
        TargetRule(f"absent:{name}:{n}", f"absent:{name}", pattern=rf"(?i)\b(?:{term})\b")
        for name, terms in request["absent"].items()
        for n, term in enumerate(terms)
    ]
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    start, out = time.perf_counter(), []
    for sentence in request["sentences"]:
        found = []
        for ent in nlp(sentence).ents:
            label = ent.label_
            if label.startswith("absent:"):
                found.append([label.split(":", 1)[1], "negative"])
            elif label == "No Finding":
                found.append([label, "positive"])
            elif ent._.is_negated:
                found.append([label, "negative"])
            elif ent._.is_uncertain or ent._.is_hypothetical:
                found.append([label, "uncertain"])
            else:
                found.append([label, "positive"])
        out.append(found)
    json.dump({"mentions": out, "seconds": time.perf_counter() - start}, sys.stdout)


if __name__ == "__main__":
    main()
