"""Label surfaces (VTK, no Qt): where the mesh lies in millimetres, which labels are drawn, and
that an edit re-contours only the labels it touched."""

from __future__ import annotations

import numpy as np

from medgui.core.labels.labelmap import Label
from medgui.ui.render3d.surfaces import label_surfaces, surface_opacity, update_surfaces


def _ball(shape, centre, radius_vox) -> np.ndarray:
    k, j, i = np.indices(shape)
    return (k - centre[0]) ** 2 + (j - centre[1]) ** 2 + (i - centre[2]) ** 2 <= radius_vox**2


def _labels():
    return [Label(1, "a", (255, 0, 0)), Label(2, "b", (0, 255, 0)), Label(3, "c", (0, 0, 255))]


def test_a_ball_mesh_lies_where_its_voxels_are_in_mm():
    layer = np.zeros((30, 40, 50), np.uint8)
    layer[_ball(layer.shape, (15, 20, 30), 6)] = 2
    spacing = (0.5, 1.0, 2.0)  # (i, j, k)
    (surface,) = label_surfaces([layer], _labels(), spacing)
    assert surface.value == 2 and surface.color == (0.0, 1.0, 0.0)
    x0, x1, y0, y1, z0, z1 = surface.mesh.GetBounds()
    # The ball spans voxels 24..36 along i (0.5 mm), 14..26 along j, 9..21 along k (2 mm);
    # the smoothed surface runs between the last voxel inside and the first outside.
    centre = ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2)
    np.testing.assert_allclose(centre, (30 * 0.5, 20 * 1.0, 15 * 2.0), atol=0.5)
    assert 5.5 < (x1 - x0) / 2 / 0.5 < 7.0
    assert 5.5 < (z1 - z0) / 2 / 2.0 < 7.0


def test_hidden_and_empty_labels_have_no_surface_and_opacity_follows_the_table():
    layer = np.zeros((20, 20, 20), np.uint8)
    layer[_ball(layer.shape, (10, 10, 10), 4)] = 1
    layer[_ball(layer.shape, (4, 4, 4), 2)] = 3
    labels = _labels()
    labels[2].visible = False
    assert [s.value for s in label_surfaces([layer], labels, (1, 1, 1))] == [1]
    assert surface_opacity(Label(1, "x", (0, 0, 0), opacity=0.5)) == 1.0
    assert surface_opacity(Label(1, "x", (0, 0, 0), opacity=0.2)) == 0.4


def test_an_edit_recontours_only_the_labels_it_touched():
    layer = np.zeros((40, 40, 40), np.uint8)
    layer[_ball(layer.shape, (10, 10, 10), 5)] = 1
    layer[_ball(layer.shape, (30, 30, 30), 5)] = 2
    old = label_surfaces([layer], _labels(), (1, 1, 1))
    box = (slice(24, 40), slice(24, 40), slice(24, 40))
    layer[box] = 0  # label 2 erased: its surface must go, label 1's is kept as it was
    new = update_surfaces(old, [layer], _labels(), (1, 1, 1), [(0, box)])
    assert [s.value for s in new] == [1] and new[0] is old[0]
    layer[0:3, 0:3, 0:3] = 3  # a new label far from both
    box = (slice(0, 3), slice(0, 3), slice(0, 3))
    newer = update_surfaces(new, [layer], _labels(), (1, 1, 1), [(0, box)])
    assert [s.value for s in newer] == [1, 3] and newer[0] is old[0]
    everything = update_surfaces(newer, [layer], _labels(), (1, 1, 1), None)
    assert [s.value for s in everything] == [1, 3] and everything[0] is not old[0]
