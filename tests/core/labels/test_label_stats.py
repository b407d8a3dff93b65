"""Per-label statistics against numpy computed mask by mask."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap
from medgui.core.labels.stats import label_statistics


def make_case():
    rng = np.random.default_rng(11)
    direction = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    image = Volume(
        rng.normal(40, 200, (7, 13, 17)).astype(np.int16),
        spacing_mm=(0.7, 0.8, 2.5),
        origin=(-10.0, 5.0, 100.0),
        direction=direction,
    )
    lm = LabelMap.empty_like(image)
    for name in ("liver", "spleen", "empty"):
        lm.table.add(name)
    lm.table.add("lesion", layer=1)
    lm.ensure_layer(1)
    lm.layers[0][rng.random(lm.shape_zyx) < 0.3] = 1
    lm.layers[0][2:5, 3:9, 10:15] = 2
    lm.layers[1][3, 4:6, 11:13] = 4
    lm.layers[1][0, 0, 0] = 9  # a value missing from the table
    return image, lm


def test_stats_match_numpy_per_label():
    image, lm = make_case()
    stats = {s.value: s for s in label_statistics(lm, image)}
    assert [s.value for s in label_statistics(lm, image)] == [1, 2, 3, 4, 9]
    for value in (1, 2, 4, 9):
        layer = lm.layers[1] if value in (4, 9) else lm.layers[0]
        mask = layer == value
        samples = image.array[mask].astype(float)
        s = stats[value]
        assert s.voxel_count == mask.sum()
        assert s.volume_ml == pytest.approx(mask.sum() * 0.7 * 0.8 * 2.5 / 1000)
        assert s.mean == pytest.approx(samples.mean())
        assert s.sd == pytest.approx(samples.std(), abs=1e-9)
        assert (s.min, s.max) == (samples.min(), samples.max())
        z, y, x = np.nonzero(mask)
        assert s.bbox_ijk_min == (x.min(), y.min(), z.min())
        assert s.bbox_ijk_max == (x.max(), y.max(), z.max())
        corners = np.array(
            [
                (i, j, k)
                for i in (x.min(), x.max())
                for j in (y.min(), y.max())
                for k in (z.min(), z.max())
            ]
        )
        world = image.voxel_to_world(corners)
        assert np.allclose(s.bbox_lps_min_mm, world.min(axis=0))
        assert np.allclose(s.bbox_lps_max_mm, world.max(axis=0))
        size = (np.array([np.ptp(x), np.ptp(y), np.ptp(z)]) + 1) * (0.7, 0.8, 2.5)
        assert np.allclose(s.extent_mm, size)
    assert stats[9].name == "value 9" and stats[9].layer == 1
    assert stats[4].name == "lesion"


def test_empty_labels_and_no_image():
    image, lm = make_case()
    stats = {s.value: s for s in label_statistics(lm)}
    assert stats[3].voxel_count == 0 and stats[3].bbox_ijk_min is None
    assert stats[2].mean is None and stats[2].voxel_count == 3 * 6 * 5
    assert stats[2].to_json()["bbox_ijk_min"] == [10, 3, 2]
    blank = LabelMap.empty_like(image)
    blank.table.add("x")
    assert [s.voxel_count for s in label_statistics(blank, image)] == [0]


def test_sd_stays_exact_for_a_large_mean():
    image, lm = make_case()
    image.array[:] = 3000
    image.array[lm.layers[0] == 2] += np.tile([0, 1], 45).astype(np.int16)
    stats = {s.value: s for s in label_statistics(lm, image.array)}
    assert stats[2].sd == pytest.approx(0.5, abs=1e-12)
    assert stats[2].mean == pytest.approx(3000.5, abs=1e-12)


def test_image_on_another_grid_raises():
    _, lm = make_case()
    with pytest.raises(ValueError, match="not on the label grid"):
        label_statistics(lm, np.zeros((2, 2, 2)))
