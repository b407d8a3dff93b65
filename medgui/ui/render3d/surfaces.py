"""Label surfaces for the 3-D view: one smoothed triangle mesh per label, in millimetres of the
label map's index frame (the scene places them in patient space with the grid's matrix).

Each label is cut out by its bounding box (one `find_objects` pass over the layer), contoured
with discrete flying edges and smoothed with a windowed sinc filter (Taubin-like: it keeps the
volume, where Laplacian smoothing shrinks small structures). Beside that mesh each surface has
a coarse one, its vertices clustered into `CLUSTER_MM` bins: a quarter of the triangles, drawn
while the camera moves (software OpenGL draws triangles slowly), where a structure one voxel
thin may fold away until the mouse is let go. Qt-free; runs in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPolyData
from vtkmodules.vtkFiltersCore import (
    vtkPolyDataNormals,
    vtkQuadricClustering,
    vtkWindowedSincPolyDataFilter,
)
from vtkmodules.vtkFiltersGeneral import vtkDiscreteFlyingEdges3D

from medgui.core.labels.labelmap import Label

SMOOTHING_ITERATIONS = 30
PASS_BAND = 0.001  # lower smooths more: rounds off 2.5 mm slice steps, keeps an 8 mm nodule round
# Vertex bins of 2.5 mm leave the shape of an organ as it was and a quarter of its triangles; a
# small structure keeps at least 12 bins across, so an 8 mm nodule stays round.
CLUSTER_MM = 2.5
MIN_BINS = 12
Box = tuple[slice, slice, slice]  # (k, j, i), as `core.labels.bbox.BBox`


@dataclass
class Surface:
    """One label's mesh, with how to draw it."""

    value: int
    name: str
    mesh: vtkPolyData
    coarse: vtkPolyData  # drawn while the camera moves
    color: tuple[float, float, float]  # 0..1
    opacity: float
    layer: int
    box: Box  # where its voxels are: an edit elsewhere leaves it as it is


def surface_opacity(label: Label) -> float:
    """The 3-D opacity of `label`: its table opacity is a 2-D fill's (0.5 by default, over the
    image), so it is doubled: the default draws an opaque organ, a fainter fill a see-through
    one."""
    return float(min(max(label.opacity * 2.0, 0.05), 1.0))


def _mesh(mask: np.ndarray, origin_index: tuple[int, int, int], spacing: tuple) -> vtkPolyData:
    padded = np.ascontiguousarray(np.pad(mask, 1).astype(np.uint8))
    image = vtkImageData()
    image.SetDimensions(padded.shape[2], padded.shape[1], padded.shape[0])
    image.SetSpacing(spacing)
    # The pad puts the crop's first voxel at index 1: its corner is one voxel before it.
    image.SetOrigin([(origin_index[a] - 1) * spacing[a] for a in range(3)])
    image.GetPointData().SetScalars(numpy_to_vtk(padded.ravel(), deep=True))
    contour = vtkDiscreteFlyingEdges3D()
    contour.SetInputData(image)
    contour.SetValue(0, 1)
    contour.ComputeNormalsOff()
    contour.ComputeGradientsOff()
    contour.ComputeScalarsOff()
    smooth = vtkWindowedSincPolyDataFilter()
    smooth.SetInputConnection(contour.GetOutputPort())
    smooth.SetNumberOfIterations(SMOOTHING_ITERATIONS)
    smooth.SetPassBand(PASS_BAND)
    smooth.NormalizeCoordinatesOn()
    smooth.BoundarySmoothingOff()
    smooth.FeatureEdgeSmoothingOff()
    smooth.NonManifoldSmoothingOn()
    smooth.Update()
    # Flying edges orders every triangle alike and smoothing keeps the order: checking costs
    # most of the normals' time. Clustering can turn a triangle over: there it is checked.
    return _with_normals(smooth.GetOutput(), consistency=False)


def _with_normals(mesh: vtkPolyData, *, consistency: bool = True) -> vtkPolyData:
    normals = vtkPolyDataNormals()
    normals.SetInputData(mesh)
    normals.SplittingOff()
    normals.SetConsistency(consistency)
    normals.Update()
    out = vtkPolyData()
    out.ShallowCopy(normals.GetOutput())
    return out


