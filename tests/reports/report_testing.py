"""Helpers of the report tests: poppler's command-line tools."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def poppler(tool: str, *args: str) -> str:
    """The stdout of poppler tool `tool` (pdftotext, pdfinfo, pdftoppm); skips without it."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout
