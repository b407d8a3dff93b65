"""`medgui propagate IMAGE PARTIAL_LABELS OUT` end to end on a tiny generated series."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from ml_testing import disc_case

from medgui.cli import main
from medgui.core.io.itk import write_itk_volume
from medgui.core.labels.io import load_label_map, save_label_map
from medgui.core.labels.labelmap import LabelMap

pytest.importorskip("torch")


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    volume, truth = disc_case(2, shape=(6, 32, 32))
    partial = np.zeros_like(truth.layers[0])
    partial[[1, 4]] = truth.layers[0][[1, 4]]
    image = write_itk_volume(volume, tmp_path / "image.nii.gz")
    labels = LabelMap([partial], volume.spacing_mm, volume.origin, volume.direction, truth.table)
    return volume, partial, image, save_label_map(labels, tmp_path / "partial.nii.gz")


@pytest.mark.slow
def test_the_labelled_slices_are_kept_and_the_rest_filled(files, tmp_path):
    volume, partial, image, labels = files
    out = tmp_path / "filled.nrrd"
    status, stdout, _ = _run(
        ["propagate", str(image), str(labels), str(out), "--minutes", "0.02", "--device", "cpu"]
    )
    assert status == 0
    figures = json.loads(stdout.strip().splitlines()[-1])
    assert figures["given_slices"] == 2 and figures["filled_slices"] == 4
    filled = load_label_map(out, volume)  # on the image's grid, or this raises
    assert np.array_equal(filled.layers[0][[1, 4]], partial[[1, 4]])
    assert [lb.name for lb in filled.table.labels][:2] == ["disc", "square"]


def test_labels_on_another_grid_are_refused_naming_the_file(files, tmp_path):
    volume, partial, image, _labels = files
    other = LabelMap([partial[:, :-1]], volume.spacing_mm, volume.origin, volume.direction)
    wrong = save_label_map(other, tmp_path / "wrong.nii.gz")
    status, _, stderr = _run(["propagate", str(image), str(wrong), str(tmp_path / "o.nii.gz")])
    assert status == 1
    assert "wrong.nii.gz" in stderr and "grid" in stderr
    assert not (tmp_path / "o.nii.gz").exists()


def test_a_wrong_output_suffix_is_refused_before_training(files, tmp_path):
    _volume, _partial, image, labels = files
    out = tmp_path / "filled.png"
    status, _, stderr = _run(["propagate", str(image), str(labels), str(out), "--minutes", "5"])
    # Refused by the one suffix rule at once, not after minutes of training.
    assert status == 1 and "filled.png: a label file must end in" in stderr
    assert "propagating" not in stderr and not out.exists()
