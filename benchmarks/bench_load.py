"""Load a 512×512×300 CT series: medgui vs a naive pydicom loop vs SimpleITK, plus peak memory.

Run: .venv/bin/python benchmarks/bench_load.py [--slices N] [--runs R]
Prints a table, then (last line) one JSON object with seconds and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.uid import JPEG2000Lossless

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_seconds, write_ct  # noqa: E402

from medgui.core import load_volume, scan  # noqa: E402


def naive_pydicom(folder: Path) -> np.ndarray:
    datasets = [pydicom.dcmread(p) for p in folder.iterdir()]
    datasets.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    return np.stack([d.pixel_array for d in datasets])


def simpleitk(folder: Path) -> np.ndarray:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return sitk.GetArrayFromImage(reader.Execute())


def floor_read(folder: Path, shape) -> np.ndarray:
    """Just the pixel bytes into a preallocated array: the lower bound of any loader."""
    out = np.empty(shape, np.uint16)
    frame = out[0].nbytes
    for k, p in enumerate(sorted(folder.iterdir())):
        with open(p, "rb", buffering=0) as fh:
            fh.seek(-frame, 2)
            fh.readinto(memoryview(out[k]).cast("B"))
    return out


_PEAK_SCRIPT = """
import sys, threading, psutil
from medgui.core import load_volume
proc = psutil.Process()
base = proc.memory_info().rss
peak = [base]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        done.wait(0.002)
thread = threading.Thread(target=sample)
thread.start()
v = load_volume(sys.argv[1])
done.set()
thread.join()
peak[0] = max(peak[0], proc.memory_info().rss)
print(peak[0] - base, v.array.nbytes)
"""


def peak_memory(folder: Path) -> tuple[int, int]:
    """Peak RSS growth of a load in a fresh process (bytes), and the volume's voxel bytes."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    grown, voxels = (int(v) for v in out.stdout.split())
    return grown, voxels


def bench(folder: Path, runs: int, label: str, with_floor: bool, shape) -> dict:
    reference = naive_pydicom(folder)
    loaded = load_volume(folder)
    assert np.array_equal(loaded.array, reference.astype(np.int32) - 1024), (
        "medgui differs from pydicom"
    )
    result = {
        "medgui_s": median_seconds(lambda: load_volume(folder), runs),
        "medgui_cold_index_s": median_seconds(
            lambda: load_volume(scan(folder, index=False).series[0]), runs
        ),
        "naive_pydicom_s": median_seconds(lambda: naive_pydicom(folder), runs),
        "simpleitk_s": median_seconds(lambda: simpleitk(folder), runs),
    }
    if with_floor:
        result["floor_s"] = median_seconds(lambda: floor_read(folder, shape), runs)
    result["ratio_vs_naive"] = result["medgui_s"] / result["naive_pydicom_s"]
    result["ratio_cold_vs_naive"] = result["medgui_cold_index_s"] / result["naive_pydicom_s"]
    result["ratio_vs_simpleitk"] = result["medgui_s"] / result["simpleitk_s"]
    grown, voxels = peak_memory(folder)
    result["peak_mb"] = grown / 1e6
    result["voxel_mb"] = voxels / 1e6
    result["peak_over_voxels_plus_300mb"] = grown / (1.3 * voxels + 300e6)
    print(f"{label}: " + ", ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-j2k", action="store_true")
    args = parser.parse_args()
    shape = (args.slices, 512, 512)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDGUI_DATA_DIR"] = str(Path(tmp) / "data")
        raw = Path(tmp) / "raw"
        write_ct(raw, shape)
        figures = {"uncompressed": bench(raw, args.runs, "uncompressed", True, shape)}
        if not args.skip_j2k:
            j2k = Path(tmp) / "j2k"
            write_ct(j2k, shape, transfer_syntax=JPEG2000Lossless)
            figures["jpeg2000"] = bench(j2k, max(1, args.runs // 2), "jpeg2000", False, shape)
    figures["shape_zyx"] = list(shape)
    figures["cpus"] = os.cpu_count()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
