"""A model's proposal of beats for a `BeatSession`: "label the rest" in the images' way.

The model's beats where the user has labelled none (no labelled beat within `MATCH_S`, EC57's
match window: a beat found that close to a labelled one IS that beat) are proposed; accepting
adds them all to the session as one undo step, so Ctrl+Z takes the whole proposal back. The
labelled beats are never changed by a proposal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from medgui.core.signals.beat_session import Beat, BeatSession
from medgui.core.signals.signal import Annotation

MATCH_S = 0.15


@dataclass(frozen=True)
class BeatProposal:
    """The beats `model` (its registry id, such as "beats/v2") proposes, sorted by sample."""

    beats: tuple[Beat, ...]
    model: str

    def counts(self) -> dict[str, int]:
        """How many beats of each symbol, most common first."""
        symbols = [b.symbol for b in self.beats]
        return {s: symbols.count(s) for s in sorted(set(symbols), key=symbols.count)[::-1]}


def unlabelled(
    labelled: Iterable[Beat], samples: Iterable[int], symbols: Iterable[str], fs_hz: float
) -> list[Beat]:
    """The beats (`samples`, `symbols`) with no `labelled` beat within `MATCH_S`."""
    taken = np.array(sorted(b.sample for b in labelled), np.int64)
    samples, symbols = np.asarray(list(samples), np.int64), list(symbols)
    if len(samples) != len(symbols):
        raise ValueError(f"{len(samples)} beats but {len(symbols)} symbols")
    if not len(taken):
        return [Beat(int(s), str(y)) for s, y in zip(samples, symbols, strict=True)]
    i = np.searchsorted(taken, samples)  # the labelled beats either side of each found one
    after = np.abs(taken[np.minimum(i, len(taken) - 1)] - samples)
    before = np.abs(samples - taken[np.maximum(i - 1, 0)])
    free = np.minimum(before, after) > MATCH_S * fs_hz
    return [Beat(int(s), str(symbols[k])) for k, s in enumerate(samples) if free[k]]


def propose(session: BeatSession, samples, symbols, model: str) -> BeatProposal:
    """The proposal of the beats a model found (`samples` of the session's record, with their
    `symbols`) where `session` has no labelled beat."""
    beats = unlabelled(session.beats, samples, symbols, session.signal.fs_hz)
    return BeatProposal(tuple(sorted(beats, key=lambda b: b.sample)), model)


def accept(session: BeatSession, proposal: BeatProposal) -> int:
    """Add `proposal`'s beats to `session` as one undo step, leaving out any that a beat
    labelled since the proposal was made now covers; how many were added."""
    fresh = unlabelled(
        session.beats,
        [b.sample for b in proposal.beats],
        [b.symbol for b in proposal.beats],
        session.signal.fs_hz,
    )
    if not fresh:
        return 0
    added = [Annotation(b.sample, b.symbol) for b in fresh]
    session.replace_annotations(
        session.to_annotations() + added, f"Accept {len(fresh)} beats proposed by {proposal.model}"
    )
    return len(fresh)
