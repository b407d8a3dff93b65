"""The workspace: exact round trips, autosave and restore, kills mid-save, bad files; and the
autosave timing policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from dicom_testing import rotation

from medgui.core.image.volume import Volume
from medgui.core.io.index import data_dir
from medgui.core.labels.labelmap import LabelMap
from medgui.core.workspace.store import AutosavePolicy, SeriesWork, Workspace, folder_name

UID = "1.2.826.0.1.3680043.8.498.1"

# Shared by the tests and the child processes they kill: `work(n)` is state n of one series.
STATES = """
import sys
import numpy as np
from medgui.core.labels.labelmap import LabelMap
from medgui.core.image.volume import Volume
from medgui.core.workspace.store import SeriesWork, Workspace

def work(n):
    grid = Volume(np.zeros((4, 5, 6), np.int16), (0.5, 0.6, 2.0), (1.0, 2.0, 3.0))
    labelmap = LabelMap.empty_like(grid)
    labelmap.table.add(f"state {n}")
    labelmap.layers[0][:n] = 1
    return SeriesWork("1.2.3", "1.2.3", f"state {n}", labelmap=labelmap, measurements=[{"n": n}])
"""
namespace: dict = {}
exec(STATES, namespace)
work = namespace["work"]


def _run_until_blocked(script: str, root) -> None:
    """Run `script` in a child until it prints "mid" (where it blocks), then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, "-c", STATES + script, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "mid"
    finally:
        child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()


def _rich_work(key: str = UID) -> SeriesWork:
    grid = Volume(
        np.zeros((5, 6, 7), np.int16),
        (0.712345678901, 0.8, 2.5),
        (-11.123456789, 12.5, 30.0),
        rotation(10, -20, 30),
    )
    labelmap = LabelMap.empty_like(grid)
    labelmap.table.add("Liver")
    labelmap.table.add("Lesion", layer=1).opacity = 0.8
    labelmap.ensure_layer(1)
    labelmap.layers[0][1:4, 2:5, 1:6] = 1
    labelmap.layers[1][2:3, 3:4, 2:4] = 2
    measurements = [{"type": "distance", "uid": "m1", "p0": [1.5, 2.0], "p1": [3.0, 4.25]}]
    annotations = {"boxes": [{"label": 1, "min_ijk": [1, 2, 1], "max_ijk": [5, 4, 3]}]}
    annotations["tags"] = {"series": ["abnormal"], "slices": {"2": ["lesion"]}}
    return SeriesWork(key, UID, "Axial CT", ["/data/a.dcm"], labelmap, measurements, annotations)


