"""Test-wide settings: never touch the user's data dir; Qt runs headless."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MEDGUI_DATA_DIR", str(tmp_path_factory.mktemp("medgui-data")))


# The PACS tests' archive (a real Orthanc, session-wide): tests/core/orthanc_testing.py.
from orthanc_testing import orthanc  # noqa: E402, F401
