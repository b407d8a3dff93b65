"""Inference: the proposal lies on the input's exact grid, from a model folder or in memory."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from ml_testing import disc_case, tiny_config

import medgui.ml.segmentation  # noqa: F401
from medgui.core.image.volume import Volume
from medgui.ml.models.task import get_task
from medgui.ml.runtime.proposal import Proposal
from medgui.ml.segmentation.infer import InferenceCancelled, segment_volume
from medgui.ml.training.trainer import Trainer


@pytest.fixture(scope="module")
def model_dir(disc_cases, tmp_path_factory):
    """A tiny model trained for 3 epochs and saved as weights.safetensors + card.json."""
    out = tmp_path_factory.mktemp("model")
    list(Trainer(get_task("segment"), tiny_config(out_dir=str(out))).run(disc_cases))
    return out


def test_a_model_folder_segments_onto_the_input_grid(model_dir):
    volume, _ = disc_case(50)
    proposal = segment_volume(model_dir, volume)
    assert proposal.probabilities.shape == (3, *volume.shape_zyx)
    assert proposal.probabilities.dtype == np.float32
    np.testing.assert_allclose(proposal.probabilities.sum(axis=0), 1.0, atol=1e-5)
    assert proposal.labels.matches(volume)
    assert [lb.name for lb in proposal.labels.table.labels] == ["disc", "square"]
    assert proposal.label_values == [1, 2]
    assert proposal.model["task"] == "segment"
    argmax = proposal.probabilities.argmax(axis=0)
    np.testing.assert_array_equal(proposal.labels.layers[0], np.array([0, 1, 2])[argmax])


def test_an_image_at_another_spacing_is_resampled_and_back(model_dir):
    volume, truth = disc_case(51)
    # The same anatomy at half the pixel size: the model (trained at 1 mm) sees it at 1 mm.
    fine = sitk.Expand(sitk.GetImageFromArray(volume.array), [2, 2, 1])
    array = sitk.GetArrayFromImage(fine)
    hires = Volume(array, (0.5, 0.5, 2.0), (-32.25, -32.25, 0.0), metadata={"Modality": "MR"})
    proposal = segment_volume(model_dir, hires)
    assert proposal.probabilities.shape[1:] == hires.shape_zyx == (6, 128, 128)
    assert proposal.labels.matches(hires)
    found = proposal.labels.layers[0][:, ::2, ::2] == 1
    disc = truth.layers[0] == 1
    assert 2 * (found & disc).sum() / (found.sum() + disc.sum()) > 0.5


def test_only_the_requested_slices_and_cancel(model_dir):
    volume, _ = disc_case(52)
    proposal = segment_volume(model_dir, volume, slices=[2])
    assert proposal.computed_slices == [2]
    assert (proposal.probabilities[0, [0, 1, 3, 4, 5]] == 1).all()
    assert proposal.labels.layers[0][2].any()
    with pytest.raises(InferenceCancelled):
        segment_volume(model_dir, volume, progress=lambda done, total: False)


def test_proposal_to_labelmap_with_a_threshold_and_one_label(model_dir):
    volume, _ = disc_case(53)
    proposal: Proposal = segment_volume(model_dir, volume)
    everything = proposal.to_labelmap(0.0)
    np.testing.assert_array_equal(
        everything.layers[0] > 0, proposal.probabilities[1:].max(axis=0) > 0
    )
    strict = proposal.to_labelmap(0.99)
    assert (strict.layers[0] > 0).sum() < (proposal.to_labelmap(0.5).layers[0] > 0).sum()
    disc_only = proposal.to_labelmap(0.5, values=[1])
    assert set(np.unique(disc_only.layers[0])) <= {0, 1}
    assert [lb.name for lb in disc_only.table.labels] == ["disc"]
    np.testing.assert_array_equal(disc_only.layers[0] == 1, proposal.probability(1) >= 0.5)
    with pytest.raises(ValueError, match="unknown"):
        proposal.to_labelmap(0.5, values=[7])
