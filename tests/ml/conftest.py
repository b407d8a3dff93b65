"""Shared fixtures for the ML tests: tiny generated segmentation data and fast settings.

Every test here runs on the CPU with small networks and 64×64 slices, so the whole folder stays
within a few minutes on two cores.
"""

from __future__ import annotations

import pytest
import torch
from ml_testing import disc_case

from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap


@pytest.fixture(scope="session")
def disc_cases() -> list[tuple[str, Volume, LabelMap]]:
    """Six generated series as (id, Volume, LabelMap): in-memory training sources."""
    return [(f"case{i}", *disc_case(i)) for i in range(6)]


@pytest.fixture(autouse=True)
def _two_threads():
    """The same thread count in every test (results of float sums depend on it)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)
