"""A model folder is untrusted input: `medgui infer` with hostile card fields or weights exits
non-zero with a message that names the field (or layer) and why, never a traceback, and never
a "nothing found" with exit 0."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from ml_testing import classify_model, disc_case, segment_model
from PIL import Image

from medgui.cli.ml import main
from medgui.core.io.itk import write_itk_volume


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    volume, _ = disc_case(0, shape=(2, 32, 32))
    write_itk_volume(volume, root / "image.nii.gz")
    Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16)).save(root / "image.png")
    return {
        "segment": (segment_model(root / "segment"), root / "image.nii.gz", "out.nii.gz"),
        "classify": (classify_model(root / "classify"), root / "image.png", "out.json"),
    }


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def _set(card: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for key in parents:
        card = card[key]
    card[last] = value


# (task, dotted field, hostile value, what the message must name)
HOSTILE_CARDS = [
    ("segment", "input_spacing_mm", [0, 0], "input_spacing_mm"),
    ("segment", "input_size", [10**9, 10**9], "input_size"),
    ("classify", "input_size", [10**9, 10**9], "input_size"),
    ("classify", "classes", [f"c{i}" for i in range(100_000)], "classes"),
    ("segment", "input_channels", 10**6, "input_channels"),
    ("classify", "input_channels", 10**6, "input_channels"),
    ("segment", "hyperparameters.options.channels", [10**6, 10**6], "options.channels"),
    ("segment", "hyperparameters.options.res_units", "two", "options.res_units"),
    ("classify", "hyperparameters.options.size", "two", "options.size"),
    ("segment", "classes", [], "classes"),
    ("classify", "classes", ["only"], "classes"),
    ("segment", "extra.spatial_dims", 7, "spatial_dims"),
    ("segment", "extra.labels", [], "extra.labels"),
    ("segment", "normalisation.ct.window_hu", [300, -200], "window_hu"),
    ("classify", "split", _nested(60), "split"),
    ("classify", "extra", _nested(100_000), "card"),  # json's own parser recursion
]


@pytest.mark.parametrize(("task", "field", "value", "named"), HOSTILE_CARDS)
def test_hostile_card_fields_are_refused_by_name(models, tmp_path, task, field, value, named):
    model, source, output = models[task]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.safetensors").write_bytes((model / "weights.safetensors").read_bytes())
    card = copy.deepcopy(json.loads((model / "card.json").read_text()))
    if field == "extra" and named == "card":  # too deep for json.dumps too: write it by hand
        text = json.dumps(card)[:-1] + ', "extra": ' + '{"x": ' * 100_000 + "{}" + "}" * 100_001
        (folder / "card.json").write_text(text)
    else:
        _set(card, field, value)
        (folder / "card.json").write_text(json.dumps(card))
    status, _, err = _run(["infer", "--model", str(folder), str(source), str(tmp_path / output)])
    assert status != 0, err
    assert named in err and "card.json" in err, err
    assert "Traceback" not in err and not (tmp_path / output).exists()


def _weights(model: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(model / "weights.safetensors")


@pytest.mark.parametrize("task", ["segment", "classify"])
@pytest.mark.parametrize("damage", ["int8", "nan", "inf", "shape", "missing"])
def test_hostile_weights_are_refused_by_layer(models, tmp_path, task, damage):
    from safetensors.torch import save_file

    model, source, output = models[task]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "card.json").write_text((model / "card.json").read_text())
    weights = _weights(model)
    name = next(k for k, v in weights.items() if v.ndim > 1)
    if damage == "int8":
        weights = {k: v.to(torch.int8) for k, v in weights.items()}
    elif damage == "nan":
        weights[name] = torch.full_like(weights[name], float("nan"))
    elif damage == "inf":
        weights[name][..., 0] = float("inf")
    elif damage == "shape":
        weights[name] = weights[name][:1].clone()
    else:
        del weights[name]
    save_file(weights, str(folder / "weights.safetensors"))
    status, _, err = _run(["infer", "--model", str(folder), str(source), str(tmp_path / output)])
    assert status != 0 and "Traceback" not in err, err
    assert "weights.safetensors" in err and name.split(".")[0] in err, err
    assert not (tmp_path / output).exists()
    if damage == "shape":
        assert str(list(weights[name].shape)) in err


@pytest.mark.parametrize("task", ["segment", "classify"])
def test_the_untouched_models_run(models, tmp_path, task):
    """The fixtures themselves are valid: the refusals above come from the damage only."""
    model, source, output = models[task]
    status, out, err = _run(["infer", "--model", str(model), str(source), str(tmp_path / output)])
    assert status == 0, err
    assert (tmp_path / output).is_file()
