"""The ECG view's beat-labelling keys, thin over a `BeatSession` (core): what each key does to
the beat nearest the mouse's place on the trace.

S and N are the view's speed and 50 Hz notch keys, so the symbols are set with Alt+letter.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from medgui.core.signals.beat_session import Beat, BeatSession

NEAREST_S = 0.1  # Delete and the symbol keys reach the nearest beat within 100 ms
SYMBOL_KEYS = {
    Qt.Key.Key_N: "N",
    Qt.Key.Key_V: "V",
    Qt.Key.Key_S: "S",
    Qt.Key.Key_F: "F",
    Qt.Key.Key_Q: "Q",
}
_ALT = Qt.KeyboardModifier.AltModifier
_CTRL = Qt.KeyboardModifier.ControlModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier


def is_beat_key(key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """Whether (`key`, `modifiers`) is one of the labelling keys (taken before any shortcut)."""
    mods = modifiers & (_ALT | _CTRL | _SHIFT)
    if key == Qt.Key.Key_Z:
        return mods in (_CTRL, _CTRL | _SHIFT)
    if key in SYMBOL_KEYS:
        return mods == _ALT
    return key in (Qt.Key.Key_A, Qt.Key.Key_Delete) and mods == Qt.KeyboardModifier.NoModifier


def nearest_beat(session: BeatSession, sample: int) -> Beat | None:
    """The beat nearest `sample` if it is within `NEAREST_S`."""
    reach = NEAREST_S * session.signal.fs_hz
    near = [b for b in session.beats if abs(b.sample - sample) <= reach]
    return min(near, key=lambda b: abs(b.sample - sample)) if near else None


def apply_beat_key(
    session: BeatSession, key: int, modifiers: Qt.KeyboardModifier, sample: int | None
) -> str | None:
    """Do what (`key`, `modifiers`) does with the mouse at `sample` (None: off the traces);
    returns a line for the status bar, or None when nothing was done."""
    if key == Qt.Key.Key_Z:
        redo = bool(modifiers & _SHIFT)
        done = session.redo() if redo else session.undo()
        return f"{'Redo' if redo else 'Undo'}: {done}" if done else None
    if sample is None:
        return None
    if key == Qt.Key.Key_A:
        try:
            beat = session.add_beat(sample)
        except ValueError as error:  # another beat within 50 ms: say so rather than stack them
            return str(error)
        return f"Added beat {beat.symbol} at {beat.sample / session.signal.fs_hz:.3f} s"
    beat = nearest_beat(session, sample)
    if beat is None:
        return f"No beat within {NEAREST_S * 1000:.0f} ms"
    if key == Qt.Key.Key_Delete:
        session.delete_beat(beat.sample)
        return f"Deleted beat {beat.symbol}"
    session.set_symbol([beat.sample], SYMBOL_KEYS[key])
    return f"Beat relabelled {SYMBOL_KEYS[key]}"
