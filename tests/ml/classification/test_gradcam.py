"""Grad-CAM looks where the evidence is: on images whose class is decided by a bright square in
one corner, the map of a briefly trained small CNN lies mostly in that corner."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from medgui.ml.classification.gradcam import grad_cam, mass_in_box
from medgui.ml.classification.networks import build_classifier, network_spec

SIZE, HALF, SQUARE = 32, 16, 8


def _corner_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 0: a bright square in the top-left quadrant; class 1: in the bottom-right one."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.25, 0.08, (n, 1, SIZE, SIZE)).astype(np.float32)
    labels = np.arange(n) % 2
    for image, label in zip(images, labels, strict=True):
        row, col = rng.integers(0, HALF - SQUARE + 1, size=2) + HALF * label
        image[0, row : row + SQUARE, col : col + SQUARE] += 0.6
    return torch.from_numpy(images), torch.from_numpy(labels)


@pytest.fixture(scope="module")
def small_cnn() -> nn.Module:
    """The small CNN after 8 epochs of Adam on 96 images (well under a second)."""
    torch.manual_seed(0)
    network = build_classifier("small_cnn", 1, 2, SIZE)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    images, labels = _corner_data(96, seed=0)
    for _ in range(8):
        network.train()
        for start in range(0, len(images), 16):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(
                network(images[start : start + 16]), labels[start : start + 16]
            )
            loss.backward()
            optimizer.step()
    return network.eval()


def test_the_map_lies_in_the_corner_that_decides_the_class(small_cnn):
    images, labels = _corner_data(20, seed=1)
    with torch.no_grad():
        assert (small_cnn(images).argmax(dim=1) == labels).float().mean() >= 0.9
    layer = network_spec("small_cnn").cam_layer
    masses = []
    for image, label in zip(images, labels, strict=True):
        cam = grad_cam(small_cnn, image, layer, int(label))
        assert cam.shape == (SIZE, SIZE) and cam.dtype == np.float32
        assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
        quadrant = slice(0, HALF) if label == 0 else slice(HALF, SIZE)
        masses.append(mass_in_box(cam, quadrant, quadrant))
    # The quadrant is a quarter of the image: a map that ignored the square would put ~25% of
    # its mass there. Thresholds: ≥ 60% on average, ≥ 40% on every image (measured over six
    # seeds: 81-91% on average, at least 64% on every image).
    assert np.mean(masses) >= 0.6, masses
    assert min(masses) >= 0.4, masses


def test_map_on_another_grid_and_the_predicted_class(small_cnn):
    image, _ = _corner_data(1, seed=2)
    cam = grad_cam(small_cnn, image[0], "features.4", output_size=(50, 70))
    assert cam.shape == (50, 70)
    small_cnn.zero_grad(set_to_none=True)
    before = {k: v.clone() for k, v in small_cnn.state_dict().items()}
    grad_cam(small_cnn, image[0], "features.4", 1)
    assert all(torch.equal(before[k], v) for k, v in small_cnn.state_dict().items())
    assert all(p.grad is None for p in small_cnn.parameters())
    with pytest.raises(ValueError, match="no layer 'nope'"):
        grad_cam(small_cnn, image[0], "nope")
    with pytest.raises(ValueError, match="class 5"):
        grad_cam(small_cnn, image[0], "features.4", 5)


def test_after_global_pooling_the_element_wise_map_is_grad_cam():
    # ResNet ends in global average pooling: the gradient is the same at every position, so
    # the element-wise (HiResCAM) map equals the original Grad-CAM.
    torch.manual_seed(0)
    network = build_classifier("resnet18", 1, 2, 32).eval()
    image = torch.rand(1, 32, 32)
    layer = network_spec("resnet18").cam_layer
    for class_index in (0, 1):
        hires = grad_cam(network, image, layer, class_index)
        original = grad_cam(network, image, layer, class_index, method="gradcam")
        np.testing.assert_allclose(hires, original, atol=1e-5)
