"""The beat network and its loss.

`BeatNet`: a small 1-D convolutional front end that shapes QRS-width features and reduces the
rate four-fold (so the recurrent part runs over 62.5 steps a second at 250 Hz, not 250), a
bidirectional GRU that sees the rhythm on both sides of each beat (a premature beat is known by
its neighbours), and a per-step head upsampled back to the input's rate: channel 0 is the beat
presence (logit of the beat-centre heat), channels 1.. the class logits.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from medgui.ml.signals.data import IGNORE

DEFAULT_WIDTH = 16
DEFAULT_HIDDEN = 32


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(cin, cout, 7, stride=stride, padding=3), nn.BatchNorm1d(cout), nn.ReLU()
    )


class BeatNet(nn.Module):
    """(batch, leads, n) → (batch, 1 + classes, n) logits."""

    def __init__(self, leads: int, classes: int, width: int = DEFAULT_WIDTH,
                 hidden: int = DEFAULT_HIDDEN) -> None:  # fmt: skip
        super().__init__()
        self.front = nn.Sequential(
            _block(leads, width, 1), _block(width, width, 2), _block(width, 2 * width, 2)
        )
        self.gru = nn.GRU(2 * width, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Conv1d(2 * hidden, 1 + classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        features = self.front(x)
        sequence, _ = self.gru(features.transpose(1, 2))
        out = self.head(sequence.transpose(1, 2))
        return F.interpolate(out, size=n, mode="linear", align_corners=False)


class BeatLoss(nn.Module):
    """Weighted BCE on the beat heat (beats are a few percent of the samples: the samples near
    them weigh more) plus cross-entropy on the class near each beat, `class_weights` balancing
    rare symbols."""

    def __init__(self, class_weights: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("class_weights", class_weights)

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, heat = outputs[:, 0].float(), targets[:, 0]
        presence = F.binary_cross_entropy_with_logits(logits, heat, weight=1 + 9 * heat)
        labels = targets[:, 1].long()
        if outputs.shape[1] < 3 or not (labels != IGNORE).any():
            return presence
        kind = F.cross_entropy(
            outputs[:, 1:].float(), labels, weight=self.class_weights, ignore_index=IGNORE
        )
        return presence + kind
