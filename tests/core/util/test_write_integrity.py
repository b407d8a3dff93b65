"""Never report success over lost data: short writes (a full disk, a file-size limit) fail loudly,
name the file and keep the previous good one (issue 21).

A full disk is played by RLIMIT_FSIZE in a child process with SIGXFSZ ignored, so that writes
past the limit fail with EFBIG or come back short, as on a full disk; or by a fault-injected
`os.write` in this process.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from medgui.core.image.volume import Volume
from medgui.core.io.itk import read_itk_volume, write_itk_volume
from medgui.core.util import atomic as atomic_module
from medgui.core.util.atomic import atomic_write_bytes
from medgui.core.workspace import audit as audit_module
from medgui.core.workspace.audit import AuditLog

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
ROOT = Path(__file__).resolve().parents[3]
LIMIT = 40_000  # bytes: far below the random volumes below, far above the small saves


def _limited(args: list[str], limit: int = LIMIT) -> subprocess.CompletedProcess:
    """Run `args` with files capped at `limit` bytes (a write past it fails, as on a full disk)."""

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        args, preexec_fn=cap, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def _random_volume(seed: int, shape=(40, 64, 64)) -> Volume:
    array = np.random.default_rng(seed).integers(-1000, 3000, shape).astype(np.int16)
    return Volume(array, (0.8, 0.8, 2.0), (1.0, 2.0, 3.0))


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
def test_convert_to_a_full_disk_fails_and_keeps_the_previous_file(tmp_path, suffix):
    source = write_itk_volume(_random_volume(1), tmp_path / f"in{suffix}")
    out = tmp_path / f"out{suffix}"
    small = Volume(np.zeros((4, 5, 6), np.int16), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    write_itk_volume(small, out)
    before = out.read_bytes()

    result = _limited([sys.executable, "-m", "medgui", "convert", str(source), str(out)])

    assert result.returncode != 0, result.stdout
    assert "wrote" not in result.stdout
    assert str(out) in result.stderr and "short write" in result.stderr
    assert out.read_bytes() == before  # the previous good file is intact
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_short_itk_write_in_process_raises(tmp_path, monkeypatch):
    """A file whose voxels do not read back as written is never renamed into place."""
    import SimpleITK as sitk

    real = sitk.WriteImage

    def truncating(image, name, *args, **kwargs):
        real(image, name, *args, **kwargs)
        with open(name, "r+b") as handle:  # what a full disk leaves: the end is missing
            handle.truncate(os.path.getsize(name) // 2)

    monkeypatch.setattr(sitk, "WriteImage", truncating)
    with pytest.raises(OSError, match="short write"):
        write_itk_volume(_random_volume(2, (4, 16, 16)), tmp_path / "x.nii")
    assert list(tmp_path.iterdir()) == []


SAVE = """
import sys
import numpy as np
from medgui.core.labels.labelmap import LabelMap
from medgui.core.image.volume import Volume
from medgui.core.workspace.store import SeriesWork, Workspace

def work(seed, big):
    grid = Volume(np.zeros((40, 64, 64), np.int16), (0.5, 0.6, 2.0), (1.0, 2.0, 3.0))
    labelmap = LabelMap.empty_like(grid)
    labelmap.table.add("a")
    if big:  # random labels do not compress: far bigger than the limit
        labelmap.layers[0][:] = np.random.default_rng(seed).integers(0, 6, grid.shape_zyx)
    else:
        labelmap.layers[0][2:5, 3:9, 4:7] = 1
    return SeriesWork("1.2.3", "1.2.3", f"seed {seed}", labelmap=labelmap)

workspace = Workspace(sys.argv[1])
try:
    workspace.save_series(work(int(sys.argv[2]), sys.argv[3] == "big"))
except OSError as error:
    print(f"failed: {error}")
    sys.exit(1)
