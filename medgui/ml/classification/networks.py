"""Classification networks, each a small registered class (adding one is adding a class).

* ``small_cnn`` (the default): the classic small CNN, Conv 32 3×3 → ReLU → MaxPool → Conv 64
  3×3 → ReLU → MaxPool → Flatten → Dense 64 → ReLU → Dropout 0.5 → Dense n_classes. Fast on a
  CPU and enough for small, clean data sets. Input 64×64 by default.
* ``densenet121`` and ``resnet18``: MONAI's 2-D DenseNet-121 and ResNet-18, the larger options
  for harder problems (a GPU helps). Input 224×224 by default.

Each spec also names its Grad-CAM layer: the last layer whose output still has a spatial grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

DEFAULT_NETWORK = "small_cnn"


def _small_cnn_grid(size: int) -> int:
    """The side of the small CNN's last feature map for a `size`×`size` input (valid 3×3
    convolutions, 2×2 pooling)."""
    side = (size - 2) // 2
    return (side - 2) // 2


class SmallCNN(nn.Module):
    """The classic small CNN for `size`×`size` images with `in_channels` channels."""

    def __init__(self, in_channels: int, n_classes: int, size: int = 64) -> None:
        super().__init__()
        if _small_cnn_grid(size) < 1:
            raise ValueError(f"the small CNN needs inputs of at least 10×10 pixels, got {size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),  # features.4: the Grad-CAM layer (last activations with a grid)
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * _small_cnn_grid(size) ** 2, 64),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(64, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@dataclass(frozen=True)
class NetworkSpec:
    """How to build one network, the input size it expects by default, and its CAM layer."""

    name: str
    default_size: int
    cam_layer: str
    build: Callable[[int, int, int], nn.Module]  # (in_channels, n_classes, size) → network
    min_size: int = 10


NETWORKS: dict[str, NetworkSpec] = {}


def register_network(spec: NetworkSpec) -> NetworkSpec:
    """Make a network available to the classification task by name."""
    NETWORKS[spec.name] = spec
    return spec


def network_spec(name: str) -> NetworkSpec:
    """The spec of network `name` ("" = the default); ValueError names the known ones."""
    name = name or DEFAULT_NETWORK
    if name not in NETWORKS:
        raise ValueError(f"unknown classification model {name!r} (known: {', '.join(NETWORKS)})")
    return NETWORKS[name]


def _densenet121(in_channels: int, n_classes: int, size: int) -> nn.Module:
    from monai.networks.nets import DenseNet121

    return DenseNet121(spatial_dims=2, in_channels=in_channels, out_channels=n_classes)


def _resnet18(in_channels: int, n_classes: int, size: int) -> nn.Module:
    from monai.networks.nets import resnet18

    return resnet18(spatial_dims=2, n_input_channels=in_channels, num_classes=n_classes)


register_network(NetworkSpec("small_cnn", 64, "features.4", SmallCNN))
# DenseNet-121 downsamples 32-fold; below 32 pixels its last pooling has nothing to pool.
register_network(NetworkSpec("densenet121", 224, "class_layers.relu", _densenet121, 32))
register_network(NetworkSpec("resnet18", 224, "layer4", _resnet18, 32))


def build_classifier(name: str, in_channels: int, n_classes: int, size: int) -> nn.Module:
    """A fresh network `name` for `size`×`size` inputs; ValueError for a bad combination."""
    spec = network_spec(name)
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    if in_channels not in (1, 3):
        raise ValueError(f"images must be greyscale or RGB, got {in_channels} channels")
    if size < spec.min_size:
        raise ValueError(f"{spec.name} needs inputs of at least {spec.min_size} pixels, got {size}")
    return spec.build(in_channels, n_classes, size)
