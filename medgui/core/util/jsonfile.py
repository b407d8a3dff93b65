"""Reading the JSON files medgui writes (workspace records, label tables, model cards, registry
files), with errors that name the file and the reason, the same way everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def parse_json(raw: bytes | str, source: str) -> Any:
    """The JSON value in `raw`; ValueError "SOURCE: not valid JSON (reason)" otherwise."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        # json's parser recurses once per level of nesting: a hostile file hits the limit.
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ValueError(f"{source}: not valid JSON ({reason})") from error


def read_json(path: str | Path, fmt: str | None = None) -> Any:
    """The JSON value in the file `path`; with `fmt`, an object whose "format" is
    ``medgui-<fmt>``. ValueError naming the file when it cannot be read, is not valid JSON, or
    is not of that format."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path}: cannot read: {error.strerror or error}") from error
    data = parse_json(raw, str(path))
    if fmt is not None and (not isinstance(data, dict) or data.get("format") != f"medgui-{fmt}"):
        raise ValueError(f"{path}: not a medgui-{fmt} file")
    return data
