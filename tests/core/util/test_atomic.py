"""Atomic writes: the old file survives a crash (a SIGKILL mid-write) and a failed write."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from medgui.core.util.atomic import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    atomic_writer,
    is_temporary,
    remove_stale_temporaries,
)

# The child writes 8 MiB through atomic_writer, says "half" after 4 MiB and then waits for a line
# on stdin that never comes: the parent kills it at a known point without any sleep.
_CHILD = textwrap.dedent(
    """
    import sys
    from medgui.core.util.atomic import atomic_writer

    chunk = b"N" * (1 << 20)
    with atomic_writer(sys.argv[1]) as temporary, open(temporary, "wb") as handle:
        for i in range(8):
            handle.write(chunk)
            if i == 3:
                handle.flush()
                print("half", flush=True)
                sys.stdin.readline()
    """
)


def test_kill_mid_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "labels.nii.gz"
    old = b"previous content " * 1000
    atomic_write_bytes(target, old)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "half"
        leftovers = [p for p in tmp_path.iterdir() if p != target]
        assert len(leftovers) == 1 and leftovers[0].stat().st_size >= 4 << 20
    finally:
        child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()
    assert target.read_bytes() == old
    # The half-written data is only ever under a hidden temporary name, which cleanup removes.
    (leftover,) = [p for p in tmp_path.iterdir() if p != target]
    assert is_temporary(leftover) and leftover.name.endswith("labels.nii.gz")
    assert remove_stale_temporaries(tmp_path, older_than_s=0) == [leftover]
    assert list(tmp_path.iterdir()) == [target]


def test_error_inside_the_block_keeps_the_previous_file(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_writer(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_writer_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with atomic_writer(tmp_path / "x.bin"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_writes_replace_and_leave_no_temporaries(tmp_path):
    target = tmp_path / "m.json"
    atomic_write_json(target, {"a": [1, 2]})
    atomic_write_json(target, {"a": [3], "name": "Leber ü"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": [3], "name": "Leber ü"}
    assert list(tmp_path.iterdir()) == [target]


def test_nan_is_refused_and_the_old_file_kept(tmp_path):
    target = tmp_path / "m.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(ValueError):
        atomic_write_json(target, {"a": float("nan")})
    assert json.loads(target.read_text()) == {"a": 1}


def test_fresh_temporaries_are_not_removed(tmp_path):
    (tmp_path / ".tmp-abc-x.json").write_text("in progress")
    (tmp_path / "x.json").write_text("real")
    assert remove_stale_temporaries(tmp_path) == []
    assert len(list(tmp_path.iterdir())) == 2
