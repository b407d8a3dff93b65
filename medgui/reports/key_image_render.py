"""Key images for the report, drawn without Qt: the slice windowed as the user read it, the
visible labels blended in their table colours, the measurements of that slice drawn on top,
and a caption with the slice position.

numpy does the windowing and blending (core.windowing, the viewer's own function), Pillow
scales the picture to its true aspect ratio and draws the measurement shapes.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from medgui.core.annotations.key_images import KeyImage
from medgui.core.annotations.measurements import Angle, EllipseROI, Measurement, RectangleROI, Ruler
from medgui.core.image.colour import blend, heat_colours, opacity_alpha
from medgui.core.image.reformat import (
    Plane,
    extract_slice,
    normal_axis,
    slice_geometry,
    slice_pixel_to_voxel,
)
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import default_window, window_to_uint8
from medgui.core.labels.labelmap import LabelMap
from medgui.reports.report_model import Figure

# Wide enough that a 2 px line and small text stay legible once the PDF scales it to the page.
TARGET_WIDTH_PX = 640
_MEASURE_RGB = (255, 214, 0)
_AXIS_NAMES = ("x", "y", "z")  # LPS: x to the patient's left, y posterior, z superior


def _grey_rgb(volume: Volume, key: KeyImage) -> np.ndarray:
    """The slice as (rows, cols, 3) float RGB 0..255 through the key image's window."""
    pixels = np.asarray(extract_slice(volume, key.plane, key.slice_index))
    grey = window_to_uint8(pixels, key.center, key.width).astype(np.float32)
    if grey.ndim == 2:
        grey = np.repeat(grey[..., None], 3, axis=2)
    return grey[..., :3]


def _blend_labels(rgb: np.ndarray, volume: Volume, labelmap: LabelMap, key: KeyImage) -> None:
    """Blend every visible label of the slice into `rgb` with its colour and opacity."""
    for label in labelmap.table.labels:
        if not label.visible or label.layer >= len(labelmap.layers):
            continue
        cut = extract_slice(volume, key.plane, key.slice_index, labelmap.layers[label.layer])
        mask = np.asarray(cut) == label.value
        if mask.any():
            rgb[mask] = blend(rgb[mask], label.color, opacity_alpha(label.opacity))


def slice_position(volume: Volume, key: KeyImage) -> tuple[str, float]:
    """The slice's position as (LPS axis name, mm): the patient coordinate along the axis
    closest to the slice normal, at the slice's centre (for axial slices, z)."""
    rows, cols = np.asarray(extract_slice(volume, key.plane, key.slice_index)).shape[:2]
    centre = slice_pixel_to_voxel(
        volume, key.plane, key.slice_index, (rows - 1) / 2, (cols - 1) / 2
    )
    world = volume.voxel_to_world(np.asarray(centre, float))
    normal = volume.direction[:, normal_axis(volume, key.plane)]
    axis = int(np.argmax(np.abs(normal)))
    return _AXIS_NAMES[axis], float(np.ravel(world)[axis])


def _scaled(point: tuple[float, float], scale: tuple[float, float]) -> tuple[float, float]:
    """(row, col) pixel centre -> (x, y) in the scaled picture."""
    return ((point[1] + 0.5) * scale[1], (point[0] + 0.5) * scale[0])


