"""medgui from a researcher's plain script: no `if __name__ == "__main__":` guard needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dicom_testing import ramp_volume
from pydicom.uid import RLELossless

from medgui.core.io.load import POOL_MIN_FILES
from medgui.core.io.scan import PARALLEL_MIN_FILES

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """\
import sys
from medgui.core import load_volume
print("top level ran", flush=True)
volume = load_volume(sys.argv[1])
print("shape", volume.array.shape, flush=True)
"""


def _run_script(tmp_path: Path, folder: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "analysis.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT), MEDGUI_DATA_DIR=str(tmp_path / "cold-data"))
    return subprocess.run(
        [sys.executable, str(script), str(folder)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip


def _assert_clean(result: subprocess.CompletedProcess, shape: tuple) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("top level ran") == 1, result.stdout
    assert f"shape {shape}" in result.stdout
    assert "leaked semaphore" not in result.stderr
    assert "bootstrapping" not in result.stderr


@pytest.mark.timeout(180)
def test_unguarded_script_loads_a_compressed_series(make_series, tmp_path):
    n = POOL_MIN_FILES + 2  # enough files for the decoder pool
    _, paths = make_series("rle", ramp_volume(shape=(n, 16, 16)), transfer_syntax=RLELossless)
    _assert_clean(_run_script(tmp_path, paths[0].parent), (n, 16, 16))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_unguarded_script_scans_a_large_folder_with_a_cold_index(make_series, tmp_path):
    n = PARALLEL_MIN_FILES + 5  # enough files for parallel header reading
    _, paths = make_series("many", ramp_volume(shape=(n, 4, 4)))
    _assert_clean(_run_script(tmp_path, paths[0].parent), (n, 4, 4))