def _assert_same(got: SeriesWork, want: SeriesWork) -> None:
    assert (got.key, got.uid, got.description) == (want.key, want.uid, want.description)
    assert got.source_paths == want.source_paths
    assert got.measurements == want.measurements and got.annotations == want.annotations
    a, b = got.labelmap, want.labelmap
    assert len(a.layers) == len(b.layers)
    for x, y in zip(a.layers, b.layers, strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    assert a.table == b.table
    # Exact, although NIfTI keeps geometry in single precision.
    assert a.spacing_mm == b.spacing_mm and a.origin == b.origin
    assert np.array_equal(a.direction, b.direction)


def test_default_root_is_in_the_data_dir():
    assert Workspace().root == data_dir() / "workspace"


def test_explicit_save_round_trip_is_exact(tmp_path):
    workspace = Workspace(tmp_path / "ws")
    original = _rich_work()
    saved_at = workspace.save_series(original)
    folder = workspace.series_dir(UID)
    assert folder.name == UID and original.saved_at_ns == saved_at
    names = {p.name for p in folder.iterdir()}
    assert names == {"series.json", "labels.nii.gz", "labels.json", "measurements.json",
                     "annotations.json"}  # fmt: skip
    loaded = workspace.load_series(UID)
    _assert_same(loaded, original)
    assert loaded.saved_at_ns == saved_at
    assert workspace.series_keys() == [UID] and workspace.recoverable() == []
    record = json.loads((folder / "series.json").read_text())
    assert record["kind"] == "explicit" and set(record["files"]) == names - {"series.json"}


def test_path_keys_get_a_hashed_folder(tmp_path):
    key = "/scans/März 2024/head:ct?.nii.gz"
    workspace = Workspace(tmp_path)
    workspace.save_series(_rich_work(key))
    assert folder_name(key).startswith("h-") and folder_name("1.2.3") == "1.2.3"
    assert workspace.load_series(key).key == key and workspace.series_keys() == [key]


def test_unsaved_series_loads_as_none(tmp_path):
    assert Workspace(tmp_path).load_series("9.9") is None


def test_saving_without_a_label_map_removes_the_label_files(tmp_path):
    workspace = Workspace(tmp_path)
    work_ = _rich_work()
    workspace.save_series(work_)
    work_.labelmap = None
    workspace.save_series(work_)
    assert not (workspace.series_dir(UID) / "labels.nii.gz").exists()
    assert workspace.load_series(UID).labelmap is None


def test_autosave_is_offered_until_an_explicit_save(tmp_path):
    workspace = Workspace(tmp_path)
    first = workspace.save_series(work(1))
    autosaved = workspace.save_series(work(2), autosave=True)
    (offer,) = workspace.recoverable()
    assert (offer.key, offer.description, offer.problem) == ("1.2.3", "state 2", "")
    assert (offer.autosaved_at_ns, offer.saved_at_ns) == (autosaved, first)
    assert workspace.load_series("1.2.3").measurements == [{"n": 1}]
    restored = workspace.restore("1.2.3")
    _assert_same(restored, work(2))
    workspace.save_series(restored)
    assert workspace.recoverable() == []
    assert not (workspace.series_dir("1.2.3") / ".autosave").exists()
    assert workspace.load_series("1.2.3").measurements == [{"n": 2}]


def test_autosave_without_any_explicit_save_is_offered(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.save_series(work(1), autosave=True)
    workspace.save_series(work(2), autosave=True)
    (offer,) = workspace.recoverable()
    assert offer.saved_at_ns is None and workspace.load_series("1.2.3") is None
    assert workspace.restore("1.2.3").measurements == [{"n": 2}]


def test_discard_autosave(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.save_series(work(1))
    workspace.save_series(work(2), autosave=True)
    workspace.discard_autosave("1.2.3")
    assert workspace.recoverable() == []
    assert workspace.load_series("1.2.3").measurements == [{"n": 1}]
    with pytest.raises(ValueError, match="no autosave"):
        workspace.restore("1.2.3")


def test_kill_during_an_autosave_keeps_the_previous_autosave(tmp_path):
    script = """
from medgui.core.workspace import store as module
workspace = Workspace(sys.argv[1])
workspace.save_series(work(1))
workspace.save_series(work(2), autosave=True)
real = module.atomic_write_json
def blocking(path, data, **options):
    if path.name == "annotations.json":  # measurements.json of state 3 is already written
        print("mid", flush=True)
        sys.stdin.readline()
    return real(path, data, **options)
module.atomic_write_json = blocking
workspace.save_series(work(3), autosave=True)
"""
    _run_until_blocked(script, tmp_path)
    workspace = Workspace(tmp_path)
    (offer,) = workspace.recoverable()
    assert offer.description == "state 2"
    _assert_same(workspace.restore("1.2.3"), work(2))
    _assert_same(workspace.load_series("1.2.3"), work(1))


def test_kill_while_promoting_an_explicit_save_loses_nothing(tmp_path):
    script = """
import os
workspace = Workspace(sys.argv[1])
workspace.save_series(work(1))
real = os.link
def blocking(source, target):
    real(source, target)
    print("mid", flush=True)
    sys.stdin.readline()
os.link = blocking
workspace.save_series(work(3))
"""
    _run_until_blocked(script, tmp_path)
    workspace = Workspace(tmp_path)
    # The series folder was un-committed, so the complete autosave of state 3 is offered.
    assert workspace.load_series("1.2.3") is None
    (offer,) = workspace.recoverable()
    assert offer.description == "state 3" and offer.saved_at_ns is None
    _assert_same(workspace.restore("1.2.3"), work(3))
    workspace.save_series(workspace.restore("1.2.3"))
    _assert_same(workspace.load_series("1.2.3"), work(3))


def test_changed_or_missing_files_are_named(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.save_series(_rich_work())
    folder = workspace.series_dir(UID)
    (folder / "measurements.json").write_text("[]")
    with pytest.raises(ValueError, match="measurements.json: changed or corrupt"):
        workspace.load_series(UID)
    workspace.save_series(_rich_work())
    (folder / "labels.nii.gz").unlink()
    with pytest.raises(ValueError, match="labels.nii.gz: missing"):
        workspace.load_series(UID)


def test_corrupt_records_are_named(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.save_series(work(1), autosave=True)
    (slot,) = (workspace.series_dir("1.2.3") / ".autosave").iterdir()
    (slot / "series.json").write_text("{")
    (offer,) = workspace.recoverable()
    assert offer.key == "1.2.3" and "series.json: not valid JSON" in offer.problem
    (tmp_path / "workspace.json").write_text('{"format": "medgui-workspace", "version": 7}')
    with pytest.raises(ValueError, match="workspace.json: unsupported"):
        Workspace(tmp_path)


def test_save_times_grow_even_if_the_clock_steps_back(tmp_path, monkeypatch):
    workspace = Workspace(tmp_path)
    first = workspace.save_series(work(1))
    monkeypatch.setattr("time.time_ns", lambda: 1000)
    assert workspace.save_series(work(2), autosave=True) > first
    assert len(workspace.recoverable()) == 1


def test_policy_waits_for_edits_to_stop():
    policy = AutosavePolicy(quiet_s=3.0, max_delay_s=60.0)
    assert not policy.dirty and policy.due_at() is None and not policy.due(100.0)
    policy.mark_dirty(10.0)
    policy.mark_dirty(12.0)
    assert policy.due_at() == 15.0 and not policy.due(14.9) and policy.due(15.0)
    token = policy.begin_save(15.0)
    policy.saved(token)
    assert not policy.dirty and not policy.due(1000.0)


def test_policy_saves_during_non_stop_editing():
    policy = AutosavePolicy(quiet_s=3.0, max_delay_s=60.0)
    for t in range(0, 70):
        policy.mark_dirty(float(t))
        if policy.due(float(t)):
            break
    assert t == 60


def test_edits_during_a_save_stay_dirty_and_failures_back_off():
    policy = AutosavePolicy(quiet_s=3.0, max_delay_s=60.0, retry_s=10.0)
    policy.mark_dirty(0.0)
    token = policy.begin_save(5.0)
    policy.mark_dirty(6.0)
    policy.saved(token)
    assert policy.dirty and policy.due_at() == 9.0
    token = policy.begin_save(9.0)
    policy.failed(9.5)
    assert policy.due_at() == 19.5 and not policy.due(19.0)
    policy.saved(policy.begin_save(19.5))
    assert not policy.dirty


def test_workspace_files_are_plain_json(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.save_series(_rich_work())
    folder = workspace.series_dir(UID)
    table = json.loads((folder / "labels.json").read_text())
    assert table["grid"]["spacing_mm"] == [0.712345678901, 0.8, 2.5]
    assert [lb["name"] for lb in table["labels"]] == ["Liver", "Lesion"]
    assert json.loads((folder / "annotations.json").read_text())["annotations"]["tags"]
    assert os.path.getsize(folder / "labels.nii.gz") > 0
