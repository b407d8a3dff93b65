"""`medgui view/scan/index` on folders as users have them: several series, a label map beside
its series, the study index and what it keeps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from medgui.cli import main
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.image.volume import Volume

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "medgui", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def _coloured_pixels(png: Path) -> int:
    """Pixels whose colour is far from grey: label fills (the CT itself is greyscale)."""
    from PySide6.QtGui import QImage

    image = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    rgb = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    rgb = rgb.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3)
    spread = rgb.max(axis=2).astype(int) - rgb.min(axis=2)
    return int((spread > 40).sum())


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["demo-data", str(folder)]) == 0
    return folder


def test_view_of_the_demo_folder_shows_its_labels(demo_dir: Path, tmp_path: Path):
    """demo-data then view: the labels.nii.gz beside the CT are its labels, not a 2nd series."""
    plain, labelled = tmp_path / "plain.png", tmp_path / "labelled.png"
    result = _run("view", str(demo_dir / "dicom"), "--screenshot", str(plain), "--size", "320x320")
    assert result.returncode == 0, result.stderr
    result = _run("view", str(demo_dir), "--screenshot", str(labelled), "--size", "320x320")
    assert result.returncode == 0, result.stderr
    # The organs fill a good part of the middle slice in colour; the bare CT has only the
    # (thin) crosshair and corner text in colour.
    assert _coloured_pixels(labelled) > _coloured_pixels(plain) + 2000


def test_view_labels_option_names_the_label_map(demo_dir: Path, tmp_path: Path):
    plain, labelled = tmp_path / "plain.png", tmp_path / "labelled.png"
    args = ("view", str(demo_dir / "dicom"), "--size", "320x320", "--screenshot")
    assert _run(*args, str(plain)).returncode == 0
    result = _run(*args, str(labelled), "--labels", str(demo_dir / "labels.nii.gz"))
    assert result.returncode == 0, result.stderr
    assert _coloured_pixels(labelled) > _coloured_pixels(plain) + 2000


def _two_series(folder: Path) -> None:
    for n, (name, start) in enumerate((("Axial T1", 0), ("Axial T2", 500)), 1):
        array = (np.arange(4 * 16 * 16, dtype=np.int16).reshape(4, 16, 16) + start) % 1000
        info = SeriesInfo(series_description=name, series_number=n, window_center=None)
        write_dicom_series(Volume(array, spacing_mm=(1, 1, 2)), folder / name, info)


def test_view_picks_one_of_several_series(tmp_path: Path):
    _two_series(tmp_path / "study")
    study = str(tmp_path / "study")
    refused = _run("view", study, "--screenshot", str(tmp_path / "x.png"), "--size", "64x64")
    assert refused.returncode == 1
    # The error lists the choices the option takes.
    assert "'Axial T1'" in refused.stderr and "'Axial T2'" in refused.stderr
    assert "--series" in refused.stderr
    for choice in ("2", "axial t1", "T2"):
        out = tmp_path / f"{choice}.png"
        args = ("view", study, "--series", choice, "--screenshot", str(out), "--size", "64x64")
        result = _run(*args)
        assert result.returncode == 0, (choice, result.stderr)
        assert out.stat().st_size > 0
    nothing = _run("view", study, "--series", "FLAIR", "--screenshot", str(tmp_path / "y.png"))
    assert nothing.returncode == 1 and "no series matches 'FLAIR'" in nothing.stderr
