"""Grad-CAM: which part of the image made the classifier choose a class.

Grad-CAM (Selvaraju et al. 2017) takes the activations A of the last layer that still has a
spatial grid and the gradient G of the class score with respect to them, weights each channel
by its mean gradient and keeps the positive part: relu(sum_k mean(G_k) A_k). medgui multiplies
G and A element-wise before summing over channels instead (HiResCAM, Draelos & Carin 2020):

* for networks that end in global average pooling (MONAI's DenseNet and ResNet) the gradient is
  the same at every position, so the two maps are identical;
* for the small CNN, whose dense layer weighs every position separately, averaging the gradient
  throws away where the dense layer looked, and the plain Grad-CAM map spreads over the whole
  image; the element-wise map stays on the evidence.

`method="gradcam"` gives the original. The map is upsampled (bilinear) to the input grid, or
to any requested (H, W), and scaled to 0..1.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("hirescam", "gradcam")


def _layer(model: nn.Module, name: str) -> nn.Module:
    modules = dict(model.named_modules())
    if name not in modules:
        raise ValueError(f"the network has no layer {name!r} for Grad-CAM")
    return modules[name]


def grad_cam(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    class_index: int | None = None,
    output_size: tuple[int, int] | None = None,
    method: str = "hirescam",
) -> np.ndarray:
    """The class activation map (float32, 0..1) of one input `x` (C, H, W) for `class_index`
    (the predicted class when None) at the named `layer`, on the input grid or on
    `output_size` (H, W). `method`: "hirescam" (default; see the module docstring) or
    "gradcam".

    The model is put in eval mode (dropout off, batch norm frozen); its parameters and their
    gradients are not touched. An all-zero map means nothing in the image spoke for the class.
    """
    if x.ndim != 3:
        raise ValueError(f"Grad-CAM takes one (C, H, W) image, got shape {tuple(x.shape)}")
    if method not in METHODS:
        raise ValueError(f"unknown class activation method {method!r} (known: {METHODS})")
    model.eval()
    device = next(model.parameters()).device
    captured: dict[str, torch.Tensor] = {}

    def keep(_module, _inputs, output):
        captured["activations"] = output

    handle = _layer(model, layer).register_forward_hook(keep)
    try:
        with torch.enable_grad():
            # An input that needs a gradient keeps a graph even if the weights are frozen.
            logits = model(x[None].to(device).requires_grad_(True))
            if class_index is None:
                class_index = int(logits.argmax(dim=1))
            if not 0 <= class_index < logits.shape[1]:
                raise ValueError(f"class {class_index} is not one of the model's outputs")
            activations = captured["activations"]
            (gradients,) = torch.autograd.grad(logits[0, class_index], activations)
    finally:
        handle.remove()
    if method == "gradcam":
        gradients = gradients.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((gradients * activations).sum(dim=1, keepdim=True)).detach()
    size = output_size or tuple(x.shape[1:])
    cam = F.interpolate(cam.float(), size=size, mode="bilinear", align_corners=False)[0, 0]
    cam = cam.clamp(min=0).cpu().numpy()
    top = float(cam.max())
    return (cam / top if top > 0 else cam).astype(np.float32)


def mass_in_box(cam: np.ndarray, rows: slice, cols: slice) -> float:
    """The fraction of the map's total that lies in [rows, cols] (0 for an empty map)."""
    total = float(cam.sum())
    return float(cam[rows, cols].sum()) / total if total > 0 else 0.0
