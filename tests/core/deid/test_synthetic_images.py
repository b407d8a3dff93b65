"""Generated images are no patient data: marked when written, skipped by de-identification,
kept in the workspace's own folder and recorded in its audit log."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from medgui.core.deid.export import deidentify_folder
from medgui.core.deid.synthetic import is_synthetic_file, write_synthetic_png
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.synthetic import add_synthetic, synthetic_images

CT_SMALL = Path(pydicom.__file__).parent / "data/test_files/CT_small.dcm"


def test_deid_skips_marked_png_and_derived_synthetic_dicom(tmp_path):
    source = tmp_path / "study"
    source.mkdir()
    shutil.copy(CT_SMALL, source / "real.dcm")
    ds = pydicom.dcmread(CT_SMALL)
    ds.ImageType = ["DERIVED", "SECONDARY", "SYNTHETIC"]
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(source / "made.dcm")
    write_synthetic_png(np.zeros((8, 8), np.uint8), source / "gan.png", "normal")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(source / "photo.png")  # not ours: no mark
    assert is_synthetic_file(source / "gan.png") and is_synthetic_file(source / "made.dcm")
    assert not is_synthetic_file(source / "real.dcm")
    assert not is_synthetic_file(source / "photo.png")
    summary = deidentify_folder(source, tmp_path / "out")
    assert len(summary.written) == 1
    skipped = "\n".join(summary.skipped)
    assert "gan.png: a generated (synthetic) image" in skipped and "made.dcm" in skipped
    assert not any("gan.png" in str(p) for p in (tmp_path / "out").rglob("*"))


def test_workspace_keeps_added_images_marked_per_class_and_audited(tmp_path):
    written = add_synthetic(tmp_path, "a/b", [np.full((4, 4), 7, np.uint8)] * 3)
    assert [p.parent.name for p in written] == ["a_b"] * 3  # one safe folder per class
    assert all(is_synthetic_file(p) for p in written)
    assert synthetic_images(tmp_path) == {"a_b": sorted(written)}
    (entry,) = AuditLog(tmp_path).read().entries
    assert entry.action == "synthetic_added" and entry.details["images"] == 3