print("saved")
"""


def _labels(workspace_root: Path) -> np.ndarray:
    from medgui.core.workspace.store import Workspace

    return Workspace(workspace_root).load_series("1.2.3").labelmap.layers[0]


def test_workspace_save_to_a_full_disk_keeps_the_last_save_and_recovers(tmp_path):
    root = tmp_path / "ws"
    first = subprocess.run(
        [sys.executable, "-c", SAVE, str(root), "1", "small"], capture_output=True, text=True
    )
    assert first.stdout.strip() == "saved", first.stderr
    good = _labels(root).copy()

    failed = _limited([sys.executable, "-c", SAVE, str(root), "2", "big"])

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "labels.nii.gz" in failed.stdout and "short write" in failed.stdout
    assert np.array_equal(_labels(root), good)  # the previous good save is intact
    leftovers = [p for p in root.rglob("*") if p.is_file() and p.stat().st_size > LIMIT // 2]
    assert leftovers == []  # no cut-off file left behind to fill the disk
    # A later small save succeeds under the same limit.
    later = _limited([sys.executable, "-c", SAVE, str(root), "3", "small"])
    assert later.stdout.strip() == "saved", later.stdout + later.stderr


def _enospc_after(monkeypatch, budget: int) -> None:
    """os.write writes at most `budget` bytes in all, then fails with ENOSPC (a full disk)."""
    real = os.write
    left = [budget]

    def write(fd, data):
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real(fd, bytes(data)[: left[0]])
        left[0] -= n
        return n

    monkeypatch.setattr(audit_module.os, "write", write)


def test_audit_entries_are_whole_lines_or_a_clear_error(tmp_path, monkeypatch):
    log = AuditLog(tmp_path)
    log.record("labels_saved", path="first")
    size = log.path.stat().st_size
    _enospc_after(monkeypatch, 30)  # the next entry is cut after 30 bytes

    with pytest.raises(OSError, match="audit.jsonl") as caught:
        log.record("labels_saved", path="second")
    assert caught.value.errno == errno.ENOSPC
    assert log.path.stat().st_size == size  # the cut entry is gone again
    monkeypatch.undo()
    log.record("labels_saved", path="third")
    read = log.read()
    assert read.problems == []
    assert [e.details["path"] for e in read.entries] == ["first", "third"]


def test_audit_loops_over_short_writes(tmp_path, monkeypatch):
    real = os.write
    monkeypatch.setattr(audit_module.os, "write", lambda fd, data: real(fd, bytes(data)[:7]))
    log = AuditLog(tmp_path)
    log.record("labels_saved", path="a" * 100)
    log.record("labels_saved", path="b")
    read = log.read()
    assert read.problems == []
    assert [e.details["path"] for e in read.entries] == ["a" * 100, "b"]


def test_atomic_write_errors_name_the_file(tmp_path, monkeypatch):
    target = tmp_path / "doc.json"
    target.write_text("old")

    class FullDisk:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_module, "open", FullDisk, raising=False)
    with pytest.raises(OSError, match="No space left") as caught:
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert str(target) in str(caught.value)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_read_back_of_a_good_write_is_exact(tmp_path):
    """The verification passes what it should: ITK reads NIfTI NaNs back as 0, not a short write."""
    volume = _random_volume(4, (3, 8, 8))
    array = volume.array.astype(np.float32)
    array[0, 0, 0] = np.nan
    volume = Volume(array, volume.spacing_mm, volume.origin)
    path = write_itk_volume(volume, tmp_path / "f.nii.gz")
    assert np.array_equal(read_itk_volume(path).array, np.nan_to_num(array, nan=0.0))


def test_screenshot_to_a_full_disk_leaves_no_cut_png(tmp_path):
    source = write_itk_volume(_random_volume(5, (3, 96, 96)), tmp_path / "in.nii.gz")
    out = tmp_path / "shot" / "view.png"
    command = [sys.executable, "-m", "medgui", "view", str(source), "--screenshot", str(out)]
    env_limit = 5_000  # a random image's PNG is far bigger

    result = _limited(command + ["--size", "400x300"], env_limit)

    assert result.returncode != 0, result.stdout
    assert str(out) in result.stderr
    assert list(out.parent.iterdir()) == []  # neither the PNG nor a temporary


def test_demo_data_to_a_full_disk_fails_and_leaves_no_cut_file(tmp_path):
    out = tmp_path / "demo"
    # Each CT slice file is ~130 kB: the first one already does not fit.
    result = _limited([sys.executable, "-m", "medgui", "demo-data", str(out)], 50_000)

    assert result.returncode == 1, result.stdout
    assert "error:" in result.stderr and str(out) in result.stderr
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_failed_autosave_leaves_no_files_to_fill_the_disk(tmp_path, monkeypatch):
    """The label map landed, then the disk filled: the slot's files go, the error names the file
    and the next save works."""
    from medgui.core.workspace import store as module

    namespace: dict = {}
    exec(SAVE.split("workspace = Workspace")[0], namespace)
    workspace = module.Workspace(tmp_path / "ws")
    real = module.atomic_write_json

    def full_disk(path, data, *args, **kwargs):
        if Path(path).name == module.TABLE:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(module, "atomic_write_json", full_disk)
    with pytest.raises(OSError, match="No space left") as caught:
        workspace.save_series(namespace["work"](1, True))
    assert "labels.json" in str(caught.value)
    assert list((tmp_path / "ws").rglob("*.nii.gz")) == []  # no 1.9 MB orphan in .autosave
    monkeypatch.undo()
    workspace.save_series(namespace["work"](2, False))
    assert workspace.load_series("1.2.3").description == "seed 2"


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs the right to mount: root on Linux); skipped where it is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
        )
    except OSError as error:  # no mount command
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def test_workspace_on_a_really_full_disk(small_disk):
    from medgui.core.labels.labelmap import LabelMap
    from medgui.core.workspace.store import SeriesWork, Workspace

    def work(seed: int, big: bool) -> SeriesWork:
        grid = Volume(np.zeros((20, 256, 256), np.int16), (0.5, 0.6, 2.0), (1.0, 2.0, 3.0))
        labelmap = LabelMap.empty_like(grid)
        labelmap.table.add("a")
        if big:  # 1.3 MB of random bytes: more than the whole disk
            labelmap.layers[0][:] = np.random.default_rng(seed).integers(0, 256, grid.shape_zyx)
        else:
            labelmap.layers[0][2:5, 3:9, 4:7] = 1
        return SeriesWork("1.2.3", "1.2.3", f"seed {seed}", labelmap=labelmap)

    workspace = Workspace(small_disk / "ws")
    workspace.save_series(work(1, False))

    with pytest.raises(OSError, match="No space left") as caught:
        workspace.save_series(work(2, True))

    assert str(small_disk / "ws") in str(caught.value)
    assert workspace.load_series("1.2.3").description == "seed 1"
    workspace.save_series(work(3, False))  # later saves recover
    assert workspace.load_series("1.2.3").description == "seed 3"
    assert [p for p in (small_disk / "ws").rglob(".tmp-*")] == []
