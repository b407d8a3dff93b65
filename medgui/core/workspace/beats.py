"""A signal record's beat and rhythm labels in the workspace: ``signals/<record>/beats.json``
(see `layout.signal_dir`), written atomically like the label maps, so a failed or killed save
leaves the previous file whole.

``beats.json``: ``{"format": "medgui-beats", "version": 1, "source": the record's key (its
absolute path), "fs_hz", "n_samples" (what the labels' samples count in: a file saved for another
rate or length is refused), "beats": [[sample, symbol], ...], "episodes": [[start, end, rhythm],
...], "others": [{"sample", "symbol", "end", "aux", "channel"}, ...] (annotations that are
neither, kept for export), "saved_at": ISO 8601 UTC}``.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from medgui.core.signals.beat_session import Beat, BeatSession, Episode
from medgui.core.signals.signal import Annotation, Signal
from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json
from medgui.core.workspace.layout import BEATS_FILE, signal_dir, signal_key, workspace_file
from medgui.core.workspace.store import FORMAT_VERSION


def beats_path(root: str | Path, signal: Signal) -> Path:
    """Where the labels of `signal` are saved in the workspace `root`."""
    if not signal.source:
        raise ValueError("a signal read from no file has no place in the workspace")
    return signal_dir(root, signal.source) / BEATS_FILE


def save_beats(root: str | Path, session: BeatSession) -> Path:
    """Save `session`'s labels atomically in the workspace `root`; returns the file. OSError
    naming the file when it cannot be written (the previous save is then kept)."""
    signal = session.signal
    path = beats_path(root, signal)
    marker = workspace_file(root)
    if not marker.exists():
        Path(root).mkdir(parents=True, exist_ok=True)
        atomic_write_json(marker, {"format": "medgui-workspace", "version": FORMAT_VERSION})
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": "medgui-beats",
        "version": FORMAT_VERSION,
        "source": signal_key(signal.source),
        "fs_hz": signal.fs_hz,
        "n_samples": signal.n_samples,
        "beats": [[b.sample, b.symbol] for b in session.beats],
        "episodes": [[e.start, e.end, e.rhythm] for e in session.episodes],
        "others": [vars(a) for a in session.others],
        "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    return atomic_write_json(path, document)


def load_beats(root: str | Path, signal: Signal, *, snap_channel: int = 0) -> BeatSession | None:
    """The labels saved for `signal` in the workspace `root` as a new session, or None when
    there are none. ValueError naming the file when it is not a valid beats file or was saved
    for a record of another rate or length."""
    path = beats_path(root, signal)
    if not path.is_file():
        return None
    data = read_json(path, "beats")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported medgui-beats version {data.get('version')!r}")
    if data.get("fs_hz") != signal.fs_hz or data.get("n_samples") != signal.n_samples:
        raise ValueError(
            f"{path}: saved for {data.get('n_samples')} samples at {data.get('fs_hz')} Hz, but "
            f"the record has {signal.n_samples} at {signal.fs_hz} Hz"
        )
    try:
        beats = [Beat(_int(s), _text(y)) for s, y in data["beats"]]
        episodes = [Episode(_int(s), _int(e), _text(r)) for s, e, r in data["episodes"]]
        others = [_annotation(item) for item in data["others"]]
        return BeatSession(signal, beats, episodes, others, snap_channel=snap_channel)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: malformed beats file ({error})") from error


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a sample number")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _annotation(item: dict[str, Any]) -> Annotation:
    end = item["end"]
    return Annotation(
        _int(item["sample"]),
        _text(item["symbol"]),
        end=None if end is None else _int(end),
        aux=_text(item["aux"]),
        channel=_int(item["channel"]),
    )
