"""The colours medgui draws over an image, shared by the screen (Qt's premultiplied ARGB32
overlays) and the report (numpy blending in `reports.key_image_render`), so that a heat map or a
label looks the same in both.

Every overlay is an RGB colour with an alpha (0..255) laid over the opaque image with the
source-over rule: ``out = image * (1 - alpha/255) + colour * alpha/255``. Qt applies that rule
to the premultiplied pixels of `premultiplied_argb`; `blend` applies it in numpy.
"""

from __future__ import annotations

import numpy as np

# A "jet"-like colour map for heat maps: blue (cold) → cyan → yellow → red (hot).
HEAT_STOPS = np.array([0.0, 0.35, 0.65, 1.0])
HEAT_COLOURS = np.array([[0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0]], float)
# Alpha where the map is 0, and added where it is 1: more opaque where the model looked hardest.
HEAT_ALPHA_MIN, HEAT_ALPHA_SPAN = 40, 140


def heat_colours(heat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 (..., 3), alpha uint8) of a heat map in 0..1 (NaN as 0, clipped)."""
    heat = np.clip(np.nan_to_num(np.asarray(heat, float)), 0.0, 1.0)
    rgb = np.stack([np.interp(heat, HEAT_STOPS, HEAT_COLOURS[:, c]) for c in range(3)], axis=-1)
    alpha = HEAT_ALPHA_MIN + HEAT_ALPHA_SPAN * heat
    return rgb.astype(np.uint8), alpha.astype(np.uint8)


def opacity_alpha(opacity) -> np.ndarray:
    """A label's opacity (0..1) as the alpha (0..255) it is drawn with."""
    return np.rint(np.asarray(opacity, float) * 255).astype(np.uint8)


def premultiplied_argb(rgb: np.ndarray, alpha) -> np.ndarray:
    """Premultiplied ARGB32 pixels (uint32) from (..., 3) colours and 0..255 alphas (the
    format Qt blends fastest)."""
    a = np.asarray(alpha, np.uint32)
    r, g, b = (np.asarray(rgb[..., n], np.uint32) * a // 255 for n in range(3))
    return (a << 24) | (r << 16) | (g << 8) | b


def blend(image: np.ndarray, rgb: np.ndarray, alpha) -> np.ndarray:
    """`rgb` at `alpha` (0..255, one per pixel or one for all) over the opaque float RGB
    `image` (..., 3): source-over, as the screen composites the same overlay."""
    a = np.asarray(alpha, np.float32)[..., None] / 255.0
    return np.asarray(image, np.float32) * (1.0 - a) + np.asarray(rgb, np.float32) * a
