"""The study index keeps identifying data: it forgets vanished files, folders on request, and
everything when cleared."""

from __future__ import annotations

from pathlib import Path

from dicom_testing import ramp_volume

from medgui.cli import main
from medgui.core import scan
from medgui.core.dicom.write import SeriesInfo
from medgui.core.io.index import default_index

NAME = "Zyxwvut^Quirinus"  # a patient name that shows up in the index file's bytes


def _series(make_series, name: str):
    info = SeriesInfo(series_description=name, patient_name=NAME, window_center=None)
    return make_series(name, ramp_volume(shape=(3, 8, 8)), info=info)[1]


def _index_bytes() -> bytes:
    path = default_index().path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_rescan_drops_the_rows_of_deleted_files(make_series):
    paths = _series(make_series, "A")
    scan(paths[0].parent)
    assert default_index().count() == 3
    paths[2].unlink()
    assert scan(paths[0].parent).image_series[0].number_of_images == 2
    assert default_index().count() == 2
    cached, todo = default_index().lookup([str(p) for p in paths[:2]])
    assert len(cached) == 2 and not todo


def test_forget_removes_one_folder_only(make_series):
    a, b = _series(make_series, "A"), _series(make_series, "B")
    scan(a[0].parent.parent)
    assert default_index().forget(a[0].parent) == 3
    assert default_index().count() == 3
    cached, _ = default_index().lookup([str(p) for p in b])
    assert len(cached) == 3


def test_clear_leaves_no_trace_of_the_headers(make_series):
    paths = _series(make_series, "A")
    scan(paths[0].parent)
    assert NAME.encode() in _index_bytes()
    assert default_index().clear() == 3
    assert default_index().count() == 0
    assert NAME.encode() not in _index_bytes()


def test_prune_drops_rows_of_vanished_files(make_series):
    paths = _series(make_series, "A")
    scan(paths[0].parent)
    for p in paths:
        p.unlink()
    assert default_index().prune() == 3 and default_index().count() == 0


def test_index_command(make_series, capsys):
    a, b = _series(make_series, "A"), _series(make_series, "B")
    scan(a[0].parent.parent)
    assert main(["index"]) == 0
    assert "6 file record(s)" in capsys.readouterr().out
    assert main(["index", "--forget", str(a[0].parent)]) == 0
    assert "forgot 3 file record(s)" in capsys.readouterr().out
    Path(b[0]).unlink()
    assert main(["index", "--prune"]) == 0
    assert "removed 1 record(s)" in capsys.readouterr().out
    assert main(["index", "--clear"]) == 0
    assert "2 file record(s) removed" in capsys.readouterr().out
    assert default_index().count() == 0 and NAME.encode() not in _index_bytes()
