"""A binary file whose reads stop at its end (protects pydicom from damaged length fields)."""

from __future__ import annotations

import os
from pathlib import Path


class BoundedFile:
    """A binary file for pydicom whose reads stop at the end of the file.

    pydicom reads a value with one read of its declared length, so a damaged length field
    (0xFFFFFFF0) allocates 4 GB before it finds the file too short. Capped, the read comes back
    short, and `overrun_bytes` says how far past the end of the file a value was declared to
    run. Not an `io.BufferedReader`, so that pydicom reads deferred values through it too (it
    would reopen a plain file by name).
    """

    def __init__(self, path: str | Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        self._size = os.fstat(self._fh.fileno()).st_size
        self.name = str(path)
        self.overrun_bytes = 0

    def _note_end(self, end: int) -> None:
        self.overrun_bytes = max(self.overrun_bytes, end - self._size)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._fh.read()
        position = self._fh.tell()
        available = self._size - position
        # pydicom reads up to an element header's 12 bytes at the end to look for another
        # element; any other read that finds too few bytes was cut off by the end of the file.
        if size > available and (available > 0 or size > 12):
            self._note_end(position + size)
        return self._fh.read(max(0, min(size, available)))

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._fh.seek(offset, whence)
        self._note_end(position)  # pydicom skips deferred values by seeking past them
        return position

    def tell(self) -> int:
        return self._fh.tell()

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> BoundedFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._fh.close()
