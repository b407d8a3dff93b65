"""`BeatSession`: the beat and rhythm labels of one `Signal` and the rules for changing them, as
plain data that Qt adapters watch (the `ViewerState` / `LabelSessionModel` pattern: no Qt here).

Beats are (sample, symbol) with a MIT-BIH beat symbol (`symbols.LABEL_SYMBOLS`), kept sorted, no
two closer than `MIN_SPACING_S` (50 ms: closer than any physiological RR interval, so a second
click there is a mistake). Episodes are (start, end, rhythm) spans such as "(AFIB", kept sorted
and never overlapping, as WFDB rhythm changes imply. Annotations that are neither (comments,
noise marks) are kept as they came, so that nothing read is lost on export.

Each operation is one undo step of the session's `EditHistory` (the label maps' history, holding
`StateChange`s of the whole state: a record's labels are a few thousand tuples). Every change is
an event: ``beats_changed``, ``episodes_changed`` (what changed), then ``history_changed`` and
``edited`` (the autosave marks the record dirty).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medgui.core.labels.undo import EditHistory, StateChange
from medgui.core.signals.signal import Annotation, Signal
from medgui.core.signals.symbols import LABEL_SYMBOLS, RHYTHM_CHANGE, aami_class
from medgui.core.signals.wfdb_io import read_wfdb_annotations, write_wfdb_annotations
from medgui.core.util.events import Callbacks

MIN_SPACING_S = 0.05
SNAP_RADIUS_S = 0.05
# The baseline a peak is measured from: the median of this wider window, so that baseline
# wander does not pull the snap towards the window's edge.
_BASELINE_RADIUS_S = 0.15


@dataclass(frozen=True)
class Beat:
    sample: int
    symbol: str

    @property
    def aami(self) -> str:
        """The beat's AAMI class (N, S, V, F or Q)."""
        return aami_class(self.symbol)


@dataclass(frozen=True)
class Episode:
    """A rhythm from `start` to `end` (samples, `end` excluded), `rhythm` such as "(AFIB"."""

    start: int
    end: int
    rhythm: str


@dataclass(frozen=True)
class _State:
    beats: tuple[Beat, ...]
    episodes: tuple[Episode, ...]
    others: tuple[Annotation, ...]


class Events(Callbacks):
    """The subscribers to a session's changes, each called as ``callback(name)``:
    ``beats_changed``, ``episodes_changed``, ``history_changed`` (what undo/redo would do) and
    ``edited`` (anything saved changed)."""


