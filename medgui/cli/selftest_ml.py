"""The self-test's checks of the learning side: one training step on two small generated series,
and one inference with the model it made, on the device training would use. `selftest`
registers them in its order of checks."""

from __future__ import annotations

from typing import Any

import numpy as np


def training_cases() -> list[tuple[str, Any, Any]]:
    """Two small generated series (a bright disc on noise, labelled 1): one trains, one
    validates. Small on purpose: the check proves the step runs, not that the model learns."""
    from medgui.core.image.volume import Volume
    from medgui.core.labels.labelmap import LabelMap, LabelTable

    cases = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        image = rng.normal(100.0, 20.0, (4, 64, 64)).astype(np.float32)
        yy, xx = np.mgrid[:64, :64]
        disc = (yy - 32 + 8 * seed) ** 2 + (xx - 30) ** 2 <= 100
        image[:, disc] += 120.0
        labels = np.zeros(image.shape, np.uint8)
        labels[:, disc] = 1
        volume = Volume(image, (1.0, 1.0, 2.0), metadata={"Modality": "MR"})
        table = LabelTable()
        table.add("disc")
        labelmap = LabelMap([labels], volume.spacing_mm, volume.origin, np.eye(3), table)
        cases.append((f"selftest{seed}", volume, labelmap))
    return cases


def training_step(st: Any) -> str:
    """One training step on two small generated series; keeps the model for `inference`."""
    from medgui.ml.models.task import TrainConfig, get_task
    from medgui.ml.training.trainer import Finished, Trainer

    out = st.root / "model"
    config = TrainConfig(
        task="segment",
        epochs=1,
        batch_size=4,
        device="auto",
        val_split=0.5,
        early_stopping_patience=0,
        out_dir=str(out),
        options={"channels": [8, 16, 32], "res_units": 1, "patch_size": 64},
    )
    trainer = Trainer(get_task("segment"), config)
    finished = [e for e in trainer.run(training_cases()) if isinstance(e, Finished)]
    if not finished or not (out / "weights.safetensors").is_file():
        raise RuntimeError("training ended without saving a model")
    loss = finished[0].result.history[-1].get("train_loss", float("nan"))
    st.model_dir, st.device = out, trainer.choice.reason
    return f"{trainer.choice.reason}; train loss {loss:.3f}"


def inference(st: Any) -> str:
    """The self-test's model on the middle slice of the demo study."""
    from medgui.ml.runtime.device import pick_device
    from medgui.ml.segmentation.infer import segment_volume

    model_dir, volume = st.needs("model_dir"), st.needs("volume")
    k = volume.shape_zyx[0] // 2
    device = pick_device()
    proposal = segment_volume(model_dir, volume, slices=[k], device=device.device)
    probabilities = proposal.probabilities
    if probabilities.shape[1:] != volume.shape_zyx:
        raise RuntimeError(f"probabilities {probabilities.shape} on volume {volume.shape_zyx}")
    if not np.allclose(probabilities[:, k].sum(axis=0), 1.0, atol=1e-4):
        raise RuntimeError("the class probabilities do not sum to 1")
    return f"slice {k} on {device.device}"