def _coarse(mesh: vtkPolyData) -> vtkPolyData:
    """`mesh` with its vertices clustered into `CLUSTER_MM` bins (at least `MIN_BINS` across)."""
    bounds = mesh.GetBounds()
    cluster = vtkQuadricClustering()
    cluster.SetInputData(mesh)
    cluster.SetAutoAdjustNumberOfDivisions(0)
    extent = [bounds[2 * a + 1] - bounds[2 * a] for a in range(3)]
    cluster.SetNumberOfDivisions(*(max(int(e / CLUSTER_MM) + 1, MIN_BINS) for e in extent))
    cluster.Update()
    return _with_normals(cluster.GetOutput())


def _surface(label: Label, layer: np.ndarray, box: Box, spacing_mm) -> Surface | None:
    """`label`'s surface from its voxels in `box` of `layer` (None: none there)."""
    mask = layer[box] == label.value
    tight = ndimage.find_objects(mask.astype(np.uint8))
    if not tight:
        return None
    inner = tight[0]
    box = tuple(slice(o.start + t.start, o.start + t.stop) for o, t in zip(box, inner, strict=True))
    start = (box[2].start, box[1].start, box[0].start)  # (i, j, k)
    mesh = _mesh(mask[inner], start, spacing_mm)
    if mesh.GetNumberOfPolys() == 0:
        return None
    color = tuple(c / 255.0 for c in label.color)
    opacity = surface_opacity(label)
    return Surface(label.value, label.name, mesh, _coarse(mesh), color, opacity, label.layer, box)


def label_surfaces(
    layers: list[np.ndarray],
    labels: list[Label],
    spacing_mm: tuple[float, float, float],
    where: dict[int, Box] | None = None,
) -> list[Surface]:
    """The surfaces of the visible `labels` that have voxels in `layers` (arrays [k, j, i]);
    with `where`, only of the labels it names, each looked for in its box."""
    surfaces = []
    boxes: dict[int, list] = {}
    for label in labels:
        if not label.visible or label.layer >= len(layers):
            continue
        layer = layers[label.layer]
        if where is not None:
            box = where.get(label.value)
        else:
            if label.layer not in boxes:
                boxes[label.layer] = ndimage.find_objects(layer)
            found = boxes[label.layer]
            box = found[label.value - 1] if 0 < label.value <= len(found) else None
        surface = _surface(label, layer, box, spacing_mm) if box is not None else None
        if surface is not None:
            surfaces.append(surface)
    return surfaces


def _meets(a: Box, b: Box) -> bool:
    return all(x.start < y.stop and y.start < x.stop for x, y in zip(a, b, strict=True))


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return tuple(
        slice(min(x.start, y.start), max(x.stop, y.stop)) for x, y in zip(a, b, strict=True)
    )


def update_surfaces(
    old: list[Surface],
    layers: list[np.ndarray],
    labels: list[Label],
    spacing_mm: tuple[float, float, float],
    changes: list[tuple[int, Box]] | None,
) -> list[Surface]:
    """`old` brought up to date after voxel `changes` ((layer, box) each, every change since
    `old` was made; None: anything may have changed, the table too). Only the labels an edit
    can have touched are contoured again (those whose old surface meets a changed box, and
    those with voxels in one now), each within its old box and the changed boxes, where all
    its voxels must lie: a brush stroke re-contours one label near the stroke, not the map."""
    if changes is None:
        return label_surfaces(layers, labels, spacing_mm)
    before = {s.value: s for s in old}
    where: dict[int, Box] = {}
    for layer, box in changes:
        touched = {s.value for s in old if s.layer == layer and _meets(s.box, box)}
        if layer < len(layers):
            touched.update(int(v) for v in np.unique(layers[layer][box]) if v)
        for value in touched:
            start = where.get(value) or (before[value].box if value in before else None)
            where[value] = _union(start, box)
    kept = [s for s in old if s.value not in where]
    fresh = label_surfaces(layers, labels, spacing_mm, where)
    order = {label.value: n for n, label in enumerate(labels)}
    return sorted(kept + fresh, key=lambda s: order.get(s.value, len(order)))