class BeatSession:
    """The beats and rhythm episodes of `signal`, with undo. `snap_channel` is the channel
    whose R peaks `add_beat` snaps to (the view's chosen lead)."""

    def __init__(
        self,
        signal: Signal,
        beats: Iterable[Beat] = (),
        episodes: Iterable[Episode] = (),
        others: Iterable[Annotation] = (),
        *,
        snap_channel: int = 0,
    ) -> None:
        self.signal = signal
        self.events = Events()
        self.history = EditHistory()
        self.history.connect(self._on_history)
        self.snap_channel = snap_channel
        # Counts every change: a view's cached drawing of another revision is stale.
        self.revision = 0
        self._state = _State((), (), ())
        state = _State(tuple(beats), tuple(episodes), tuple(others))
        self._check(state)
        self._state = _sorted(state)

    @classmethod
    def from_annotations(
        cls, signal: Signal, annotations: Iterable[Annotation], *, snap_channel: int = 0
    ) -> BeatSession:
        """A session holding `annotations`: beats, '+' episodes (with an end and a rhythm in
        ``aux``) and, kept as they are, the rest."""
        state = _split(annotations)
        return cls(signal, state.beats, state.episodes, state.others, snap_channel=snap_channel)

    # What the session holds.

    @property
    def beats(self) -> tuple[Beat, ...]:
        """The beats, sorted by sample."""
        return self._state.beats

    @property
    def episodes(self) -> tuple[Episode, ...]:
        """The rhythm episodes, sorted by start."""
        return self._state.episodes

    @property
    def others(self) -> tuple[Annotation, ...]:
        """Annotations that are neither beats nor episodes (comments, noise), kept for export."""
        return self._state.others

    def beat_at(self, sample: int) -> Beat:
        """The beat at exactly `sample`; ValueError if there is none."""
        for beat in self.beats:
            if beat.sample == sample:
                return beat
        raise ValueError(f"no beat at sample {sample}")

    def episode_at(self, start: int) -> Episode:
        """The episode that starts at `start`; ValueError if there is none."""
        for episode in self.episodes:
            if episode.start == start:
                return episode
        raise ValueError(f"no rhythm episode starts at sample {start}")

    def to_annotations(self) -> list[Annotation]:
        """Beats, episodes ('+' with ``end`` and the rhythm in ``aux``) and the rest, sorted."""
        state = self._state
        annotations = [Annotation(b.sample, b.symbol) for b in state.beats]
        annotations += [
            Annotation(e.start, RHYTHM_CHANGE, end=e.end, aux=e.rhythm) for e in state.episodes
        ]
        return sorted(annotations + list(state.others), key=lambda a: a.sample)

    # Beats.

    def snap(self, sample: int, channel: int | None = None) -> int:
        """The R peak nearest `sample`: the sample within ±`SNAP_RADIUS_S` of it on `channel`
        (default `snap_channel`) farthest from the local baseline (the median of ±150 ms), in
        either direction, since ventricular beats are often negative. `sample` itself where the
        channel holds no finite value there."""
        self._check_sample(sample)
        values = self.signal.samples[self.snap_channel if channel is None else channel]
        fs = self.signal.fs_hz
        radius, outer = round(SNAP_RADIUS_S * fs), round(_BASELINE_RADIUS_S * fs)
        low, high = max(sample - radius, 0), min(sample + radius + 1, len(values))
        window = values[low:high]
        context = values[max(sample - outer, 0) : min(sample + outer + 1, len(values))]
        if not np.isfinite(window).any():
            return sample
        deviation = np.abs(window - np.nanmedian(context))
        return low + int(np.nanargmax(deviation))

    def add_beat(
        self, sample: int, symbol: str = "N", *, snap: bool = True, channel: int | None = None
    ) -> Beat:
        """Add a beat at the R peak near `sample` (`snap`) or at `sample` itself; ValueError if
        another beat is within 50 ms of where it lands, or the symbol is not a beat's."""
        aami_class(symbol)
        at = self.snap(sample, channel) if snap else int(sample)
        beat = Beat(at, symbol)
        self._apply(f"Add beat {symbol}", beats=self.beats + (beat,))
        return beat

    def move_beat(self, sample: int, to: int, *, snap: bool = False) -> Beat:
        """Move the beat at `sample` to `to` (or to the R peak near it, `snap`)."""
        beat = self.beat_at(sample)
        at = self.snap(to) if snap else int(to)
        moved = Beat(at, beat.symbol)
        beats = tuple(b for b in self.beats if b is not beat) + (moved,)
        self._apply("Move beat", beats=beats)
        return moved

    def delete_beat(self, sample: int) -> None:
        """Remove the beat at `sample`."""
        beat = self.beat_at(sample)
        self._apply("Delete beat", beats=tuple(b for b in self.beats if b is not beat))

    def set_symbol(self, samples: Iterable[int], symbol: str) -> None:
        """Classify the beats at `samples` as `symbol`, all in one undo step."""
        aami_class(symbol)
        wanted = {int(s) for s in samples}
        missing = wanted - {b.sample for b in self.beats}
        if missing:
            raise ValueError(f"no beat at samples {sorted(missing)}")
        beats = tuple(Beat(b.sample, symbol) if b.sample in wanted else b for b in self.beats)
        self._apply(f"Classify {len(wanted)} beat(s) as {symbol}", beats=beats)

    # Episodes.

    def add_episode(self, start: int, end: int, rhythm: str) -> Episode:
        """Add a `rhythm` episode over [start, end); ValueError if it overlaps another."""
        episode = Episode(int(start), int(end), rhythm.strip())
        self._apply(f"Add episode {episode.rhythm}", episodes=self.episodes + (episode,))
        return episode

    def delete_episode(self, start: int) -> None:
        """Remove the episode that starts at `start`."""
        episode = self.episode_at(start)
        episodes = tuple(e for e in self.episodes if e is not episode)
        self._apply("Delete episode", episodes=episodes)

    def set_episode_end(self, start: int, end: int) -> Episode:
        """Move the end of the episode that starts at `start` to `end`."""
        episode = self.episode_at(start)
        changed = Episode(episode.start, int(end), episode.rhythm)
        episodes = tuple(changed if e is episode else e for e in self.episodes)
        self._apply("Set episode end", episodes=episodes)
        return changed

    def set_episode_rhythm(self, start: int, rhythm: str) -> Episode:
        """Relabel the episode that starts at `start` as `rhythm` (such as "(AFIB")."""
        episode = self.episode_at(start)
        changed = Episode(episode.start, episode.end, rhythm.strip())
        episodes = tuple(changed if e is episode else e for e in self.episodes)
        self._apply(f"Relabel episode {changed.rhythm}", episodes=episodes)
        return changed

    def episode_covering(self, sample: int) -> Episode | None:
        """The episode whose span holds `sample`, or None."""
        return next((e for e in self.episodes if e.start <= sample < e.end), None)

    # WFDB files and whole-content changes.

    def replace_annotations(
        self, annotations: Iterable[Annotation], description: str = "Replace annotations"
    ) -> None:
        """Hold `annotations` instead of everything held now: one undo step."""
        state = _split(annotations)
        self._apply(description, state.beats, state.episodes, state.others)

    def import_wfdb(self, path: str | Path) -> None:
        """Replace every label with those of the WFDB annotation file `path` (one undo step;
        replacing rather than merging, since merging two beat sets breaks the 50 ms rule at
        every beat both have). ValueError naming the file when it cannot be read or holds
        beats off the record or too close together."""
        annotations = read_wfdb_annotations(path, self.signal.n_samples)
        try:
            self.replace_annotations(annotations, f"Import {Path(path).name}")
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error

    def export_wfdb(self, path: str | Path) -> Path:
        """Write the labels as the WFDB annotation file `path` (``NAME.atr``...). WFDB stores
        no episode ends: an episode's end survives only where the next episode or the record
        ends."""
        return write_wfdb_annotations(path, self.to_annotations(), self.signal.fs_hz)

    # Undo.

    def undo(self) -> str | None:
        """Undo the last operation; its description, or None if there was none."""
        return self.history.undo(None)  # a StateChange puts back state, not label-map voxels

    def redo(self) -> str | None:
        """Redo the last undone operation; its description, or None if there was none."""
        return self.history.redo(None)

    def _apply(self, description: str, beats=None, episodes=None, others=None) -> None:
        before = self._state
        after = _State(
            before.beats if beats is None else tuple(beats),
            before.episodes if episodes is None else tuple(episodes),
            before.others if others is None else tuple(others),
        )
        self._check(after)
        after = _sorted(after)
        if after == before:
            return
        self._state = after
        size = 64 * (len(after.beats) + len(after.episodes) + len(after.others))
        self.history.push(StateChange(description, before, after, self._restore, size))

    def _restore(self, state: object) -> None:
        assert isinstance(state, _State)
        self._state = state

    def _on_history(self, action: str, entry) -> None:
        self.revision += 1
        before, after = entry.before, entry.after
        if before.beats != after.beats:
            self.events.emit("beats_changed")
        if before.episodes != after.episodes:
            self.events.emit("episodes_changed")
        self.events.emit("history_changed")
        self.events.emit("edited")

    # Rules.

    def _check_sample(self, sample: int) -> None:
        if not 0 <= sample < self.signal.n_samples:
            raise ValueError(
                f"sample {sample} is outside the record (0-{self.signal.n_samples - 1})"
            )

    def _check(self, state: _State) -> None:
        for beat in state.beats:
            aami_class(beat.symbol)
            self._check_sample(beat.sample)
        samples = sorted(b.sample for b in state.beats)
        spacing = MIN_SPACING_S * self.signal.fs_hz
        for first, second in zip(samples, samples[1:], strict=False):
            if second - first < spacing:
                raise ValueError(
                    f"beats at samples {first} and {second} are closer than "
                    f"{MIN_SPACING_S * 1000:.0f} ms"
                )
        n = self.signal.n_samples
        for episode in state.episodes:
            if not episode.rhythm.startswith("(") or len(episode.rhythm) < 2:
                raise ValueError(f"rhythm {episode.rhythm!r} must be written like '(AFIB'")
            if not 0 <= episode.start < episode.end <= n:
                raise ValueError(
                    f"episode {episode.rhythm} [{episode.start}, {episode.end}) is empty or "
                    f"outside the record (0-{n})"
                )
        ordered = sorted(state.episodes, key=lambda e: e.start)
        for first, second in zip(ordered, ordered[1:], strict=False):
            if second.start < first.end:
                raise ValueError(
                    f"episode {second.rhythm} at {second.start} overlaps {first.rhythm} "
                    f"[{first.start}, {first.end})"
                )


def _sorted(state: _State) -> _State:
    return _State(
        tuple(sorted(state.beats, key=lambda b: b.sample)),
        tuple(sorted(state.episodes, key=lambda e: e.start)),
        tuple(sorted(state.others, key=lambda a: a.sample)),
    )


def _split(annotations: Iterable[Annotation]) -> _State:
    """Beats, episodes and the rest of `annotations` (a rhythm change without a span, such as
    two at one sample, is kept as it came, among the rest)."""
    beats, episodes, others = [], [], []
    for a in annotations:
        if a.symbol in LABEL_SYMBOLS and a.end is None:
            beats.append(Beat(a.sample, a.symbol))
        elif a.symbol == RHYTHM_CHANGE and a.aux.startswith("(") and (a.end or 0) > a.sample:
            episodes.append(Episode(a.sample, a.end, a.aux))
        else:
            others.append(a)
    return _State(tuple(beats), tuple(episodes), tuple(others))
