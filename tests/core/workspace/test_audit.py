"""The audit log appends, reads back in order, survives a cut-short last line, refuses typos."""

from __future__ import annotations

import json
import threading

import pytest

from medgui.core.workspace.audit import AuditLog, read_audit


def test_entries_append_in_order_with_details(tmp_path):
    log = AuditLog(tmp_path)
    log.record("series_opened", series="1.2.3", path=tmp_path / "ct")
    log.record("labels_saved", series="1.2.3", files=["labels.nii.gz"])
    read = log.read()
    assert [e.action for e in read.entries] == ["series_opened", "labels_saved"]
    assert read.entries[0].details["path"] == str(tmp_path / "ct")
    assert read.entries[1].details["files"] == ["labels.nii.gz"]
    assert read.problems == []
    first = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[0])
    assert first["format"] == "medgui-audit" and first["time"].endswith("+00:00")


def test_a_cut_short_line_is_named_and_the_rest_still_reads(tmp_path):
    log = AuditLog(tmp_path)
    log.record("model_trained", model="segment", version=1)
    with open(log.path, "a", encoding="utf-8") as handle:
        handle.write('{"format": "medgui-audit", "act')  # a crash mid-line
    log.record("model_run", model="segment", version=1)
    read = read_audit(log.path)
    assert [e.action for e in read.entries] == ["model_trained"]
    assert len(read.problems) == 1 and "line 2" in read.problems[0]


def test_unknown_action_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown audit action"):
        AuditLog(tmp_path).record("series_openned")
    assert not (tmp_path / "audit.jsonl").exists()


def test_threads_never_interleave_lines(tmp_path):
    log = AuditLog(tmp_path)

    def write(n: int) -> None:
        for i in range(50):
            log.record("report_written", writer=n, i=i, text="x" * 500)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read = log.read()
    assert read.problems == [] and len(read.entries) == 200
