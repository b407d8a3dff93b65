"""When the workspace autosaves: pure timing logic, no I/O (the caller owns the timer)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AutosavePolicy:
    """When to autosave, as pure logic: `quiet_s` after edits stop, and at least every
    `max_delay_s` during non-stop editing; a failed save is retried after `retry_s`.

    The caller passes the time (``time.monotonic()``) and owns the timer: call `mark_dirty` on
    every edit, ask `due` (or schedule a single-shot timer for `due_at`), take a token with
    `begin_save` before saving and hand it to `saved` (or call `failed`) afterwards. Edits made
    while a save runs keep the policy dirty.
    """

    quiet_s: float = 3.0
    max_delay_s: float = 60.0
    retry_s: float = 10.0
    _generation: int = field(default=0, init=False)
    _saved_generation: int = field(default=0, init=False)
    _first_edit: float | None = field(default=None, init=False)
    _last_edit: float | None = field(default=None, init=False)
    _save_started: float | None = field(default=None, init=False)
    _retry_at: float | None = field(default=None, init=False)

    @property
    def dirty(self) -> bool:
        """Whether there are edits that no finished save holds."""
        return self._generation != self._saved_generation

    def mark_dirty(self, now: float) -> None:
        """Record an edit made at `now`."""
        self._generation += 1
        if self._first_edit is None:
            self._first_edit = now
        self._last_edit = now

    def due_at(self) -> float | None:
        """When the next autosave is due (None when there is nothing to save)."""
        if not self.dirty:
            return None
        at = min(self._last_edit + self.quiet_s, self._first_edit + self.max_delay_s)
        return at if self._retry_at is None else max(at, self._retry_at)

    def due(self, now: float) -> bool:
        """Whether an autosave should start at `now`."""
        at = self.due_at()
        return at is not None and now >= at

    def begin_save(self, now: float) -> int:
        """A token for the state being saved now (pass it to `saved`)."""
        self._save_started = now
        return self._generation

    def saved(self, token: int) -> None:
        """The state of `token` is on disk; edits made after it still count as unsaved."""
        self._saved_generation = max(self._saved_generation, token)
        self._retry_at = None
        if self.dirty:
            # The oldest unsaved edit came after the save started.
            self._first_edit = max(self._first_edit or 0.0, self._save_started or 0.0)
        else:
            self._first_edit = self._last_edit = None

    def failed(self, now: float) -> None:
        """A save failed at `now`: try again after `retry_s` rather than at once."""
        self._retry_at = now + self.retry_s
