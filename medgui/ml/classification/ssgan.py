"""The semi-supervised GAN (Salimans et al. 2016, "Improved techniques for training GANs") and
FixMatch (Sohn et al. 2020): the losses each adds to the classifier's cross-entropy.

GAN: the discriminator IS the classifier, in the paper's K-logit formulation: the K class
logits l(x) of the ordinary network, with the "generated" class's logit fixed at 0, so that
D(x) = Z/(Z+1) with Z = sum exp(l_k(x)). Unlabelled real images push Z up, generated ones push it
down; the network and its card stay an ordinary K-class classifier that `medgui infer` runs.
The generator is trained by feature matching (the paper's stabilisation: match the mean of the
discriminator's penultimate features on real and generated batches).

The generator is CONDITIONAL, in the auxiliary-classifier way (Odena et al. 2017, AC-GAN): it
takes a class with its noise, and its loss adds the discriminator-classifier's cross-entropy of
the generated image against that class. The discriminator checks the class input; so a chosen
class can be drawn. The discriminator itself only learns "generated" for those images (as in
the paper), not their class: a bad sample must not teach it a class.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LATENT = 64  # noise dimensions


class ConditionalGenerator(nn.Module):
    """(noise, class) → image in 0..1 of `channels` × `size` × `size` (DCGAN-style: a dense
    layer to a 4×-downsampled map, two upsampling convolutions)."""

    def __init__(self, n_classes: int, channels: int, size: int, latent: int = LATENT) -> None:
        super().__init__()
        self.n_classes, self.channels, self.size, self.latent = n_classes, channels, size, latent
        self.base = max(2, -(-size // 4))  # the map side before two ×2 upsamplings
        self.embed = nn.Embedding(n_classes, latent)
        self.dense = nn.Sequential(
            nn.Linear(2 * latent, 128 * self.base**2),
            nn.BatchNorm1d(128 * self.base**2),
            nn.ReLU(),
        )
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(64, channels, 3, padding=1),
            nn.Sigmoid(),  # the classifier's inputs are normalised to 0..1
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.dense(torch.cat([z, self.embed(labels)], dim=1))
        x = self.up(h.view(-1, 128, self.base, self.base))
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return x

    def sample(
        self, labels: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Images of the classes `labels` (one each), from fresh noise."""
        z = torch.randn(len(labels), self.latent, generator=generator).to(labels.device)
        return self(z, labels)

    def config(self) -> dict[str, int]:
        """What rebuilds it (recorded in the model card)."""
        return {
            "classes": self.n_classes,
            "channels": self.channels,
            "size": self.size,
            "latent": self.latent,
        }


class Features:
    """The input of `network`'s last linear layer on each forward pass: the penultimate
    features (for feature matching, and the privacy check's distances)."""

    def __init__(self, network: nn.Module) -> None:
        linear = [m for m in network.modules() if isinstance(m, nn.Linear)]
        if not linear:
            raise ValueError("the semi-supervised GAN needs a network ending in a linear layer")
        self.value: torch.Tensor | None = None
        self._hook = linear[-1].register_forward_pre_hook(self._keep)

    def _keep(self, _module, inputs) -> None:
        self.value = inputs[0]

    def remove(self) -> None:
        self._hook.remove()


def _unlabelled_real_loss(logits: torch.Tensor) -> torch.Tensor:
    """-log D(x) for real images, D = Z/(Z+1): -lse + softplus(lse)."""
    lse = torch.logsumexp(logits, dim=1)
    return (-lse + F.softplus(lse)).mean()


def _generated_loss(logits: torch.Tensor) -> torch.Tensor:
    """-log(1 - D(G(z))) = softplus(lse)."""
    return F.softplus(torch.logsumexp(logits, dim=1)).mean()


def discriminator_loss(
    labelled_logits: torch.Tensor,
    targets: torch.Tensor,
    unlabelled_logits: torch.Tensor,
    generated_logits: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(total, supervised part): cross-entropy on the labelled images plus the real/generated
    terms of the unlabelled and generated ones."""
    supervised = F.cross_entropy(labelled_logits, targets)
    unsupervised = _unlabelled_real_loss(unlabelled_logits) + _generated_loss(generated_logits)
    return supervised + 0.5 * unsupervised, supervised


def generator_loss(
    real_features: torch.Tensor,
    generated_features: torch.Tensor,
    generated_logits: torch.Tensor,
    classes: torch.Tensor,
    images: torch.Tensor,
    noise: torch.Tensor,
    class_weight: float = 1.0,
    mode_seeking_weight: float = 0.02,
) -> torch.Tensor:
    """Feature matching, the auxiliary class term (see the module docstring) and a mode-seeking
    term (Mao et al. 2019): the batch's two halves share their classes, and the images of a
    pair must differ as their noise differs. Without it the class term won: every draw of a
    class was the same image (seen on the digits benchmark)."""
    matching = (real_features.detach().mean(0) - generated_features.mean(0)).pow(2).mean()
    half = len(images) // 2
    image_gap = (images[:half] - images[half : 2 * half]).abs().mean()
    noise_gap = (noise[:half] - noise[half : 2 * half]).abs().mean()
    mode_seeking = 1.0 / (image_gap / noise_gap + 1e-5)
    classes_term = class_weight * F.cross_entropy(generated_logits, classes)
    return matching + classes_term + mode_seeking_weight * mode_seeking


def strong_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """FixMatch's strong view of a batch (N, C, H, W): a shift of up to 1/8 of the side, a
    gain and offset within ±0.3, a contrast change, and a cut-out square of 1/4 of the side
    (per image; torch operations only, on the batch's device)."""
    n, _c, h, w = x.shape

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator).to(x.device)

    shift = (uniform(n, 2) * 2 - 1) / 4  # affine_grid units: the side is 2
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 0.5 + uniform(n, 1, 1, 1)
    x = (x - mean) * contrast + mean
    x = x * (1 + (uniform(n, 1, 1, 1) * 2 - 1) * 0.3) + (uniform(n, 1, 1, 1) * 2 - 1) * 0.15
    side = max(1, h // 4)
    ys = (uniform(n) * (h - side + 1)).long().clamp(max=h - side)
    xs = (uniform(n) * (w - side + 1)).long().clamp(max=w - side)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (
        (rows >= ys[:, None, None])
        & (rows < (ys + side)[:, None, None])
        & (cols >= xs[:, None, None])
        & (cols < (xs + side)[:, None, None])
    )
    return x.masked_fill(inside[:, None], 0.0)


def fixmatch_loss(
    weak_logits: torch.Tensor, strong_logits: torch.Tensor, threshold: float
) -> tuple[torch.Tensor, float]:
    """(loss, fraction of the batch used): the weak view's confident predictions (max
    probability >= `threshold`) as hard pseudo-labels for the strong view."""
    probabilities = torch.softmax(weak_logits.detach().float(), dim=1)
    confidence, pseudo = probabilities.max(dim=1)
    mask = (confidence >= threshold).float()
    loss = (F.cross_entropy(strong_logits, pseudo, reduction="none") * mask).mean()
    return loss, float(mask.mean())
