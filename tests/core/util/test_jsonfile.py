"""One JSON reader for medgui's files: every error names the file and the reason."""

import json

import pytest

from medgui.core.labels.io import read_table
from medgui.core.util.jsonfile import parse_json, read_json
from medgui.core.workspace.store import Workspace


def test_read_json_returns_the_value_and_checks_the_format(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"format": "medgui-labels", "labels": [1, 2]}), encoding="utf-8")
    assert read_json(path)["labels"] == [1, 2]
    assert read_json(path, "labels")["format"] == "medgui-labels"
    with pytest.raises(ValueError, match=r"a\.json: not a medgui-series file"):
        read_json(path, "series")
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.json: not a medgui-series file"):
        read_json(path, "series")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{", "not valid JSON \\(Expecting"),
        (b"\xff\xfe", "not valid JSON \\('utf-8' codec"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON \\(nested too deeply\\)"),
    ],
)
def test_read_json_names_the_file_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"^{str(path)}: {reason}"):
        read_json(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"gone\.json: cannot read: No such file"):
        read_json(tmp_path / "gone.json")


def test_parse_json_names_its_source():
    assert parse_json(b'{"a": 1}', "x") == {"a": 1}
    with pytest.raises(ValueError, match=r"^bundle\.zip: card\.json: not valid JSON"):
        parse_json(b"{", "bundle.zip: card.json")


def test_the_users_of_read_json_give_its_messages(tmp_path):
    # The label table and the workspace record used to say "cannot read ..." each their own way.
    table = tmp_path / "labels.json"
    table.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels\.json: not valid JSON"):
        read_table(table)
    (tmp_path / "workspace.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"workspace\.json: not a medgui-workspace file"):
        Workspace(tmp_path)
