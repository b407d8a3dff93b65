"""DICOM overlay planes (60xx) from pydicom's own files, placed on the image grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from medgui.core.dicom.overlays import _placed, read_overlays

FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_an_overlay_plane_is_read_on_the_image_grid():
    (plane,) = read_overlays(FILES / "examples_overlay.dcm")
    ds = pydicom.dcmread(FILES / "examples_overlay.dcm")
    assert plane.group == 0x6000 and plane.kind == "G"
    assert plane.mask.shape == (ds.Rows, ds.Columns)
    np.testing.assert_array_equal(plane.mask, ds.overlay_array(0x6000).astype(bool))
    assert read_overlays(FILES / "CT_small.dcm") == []


def test_the_overlay_origin_places_and_clips_the_bits():
    bits = np.ones((3, 4), bool)
    mask = _placed(bits, (2, 3), (5, 5))  # 1-based origin: first bit at row 1, col 2
    assert mask[1:4, 2:5].all() and mask.sum() == 9  # the last column falls outside
    assert _placed(bits, (-1, -2), (5, 5)).sum() == 1  # only its bottom-right bit is in
    assert not _placed(bits, (9, 9), (5, 5)).any()


def test_a_file_that_is_not_dicom_is_named(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not dicom")
    with pytest.raises(ValueError, match="notes.txt"):
        read_overlays(bad)