def _draw_measurement(draw: ImageDraw.ImageDraw, m: Measurement, scale, number: int) -> None:
    line = max(2, round(TARGET_WIDTH_PX / 320))
    if isinstance(m, Ruler):
        points = [_scaled(m.p0, scale), _scaled(m.p1, scale)]
        draw.line(points, fill=_MEASURE_RGB, width=line)
    elif isinstance(m, Angle):
        points = [_scaled(p, scale) for p in (m.p0, m.vertex, m.p1)]
        draw.line(points, fill=_MEASURE_RGB, width=line)
    elif isinstance(m, EllipseROI):
        (r, c), (rr, rc) = m.center, m.radii
        points = [_scaled((r - rr, c - rc), scale), _scaled((r + rr, c + rc), scale)]
        draw.ellipse(points, outline=_MEASURE_RGB, width=line)
    elif isinstance(m, RectangleROI):
        (r0, c0), (r1, c1) = m.corner0, m.corner1
        points = [_scaled((min(r0, r1), min(c0, c1)), scale)]
        points.append(_scaled((max(r0, r1), max(c0, c1)), scale))
        draw.rectangle(points, outline=_MEASURE_RGB, width=line)
    else:
        return
    # The number links the shape to its row in the measurements table.
    x, y = points[0]
    font = ImageFont.load_default(size=max(14, TARGET_WIDTH_PX // 32))
    draw.text(
        (x + 5, y + 3),
        str(number),
        fill=_MEASURE_RGB,
        font=font,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )


def _picture(rgb: np.ndarray, volume: Volume, key: KeyImage) -> tuple[Image.Image, tuple]:
    """`rgb` scaled to TARGET_WIDTH_PX at the slice's true aspect ratio, and the scale
    (rows, cols) from slice pixels to picture pixels."""
    rows, cols = rgb.shape[:2]
    row_mm, col_mm, _ = slice_geometry(volume, key.plane)
    width = max(TARGET_WIDTH_PX, cols)
    height = max(1, round(width * (rows * row_mm) / (cols * col_mm)))
    picture = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
    picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    return picture, (height / rows, width / cols)


def _figure(picture: Image.Image, caption: str) -> Figure:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return Figure(buffer.getvalue(), caption, picture.width, picture.height)


def _slice_text(volume: Volume, key: KeyImage) -> str:
    _, _, n_slices = slice_geometry(volume, key.plane)
    axis, position_mm = slice_position(volume, key)
    name = key.plane.value.capitalize()
    return f"{name} slice {key.slice_index + 1} of {n_slices}, {axis} = {position_mm:.1f} mm"


def _slice_rgb(volume: Volume, key: KeyImage) -> np.ndarray:
    try:
        return _grey_rgb(volume, key)
    except IndexError as error:
        raise ValueError(f"{key.plane.value} slice {key.slice_index}: {error}") from error


def render_key_image(
    volume: Volume,
    key: KeyImage,
    labelmap: LabelMap | None = None,
    measurements: list[tuple[int, Measurement]] = (),
) -> Figure:
    """The key image as a PNG `Figure`: windowed slice, labels, the measurements of this slice
    (`(number, measurement)`, numbered as in the report's table) and a caption with plane,
    slice, position and window. ValueError when the slice is not in the volume."""
    rgb = _slice_rgb(volume, key)
    if labelmap is not None and labelmap.matches(volume):
        _blend_labels(rgb, volume, labelmap, key)
    picture, scale = _picture(rgb, volume, key)
    draw = ImageDraw.Draw(picture)
    for number, measurement in measurements:
        if measurement.plane is key.plane and measurement.slice_index == key.slice_index:
            _draw_measurement(draw, measurement, scale, number)
    caption = f"{_slice_text(volume, key)}; window W {_number(key.width)} / L {_number(key.center)}"
    if key.note:
        caption += f" \u2014 {key.note}"
    return _figure(picture, caption)


def render_heat_map(volume: Volume, plane: Plane, slice_index: int, heat: np.ndarray) -> Figure:
    """A model's Grad-CAM `heat` (0..1, on the slice's grid or resized to it) over slice
    `slice_index` of `plane`, shown with the volume's default window."""
    window = default_window(volume)
    key = KeyImage(plane=plane, slice_index=slice_index, center=window.center, width=window.width)
    rgb = _slice_rgb(volume, key)
    heat = np.clip(np.nan_to_num(np.asarray(heat, np.float32)), 0.0, 1.0)
    if heat.shape != rgb.shape[:2]:
        resized = Image.fromarray(heat).resize(rgb.shape[1::-1], Image.Resampling.BILINEAR)
        heat = np.asarray(resized, np.float32)
    picture, _ = _picture(blend(rgb, *heat_colours(heat)), volume, key)
    return _figure(picture, f"Grad-CAM heat map over {_slice_text(volume, key).lower()}")


def _number(value: float) -> str:
    return str(int(value)) if math.isclose(value, round(value)) else f"{value:.1f}"
