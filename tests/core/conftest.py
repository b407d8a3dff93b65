"""Shared fixtures for the DICOM I/O tests (helpers live in dicom_testing.py).

The data dir is isolated for every test by the autouse fixture in tests/conftest.py, so the
scan index never touches the user's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dicom_testing import ramp_volume
from pydicom.uid import ExplicitVRLittleEndian

from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume


@pytest.fixture
def make_series(tmp_path) -> Callable[..., tuple[Volume, list[Path]]]:
    """Write a volume as a DICOM series: make_series("name", volume=..., **write options).

    Returns the volume written and the file paths in slice order. Series written by one test
    get distinct UIDs unless `info` says otherwise.
    """

    def make(
        name: str = "series",
        volume: Volume | None = None,
        *,
        info: SeriesInfo | None = None,
        modality: str = "MR",
        transfer_syntax: str = ExplicitVRLittleEndian,
        shuffle_names: bool = False,
        folder: Path | None = None,
    ) -> tuple[Volume, list[Path]]:
        volume = volume if volume is not None else ramp_volume()
        info = info or SeriesInfo(series_description=name, window_center=None)
        target = folder if folder is not None else tmp_path / name
        paths = write_dicom_series(
            volume,
            target,
            info,
            modality=modality,
            transfer_syntax=transfer_syntax,
            shuffle_names=shuffle_names,
        )
        return volume, paths

    return make
