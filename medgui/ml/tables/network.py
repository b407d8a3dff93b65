"""The table task's network: the seed's multilayer perceptron, and its numpy logits."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

DEFAULT_HIDDEN = 64
DROPOUT = 0.2


def build_mlp(n_inputs: int, n_classes: int, hidden: int = DEFAULT_HIDDEN) -> nn.Module:
    """inputs → hidden → hidden → logits, ReLU and dropout between."""
    return nn.Sequential(
        nn.Linear(n_inputs, hidden),
        nn.ReLU(),
        nn.Dropout(DROPOUT),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Dropout(DROPOUT),
        nn.Linear(hidden, n_classes),
    )


def logits_of(network: torch.nn.Module, device: torch.device):
    """A numpy → numpy logits function of `network` (eval mode, no gradients)."""

    def predict(x: np.ndarray) -> np.ndarray:
        inputs = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        with torch.no_grad():
            return network(inputs).float().cpu().numpy()

    return predict
