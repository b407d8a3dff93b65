"""Archive nodes: addresses on the command line, the saved list, its file and its secrets."""

from __future__ import annotations

import json

import pytest

from medgui.core.net.nodes import (
    ArchiveSettings,
    Node,
    load_settings,
    parse_address,
    save_settings,
    settings_path,
)
from medgui.core.net.query import Query, date_range


def test_dicom_and_web_addresses_parse_into_nodes():
    node = parse_address("dicom://PACS_1@10.0.0.5:104")
    assert (node.ae_title, node.host, node.port, node.tls, node.is_web) == (
        "PACS_1", "10.0.0.5", 104, False, False
    )  # fmt: skip
    assert parse_address("dicoms://PACS@[::1]:2762").tls
    assert parse_address("dicoms://PACS@[::1]:2762").host == "::1"
    web = parse_address("https://pacs.example.org/dicom-web/")
    assert web.is_web and web.url == "https://pacs.example.org/dicom-web"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("dicom://@host:104", "not a node"),
        ("dicom://WAY_TOO_LONG_AE_TITLE@host:104", "not valid"),
        ("dicom://PACS@host:70000", "not 1-65535"),
        ("ftp://host/x", "not a node"),
        ("PACS@host:104", "not a node"),
    ],
)
def test_bad_addresses_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_address(text)


def test_saved_nodes_round_trip_without_their_secret(tmp_path):
    settings = ArchiveSettings(calling_ae="WS01", listener_port=11113)
    settings.put(Node("main", ae_title="PACS", host="pacs.local", port=104, tls=True))
    web = Node("web", url="https://x.org/dicom-web", auth="basic", username="u", secret="hunter2")
    settings.put(web)
    path = save_settings(settings, tmp_path / "nodes.json")
    assert "hunter2" not in path.read_text()
    back = load_settings(path)
    assert back == settings  # secrets do not take part in equality
    assert back.node("web").secret == ""
    assert back.node("main").address == "dicoms://PACS@pacs.local:104"
    assert back.node("dicom://X@h:1").ae_title == "X"  # an address is a node too
    assert (back.calling_ae, back.listener_port) == ("WS01", 11113)


def test_the_default_file_lives_in_the_data_folder_and_is_written_atomically(tmp_path):
    assert load_settings() == ArchiveSettings()  # nothing saved yet: the defaults
    settings = ArchiveSettings()
    settings.put(Node("a", ae_title="A", host="h", port=1))
    save_settings(settings)
    assert load_settings().node("a").host == "h"
    # Nothing but the file itself is left beside it (the temporary was renamed over it).
    assert [p.name for p in settings_path().parent.glob("*nodes*")] == ["pacs-nodes.json"]


def test_unknown_node_names_list_the_saved_ones():
    settings = ArchiveSettings()
    settings.put(Node("main", ae_title="PACS", host="h", port=104))
    with pytest.raises(ValueError, match=r"saved nodes: main"):
        settings.node("mian")


def test_a_damaged_settings_file_is_named(tmp_path):
    path = tmp_path / "nodes.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="nodes.json: not valid JSON"):
        load_settings(path)
    path.write_text(json.dumps({"format": "medgui-pacs-nodes", "nodes": [{"name": "x"}]}))
    with pytest.raises(ValueError, match=r"nodes.json: .*called AE title"):
        load_settings(path)


def test_secret_comes_from_the_environment_when_not_given(monkeypatch):
    node = Node("web", url="https://x.org/dicom-web", auth="bearer")
    monkeypatch.setenv("MEDGUI_PACS_SECRET", "token-1")
    assert node.with_secret().secret == "token-1"
    assert node.with_secret("given").secret == "given"


def test_queries_become_dicom_matching_keys():
    assert date_range("20030101-20031231") == ("20030101", "20031231")
    assert date_range("20030505") == ("20030505", "20030505")
    assert date_range("-20031231") == ("", "20031231")
    with pytest.raises(ValueError, match="YYYYMMDD"):
        date_range("2003-01-01")
    query = Query(patient_name="Doe*", date_from="20030101", modality="MR")
    assert query.filters() == {
        "PatientName": "Doe*",
        "StudyDate": "20030101-",
        "ModalitiesInStudy": "MR",
    }
