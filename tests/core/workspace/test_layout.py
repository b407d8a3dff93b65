"""The workspace layout has one owner: the store, the audit log and the model registry all put
their files where `core.workspace.layout` says."""

import numpy as np

from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.signals.beat_session import BeatSession
from medgui.core.signals.signal import Signal
from medgui.core.workspace import layout
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.beats import save_beats
from medgui.core.workspace.store import SeriesWork, Workspace


def _work() -> SeriesWork:
    grid = Volume(np.zeros((3, 4, 5), np.int16), (1.0, 1.0, 2.0), (0.0, 0.0, 0.0))
    return SeriesWork("1.2.3", "1.2.3", "t", labelmap=LabelMap.empty_like(grid))


def test_the_store_and_the_audit_log_follow_the_layout(tmp_path):
    root = tmp_path / "ws"
    assert not layout.is_workspace(root)
    workspace = Workspace(root)
    workspace.save_series(_work(), autosave=True)
    assert layout.is_workspace(root) and layout.workspace_file(root).is_file()
    series_folder = workspace.series_dir("1.2.3")
    assert series_folder.parent == layout.series_root(root)
    assert (series_folder / layout.AUTOSAVE_DIR).is_dir()
    AuditLog(root).record("labels_saved", series="1.2.3", folder=str(series_folder))
    record = Signal(np.zeros((1, 100)), 100.0, ["II"], ["mV"], source=str(root.parent / "r.hea"))
    beats = save_beats(root, BeatSession(record))
    assert beats.parent.parent == layout.signals_root(root) and beats.name == layout.BEATS_FILE
    assert layout.audit_path(root).read_text(encoding="utf-8").count("labels_saved") == 1
    # Everything in the workspace is one of the layout's names.
    names = {layout.WORKSPACE_FILE, layout.SERIES_DIR, layout.AUDIT_FILE, layout.MODELS_DIR}
    names.add(layout.SIGNALS_DIR)
    assert {p.name for p in root.iterdir()} <= names


def test_the_paths_are_under_the_root(tmp_path):
    assert layout.models_dir(tmp_path) == tmp_path / "models"
    assert layout.audit_path(str(tmp_path)) == tmp_path / "audit.jsonl"
    assert layout.series_root(tmp_path) == tmp_path / "series"
    assert layout.signal_dir(tmp_path, "/a/r.hea").parent == tmp_path / "signals"


def test_report_paths_are_hashed_inside_the_reports_folder(tmp_path):
    from medgui.core.workspace.layout import report_path, report_terms_path, reports_dir

    path = report_path(tmp_path, "id/with:odd*chars")
    assert path.parent == reports_dir(tmp_path) == tmp_path / "reports"
    assert path.name.startswith("h-") and len(path.name) == len("h-") + 24 + len(".json")
    assert report_path(tmp_path, "a") != report_path(tmp_path, "b")
    assert report_terms_path(tmp_path) == tmp_path / "report_terms.txt"
