"""The fast header walker must agree with pydicom on every real file it accepts."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import data_store
import pydicom
import pytest

from medgui.core.dicom.fastheader import read_fast_header
from medgui.core.dicom.header import read_instance_header
from medgui.core.dicom.instance import DicomReadError

_ROOTS = [
    Path(pydicom.__file__).parent / "data" / "test_files",
    Path(data_store.__file__).parent / "data",
]
REAL_FILES = sorted(p for root in _ROOTS for p in root.rglob("*") if p.is_file())


def test_real_file_corpus_is_present():
    assert len(REAL_FILES) > 150


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_header_equals_pydicom(path: Path):
    fast = read_fast_header(str(path))
    if fast is None:
        return  # the walker declined: pydicom reads this file, nothing to compare
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = read_instance_header(path, fast=False)
        except DicomReadError as exc:
            # Only the post-read check may reject a file that the walker parsed.
            assert exc.reason == "image object without pixel data"
            assert not fast.has_pixels
            return
    fast.size, fast.mtime_ns, fast.kind = reference.size, reference.mtime_ns, reference.kind
    assert fast.to_json() == reference.to_json()


def test_fast_path_accepts_most_real_files():
    accepted = sum(read_fast_header(str(p)) is not None for p in REAL_FILES)
    assert accepted >= 100, accepted


def test_declines_non_dicom_and_truncated(tmp_path: Path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert read_fast_header(str(text)) is None
    source = _ROOTS[0] / "CT_small.dcm"
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(source.read_bytes()[:300])
    assert read_fast_header(str(cut)) is None


def test_header_json_is_every_field_and_round_trips():
    """`to_json` (the scan index's record) holds each dataclass field as `asdict` would, and
    `from_json` gives the same header back, on the real files pydicom reads."""
    from dataclasses import asdict

    from medgui.core.dicom.instance import InstanceHeader

    checked = 0
    for path in REAL_FILES[:60]:
        try:
            header = read_instance_header(path)
        except DicomReadError:
            continue
        assert header.to_json() == asdict(header)
        assert InstanceHeader.from_json(json.loads(json.dumps(header.to_json()))) == header
        checked += 1
    assert checked > 20
