"""Importing weights never unpickles code: safetensors and plain state dicts load; pickles with
a payload, pickled modules and other files are refused, and the payload never runs."""

from __future__ import annotations

import os
import pickle
import random
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from medgui.ml.models.safe_load import load_state_dict_file


class _WritesMarker:
    """Unpickling this calls open(marker, "w"): the file appears if the payload runs."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _RunsShell:
    """Unpickling this runs a shell command that creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class _ExecsCode:
    """Unpickling this executes Python source that creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_safetensors_and_plain_state_dicts_load(tmp_path):
    weights = {"conv.weight": torch.randn(4, 1, 3, 3), "conv.bias": torch.zeros(4)}
    save_file(weights, tmp_path / "w.safetensors")
    torch.save(weights, tmp_path / "w.pt")
    torch.save(weights, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    for name in ("w.safetensors", "w.pt", "legacy.pt"):
        loaded = load_state_dict_file(tmp_path / name)
        assert loaded.keys() == weights.keys()
        assert all(torch.equal(loaded[k], weights[k]) for k in weights)


@pytest.mark.parametrize("payload", [_WritesMarker, _RunsShell, _ExecsCode])
def test_a_pickle_with_a_payload_is_refused_and_the_payload_never_runs(tmp_path, payload):
    marker = tmp_path / "payload-ran"
    # Three carriers: a torch zip file (the payload inside a "state dict"), a torch file that
    # is the payload itself, and a bare pickle stream (protocol 2, as torch's legacy format).
    torch.save({"w": torch.zeros(2), "x": payload(str(marker))}, tmp_path / "in_dict.pt")
    torch.save(payload(str(marker)), tmp_path / "bare.pt")
    (tmp_path / "raw.pkl").write_bytes(pickle.dumps(payload(str(marker)), protocol=2))
    for name in ("in_dict.pt", "bare.pt", "raw.pkl"):
        with pytest.raises(ValueError, match="refused") as caught:
            load_state_dict_file(tmp_path / name)
        assert name in str(caught.value)
        assert not marker.exists(), f"the payload in {name} ran"
    # The payload is live: an ordinary unpickler runs it (which is why medgui never uses one).
    result = pickle.loads((tmp_path / "raw.pkl").read_bytes())
    getattr(result, "close", lambda: None)()  # the open() payload returns a file
    assert marker.exists()


def test_the_refusal_names_what_the_file_wanted_to_call(tmp_path):
    marker = tmp_path / "payload-ran"
    torch.save({"x": _RunsShell(str(marker))}, tmp_path / "shell.pt")
    with pytest.raises(ValueError, match=r"shell\.pt.*(posix|os|nt)\.system"):
        load_state_dict_file(tmp_path / "shell.pt")
    assert not marker.exists()


def test_a_pickled_module_is_refused(tmp_path):
    torch.save(torch.nn.Linear(3, 2), tmp_path / "module.pt")
    with pytest.raises(ValueError, match=r"module\.pt: refused.*Linear"):
        load_state_dict_file(tmp_path / "module.pt")


def test_other_files_are_refused_with_the_reason(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as bundle:
        bundle.writestr("readme.txt", "not weights")
    (tmp_path / "noise.bin").write_bytes(random.Random(0).randbytes(256))
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    torch.save([torch.ones(2)], tmp_path / "list.pt")
    torch.save({"w": torch.ones(2), "note": "text"}, tmp_path / "mixed.pt")
    expected = {
        "other.zip": "not a PyTorch weights file",
        "noise.bin": "refused|not a PyTorch weights file",
        "bad.safetensors": "not a valid safetensors file",
        "list.pt": "holds a list, not a state dict",
        "mixed.pt": "note",
        "missing.pt": "no such file",
    }
    for name, reason in expected.items():
        with pytest.raises(ValueError, match=reason) as caught:
            load_state_dict_file(tmp_path / name)
        assert str(tmp_path / name) in str(caught.value)


def test_random_bytes_are_refused_cleanly(tmp_path):
    # Garbage makes the restricted unpickler fail in many ways (IndexError, struct.error, ...):
    # every one must come out as a ValueError naming the file.
    rng = random.Random(1)
    for i in range(300):
        body = rng.randbytes(rng.choice([1, 9, 64, 512]))
        path = tmp_path / f"garbage{i}.pt"
        path.write_bytes((b"\x80\x02" if i % 2 else b"") + body)  # half look like pickles
        with pytest.raises(ValueError, match=f"garbage{i}.pt"):
            load_state_dict_file(path)
