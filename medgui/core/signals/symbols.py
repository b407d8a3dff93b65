"""MIT-BIH annotation symbols, and turning annotation text from other formats into them.

WFDB files carry the symbols themselves; EDF+ and DICOM carry free text. Text that is a symbol
("N", "V") becomes a beat, text such as "(AFIB" a rhythm change, anything else a comment with
the text in ``aux``, so that no annotation is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from medgui.core.signals.signal import Annotation

COMMENT = '"'
RHYTHM_CHANGE = "+"
# The standard WFDB annotation codes (wfdb's ann_label_table, codes 1-41).
MIT_BIH_SYMBOLS = frozenset('NLRaVFJASEj/Q~|sT*D"=pB^t+u?![]enx@()fr')


def annotation_for_text(
    sample: int, text: str, end: int | None = None, channel: int = -1
) -> Annotation:
    """An `Annotation` for free `text` at `sample`: a beat symbol, a rhythm or a comment."""
    text = text.strip()
    if text in MIT_BIH_SYMBOLS:
        return Annotation(sample, text, end=end, channel=channel)
    if text.startswith("("):
        return Annotation(sample, RHYTHM_CHANGE, end=end, aux=text, channel=channel)
    return Annotation(sample, COMMENT, end=end, aux=text, channel=channel)


def close_episodes(annotations: Iterable[Annotation], n_samples: int) -> list[Annotation]:
    """Give every rhythm change without an end the end its format implies: the next rhythm
    change, or `n_samples` (the end of the record) for the last one."""
    ordered = sorted(annotations, key=lambda a: a.sample)
    changes = [i for i, a in enumerate(ordered) if _is_rhythm(a)]
    for k, index in enumerate(changes):
        change = ordered[index]
        if change.end is None:
            end = ordered[changes[k + 1]].sample if k + 1 < len(changes) else n_samples
            ordered[index] = replace(change, end=max(end, change.sample))
    return ordered


def _is_rhythm(annotation: Annotation) -> bool:
    return annotation.symbol == RHYTHM_CHANGE and annotation.aux.startswith("(")


# The beat symbols a user may label with (MIT-BIH; `LABEL_SYMBOLS`), and the AAMI EC57 class of
# each: N normal and bundle branch blocks, S supraventricular ectopic, V ventricular ectopic,
# F fusion, Q paced or unclassifiable.
AAMI_CLASSES = {
    "N": "N", "L": "N", "R": "N", "e": "N", "j": "N",
    "A": "S", "a": "S", "J": "S", "S": "S",
    "V": "V", "E": "V",
    "F": "F",
    "/": "Q", "f": "Q", "Q": "Q",
}  # fmt: skip
LABEL_SYMBOLS = tuple(AAMI_CLASSES)


def aami_class(symbol: str) -> str:
    """The AAMI class (N, S, V, F or Q) of beat `symbol`; ValueError if it is not a beat."""
    try:
        return AAMI_CLASSES[symbol]
    except KeyError:
        raise ValueError(
            f"{symbol!r} is not a beat symbol (one of {''.join(LABEL_SYMBOLS)})"
        ) from None
#: The symbols that mark a beat (wfdb's beat annotation codes), as opposed to rhythm changes,
#: noise and comments: what a QRS detector finds and what the `beats` task learns.
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")

#: The MIT-BIH rhythm names a rhythm episode is labelled with (the ``aux`` of a '+'
#: annotation), and what each means: the menu the ECG view offers, in this order.
RHYTHMS = {
    "(N": "Normal sinus rhythm",
    "(AFIB": "Atrial fibrillation",
    "(AFL": "Atrial flutter",
    "(AB": "Atrial bigeminy",
    "(B": "Ventricular bigeminy",
    "(T": "Ventricular trigeminy",
    "(VT": "Ventricular tachycardia",
    "(IVR": "Idioventricular rhythm",
    "(VFL": "Ventricular flutter",
    "(SVTA": "Supraventricular tachyarrhythmia",
    "(SBR": "Sinus bradycardia",
    "(BII": "2° heart block",
    "(NOD": "Nodal (junctional) rhythm",
    "(PREX": "Pre-excitation (WPW)",
    "(P": "Paced rhythm",
}
