"""Failed writes that say what failed and leave nothing behind.

A full disk shows up as an OSError from Python, as a `SafetensorError` whose text buries the
OS's reason ("IoError(Os { code: 28, ... message: \"No space left on device\" })"), or as a
file that one library finished before the next one failed. `writing` turns each into a
ValueError naming the file and the reason, and removes the files of `paths` that the failed
write created (older files, e.g. the last epoch's checkpoint, are kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from safetensors import SafetensorError

_OS_MESSAGE = re.compile(r'message: "([^"]+)"')


def reason(error: BaseException) -> str:
    """The OS's words for a failed write ("No space left on device"), else the error's text."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    found = _OS_MESSAGE.search(str(error))
    return found.group(1) if found else str(error).strip() or type(error).__name__


@contextmanager
def writing(path: str | Path, *paths: str | Path) -> Iterator[None]:
    """Write `path` (and the files `paths` written with it) in the block; on an OSError or
    SafetensorError, remove those of them that did not exist before and raise ValueError
    naming `path` and the reason (a ValueError from an inner `writing` passes unchanged)."""
    targets = [Path(p) for p in (path, *paths)]
    existed = {p for p in targets if p.exists()}
    try:
        yield
    except (OSError, SafetensorError, ValueError) as error:
        for target in targets:
            if target not in existed:
                target.unlink(missing_ok=True)
        if isinstance(error, ValueError):  # an inner `writing` already said which file
            raise
        raise ValueError(f"{path}: cannot write: {reason(error)}") from error
