"""Helpers of the report tests: poppler's command-line tools, and a disk that is full."""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import subprocess

import pytest


def poppler(tool: str, *args: str) -> str:
    """The stdout of poppler tool `tool` (pdftotext, pdfinfo, pdftoppm); skips without it."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def disk_full_for(monkeypatch, name: str) -> None:
    """Make writes to any file whose name ends with `name` fail as on a full disk (ENOSPC,
    after half the bytes reached the file), whether they go through `open` or `os.write`."""
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # no file name, as the OS gives it

    class FullFile(io.FileIO):
        def write(self, data) -> int:
            super().write(bytes(data)[: len(data) // 2])
            raise full

    real_open, real_write = builtins.open, os.write

    def fake_open(file, mode="r", *args, **kwargs):
        if str(file).endswith(name) and any(c in mode for c in "wax"):
            return FullFile(file, mode.replace("b", "").replace("t", "") or "w")
        return real_open(file, mode, *args, **kwargs)

    def fake_write(descriptor: int, data) -> int:
        if os.readlink(f"/proc/self/fd/{descriptor}").endswith(name):
            real_write(descriptor, bytes(data)[: len(data) // 2])
            raise full
        return real_write(descriptor, data)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "write", fake_write)
