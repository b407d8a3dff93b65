"""A model's beat proposal: only beats with no labelled beat within 150 ms are proposed, and
accepting them is one undo step that leaves labelled beats and episodes as they were."""

from __future__ import annotations

import numpy as np

from medgui.core.signals.beat_proposal import accept, propose
from medgui.core.signals.beat_session import Beat, BeatSession, Episode
from medgui.core.signals.signal import Signal

FS = 250.0


def _session() -> BeatSession:
    signal = Signal(np.zeros((1, 5000)), FS, ["II"], ["mV"], source="x.hea")
    return BeatSession(signal, [Beat(100, "N"), Beat(300, "V")], [Episode(0, 1000, "(N")])


def test_beats_near_a_labelled_one_are_not_proposed():
    session = _session()
    # 137 is 148 ms after 100 (same beat); 338 is 152 ms after 300 (a new one); 2000 is new.
    proposal = propose(session, [137, 338, 2000], ["N", "N", "V"], "beats/v1")
    assert [(b.sample, b.symbol) for b in proposal.beats] == [(338, "N"), (2000, "V")]
    assert proposal.counts() == {"N": 1, "V": 1} and proposal.model == "beats/v1"


def test_accept_is_one_undo_step_and_skips_beats_labelled_since():
    session = _session()
    proposal = propose(session, [600, 800, 1000], ["N", "N", "V"], "beats/v1")
    session.add_beat(810, "N", snap=False)  # the user labelled this one meanwhile
    assert accept(session, proposal) == 2
    assert [b.sample for b in session.beats] == [100, 300, 600, 810, 1000]
    assert session.episodes == (Episode(0, 1000, "(N"),)
    assert "Accept 2 beats proposed by beats/v1" in session.history.undo_description
    session.undo()
    assert [b.sample for b in session.beats] == [100, 300, 810]
    session.redo()
    assert [b.sample for b in session.beats] == [100, 300, 600, 810, 1000]
    assert accept(session, proposal) == 0  # nothing left to add
