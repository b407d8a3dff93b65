"""The `medgui` command's headless sub-commands, run as a user would run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

import medgui
from medgui.cli import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medgui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_version_via_python_dash_m():
    out = _run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"medgui {medgui.__version__}"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["demo-data", str(folder)]) == 0
    return folder


def test_demo_data_then_scan_json(demo_dir: Path, capsys):
    (demo_dir / "junk.bin").write_bytes(b"\x00" * 10)
    assert main(["scan", str(demo_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    ct = [s for s in report["series"] if s["modality"] == "CT"]
    assert len(ct) == 1
    series = ct[0]
    n_files = len(list((demo_dir / "dicom").iterdir()))
    assert series["number_of_images"] == n_files
    assert series["shape"][0] == n_files
    assert series["spacing_mm"][2] > 0 and series["uid"]
    assert any(e["path"].endswith("junk.bin") and e["reason"] for e in report["errors"])


def test_convert_dicom_to_nifti_keeps_geometry(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "ct.nii.gz"
    assert main(["convert", str(demo_dir / "dicom"), str(out)]) == 0
    image = sitk.ReadImage(str(out))
    from medgui.core import load_volume

    volume = load_volume(demo_dir / "dicom")
    assert np.array_equal(sitk.GetArrayFromImage(image), volume.array)
    assert np.allclose(image.GetSpacing(), volume.spacing_mm, atol=1e-4)
    assert np.allclose(image.GetOrigin(), volume.origin, atol=1e-3)


def test_convert_rejects_unknown_output_suffix(demo_dir: Path, tmp_path: Path, capsys):
    assert main(["convert", str(demo_dir / "dicom"), str(tmp_path / "x.png")]) == 2
    assert "must end in" in capsys.readouterr().err


def test_scan_of_missing_path_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["scan", str(tmp_path / "nope")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_view_screenshot_renders_a_png(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "shot.png"
    result = _run(
        "view",
        str(demo_dir / "dicom"),
        "--screenshot",
        str(out),
        "--layout",
        "3",
        "--preset",
        "liver",
        "--size",
        "640x480",
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (640, 480)


def test_view_rejects_window_without_level(demo_dir: Path, tmp_path: Path, capsys):
    code = main(
        [
            "view",
            str(demo_dir / "dicom"),
            "--screenshot",
            str(tmp_path / "x.png"),
            "--window",
            "400",
        ]
    )
    assert code == 2
    assert "--window and --level go together" in capsys.readouterr().err


def test_convert_label_map_to_seg_and_back(demo_dir: Path, tmp_path: Path):
    from medgui.core import load_volume
    from medgui.core.labels.io import load_label_map

    seg = tmp_path / "labels.dcm"
    code = main(
        [
            "convert",
            str(demo_dir / "labels.nii.gz"),
            str(seg),
            "--reference",
            str(demo_dir / "dicom"),
        ]
    )
    assert code == 0
    back = tmp_path / "back.nii.gz"
    assert main(["convert", str(seg), str(back), "--reference", str(demo_dir / "dicom")]) == 0
    reference = load_volume(demo_dir / "dicom")
    original = load_label_map(demo_dir / "labels.nii.gz", reference)
    again = load_label_map(back, reference)
    flat = lambda lm: np.max(np.stack(lm.layers), axis=0)  # noqa: E731
    np.testing.assert_array_equal(flat(again) > 0, flat(original) > 0)
    assert sorted(lb.name for lb in again.table.labels) == sorted(
        lb.name for lb in original.table.labels
    )


def test_convert_to_seg_without_reference_is_refused(demo_dir: Path, tmp_path: Path, capsys):
    assert main(["convert", str(demo_dir / "labels.nii.gz"), str(tmp_path / "x.dcm")]) == 2
    assert "--reference" in capsys.readouterr().err
