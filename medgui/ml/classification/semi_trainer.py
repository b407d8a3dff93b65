"""The trainer of the semi-supervised methods ("gan", "fixmatch"): the `Trainer` with its own
step (labelled and unlabelled images in each batch, see `unlabelled.SemiSupervisedDataset`).

Events, checkpoints (the generator and its optimiser ride in the checkpoint), cancel, resume and
the card are the `Trainer`'s. Each epoch adds its method's losses to the epoch metrics ("d_loss",
"g_loss" for the GAN; "unlabelled_loss", "pseudo_label_rate" for FixMatch) and the GAN yields a
`SamplesDrawn` grid (the same noise every epoch, so the grid shows the generator learn).
Mixed precision is off: the GAN's two optimisers and one scaler do not mix, and these networks
are small.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from medgui.ml.classification.privacy import (
    FEATURES_FILE,
    GENERATOR_FILE,
    copy_threshold,
    features_of,
)
from medgui.ml.classification.ssgan import (
    ConditionalGenerator,
    Features,
    discriminator_loss,
    fixmatch_loss,
    generator_loss,
    strong_augment,
)
from medgui.ml.training.checkpoint import cpu_state_dict
from medgui.ml.training.events import SamplesDrawn
from medgui.ml.training.trainer import Trainer

GRID_PER_CLASS = 8  # samples per class in the live grid
FIXMATCH_THRESHOLD = 0.95  # FixMatch's confidence threshold (the paper's value)
# The GAN's mode-seeking weight (see ssgan.generator_loss). Digits benchmark, 0.4 min: 0 gave one
# image per class; 1 and 0.1 blobs 1.6× and 1.2× as varied as real digits; 0.02 digit-like
# shapes, 1.1× as varied, the same test accuracy.
MODE_SEEKING = 0.02


def sample_grid(images: torch.Tensor, rows: int, gap: int = 1) -> np.ndarray:
    """uint8 grid of `images` (N, C, S, S) in 0..1, `rows` rows, a `gap`-pixel black border."""
    n, c, side, _ = images.shape
    cols = -(-n // rows)
    pixels = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    grid = np.zeros((rows * (side + gap) + gap, cols * (side + gap) + gap, c), np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = gap + r * (side + gap), gap + col * (side + gap)
        grid[y : y + side, x : x + side] = pixels[i].transpose(1, 2, 0)
    return grid[..., 0] if c == 1 else grid


class SemiSupervisedTrainer(Trainer):
    """Trains a classifier from labelled and unlabelled images (`config.options["method"]`)."""

    def __init__(self, task, config, **kwargs: Any) -> None:
        super().__init__(task, config, **kwargs)
        self.method = str(config.options.get("method"))
        if self.method not in ("gan", "fixmatch"):
            raise ValueError(f"unknown semi-supervised method {self.method!r}")
        self.threshold = float(config.options.get("threshold", FIXMATCH_THRESHOLD))
        self.mode_seeking = float(config.options.get("mode_seeking", MODE_SEEKING))
        self.amp = False
        self.generator: ConditionalGenerator | None = None
        self.features: Features | None = None
        self._sums: dict[str, float] = {}
        self._privacy: dict[str, Any] = {}

    # -- the GAN's other half --------------------------------------------------------------

    def _ensure_generator(self) -> ConditionalGenerator:
        if self.generator is None:
            size = self.task.input_size(self.config)
            self.generator = ConditionalGenerator(len(self.task.classes), self.task.channels, size)
            self.generator.to(self.device)
            self.g_optimizer = torch.optim.Adam(
                self.generator.parameters(), self.config.learning_rate, betas=(0.5, 0.999)
            )
            # Fixed noise for the live grid: the same draws every epoch.
            noise = torch.Generator().manual_seed(self.seed)
            self._grid_z = torch.randn(
                len(self.task.classes) * GRID_PER_CLASS, self.generator.latent, generator=noise
            )
        if self.features is None:
            self.features = Features(self.network)
        return self.generator

    def _extra_state(self) -> dict[str, Any]:
        if self.method != "gan" or self.generator is None:
            return {}
        return {
            "generator": cpu_state_dict(self.generator),
            "generator_optimizer": self.g_optimizer.state_dict(),
        }

    def _restore_extra(self, checkpoint: dict[str, Any]) -> None:
        if self.method == "gan" and "generator" in checkpoint:
            self._ensure_generator().load_state_dict(checkpoint["generator"])
            self.g_optimizer.load_state_dict(checkpoint["generator_optimizer"])

    # -- one step --------------------------------------------------------------------------

    def _add(self, **values: float) -> None:
        for key, value in values.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(value)
        self._sums["_steps"] = self._sums.get("_steps", 0.0) + 1  # one call per step

    def _step(self, inputs: Any, targets: Any) -> float:
        (x, u), y = inputs, targets.to(self.device)
        x, u = x.to(self.device), u.to(self.device)
        return self._gan_step(x, u, y) if self.method == "gan" else self._fixmatch_step(x, u, y)

    def _fixmatch_step(self, x: torch.Tensor, u: torch.Tensor, y: torch.Tensor) -> float:
        model = self.model
        model.eval()  # pseudo-labels without dropout's noise
        with torch.no_grad():
            weak = model(u)
        model.train()
        supervised = F.cross_entropy(model(x), y)
        unlabelled, used = fixmatch_loss(weak, model(strong_augment(u)), self.threshold)
        loss = supervised + unlabelled
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._add(unlabelled_loss=float(unlabelled.detach()), pseudo_label_rate=used)
        return float(loss.detach())

    def _gan_step(self, x: torch.Tensor, u: torch.Tensor, y: torch.Tensor) -> float:
        generator, model = self._ensure_generator(), self.model
        generator.train()
        half = max(len(u) // 2, 1)  # two halves with the same classes (mode seeking)
        classes = torch.randint(len(self.task.classes), (half,), device=self.device).repeat(2)
        noise = torch.randn(2 * half, generator.latent, device=self.device)
        fake = generator(noise, classes)
        labelled_logits = model(x)
        unlabelled_logits = model(u)
        real_features = self.features.value.detach()
        d_loss, supervised = discriminator_loss(
            labelled_logits, y, unlabelled_logits, model(fake.detach())
        )
        self.optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.optimizer.step()
        generated_logits = model(fake)
        g_loss = generator_loss(
            real_features, self.features.value, generated_logits, classes, fake, noise,
            mode_seeking_weight=self.mode_seeking,
        )  # fmt: skip
        self.g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_optimizer.step()
        self._add(d_loss=float(d_loss.detach()), g_loss=float(g_loss.detach()))
        return float(supervised.detach())

    # -- one epoch -------------------------------------------------------------------------

    def _train_epoch(self, split, epoch: int, metrics: dict):
        self._sums = {}
        yield from super()._train_epoch(split, epoch, metrics)
        steps = max(self._sums.pop("_steps", 0.0), 1.0)
        metrics.update({key: value / steps for key, value in self._sums.items()})
        if self.method == "gan":
            yield SamplesDrawn(
                epoch,
                sample_grid(self.draw_grid(), len(self.task.classes)),
                list(self.task.classes),
                GRID_PER_CLASS,
                self.task.input_size(self.config),
            )

    def draw_grid(self) -> torch.Tensor:
        """The live grid's images: `GRID_PER_CLASS` per class from the fixed noise."""
        generator = self._ensure_generator()
        labels = torch.arange(len(self.task.classes)).repeat_interleave(GRID_PER_CLASS)
        generator.eval()
        with torch.no_grad():
            images = generator(self._grid_z.to(self.device), labels.to(self.device))
        generator.train()
        return images

    # -- the result ------------------------------------------------------------------------

    def _model_extras(self, network: torch.nn.Module) -> dict[str, dict[str, torch.Tensor]]:
        if self.features is not None:
            self.features.remove()  # the saved network carries no hook
            self.features = None
        if self.method != "gan" or self.generator is None:
            return {}
        train = self._split.train
        images = [train.labelled.prepared(i) for i in range(len(train.labelled))]
        images += [train.unlabelled.prepared(i) for i in range(len(train.unlabelled))]
        features = features_of(network, torch.stack(images), self.device)
        threshold, quantile = copy_threshold(features)
        self._privacy = {
            "distance": "euclidean, penultimate features of the classifier",
            "threshold": threshold,
            "quantile": quantile,
            "training_images": len(images),
        }
        return {
            GENERATOR_FILE: cpu_state_dict(self.generator),
            FEATURES_FILE: {"features": features.contiguous()},
        }

    def card(self, history: list[dict], best_epoch: int, seconds: float):
        card = super().card(history, best_epoch, seconds)
        if self.method == "gan" and self.generator is not None:
            card.extra["generator"] = {"file": GENERATOR_FILE, **self.generator.config()}
            if self._privacy:
                card.extra["privacy"] = {"file": FEATURES_FILE, **self._privacy}
        return card
