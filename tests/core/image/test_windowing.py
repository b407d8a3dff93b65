"""Window/level: the DICOM linear VOI function, its integer fast path, presets, defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medgui.core.image.volume import Volume
from medgui.core.image.windowing import (
    CT_PRESETS,
    WindowLevel,
    default_window,
    percentile_window,
    window_table,
    window_to_uint8,
)


def _reference(x: float, c: float, w: float) -> int:
    """PS3.3 C.11.2.1.2.1 written out as in the standard, one value at a time."""
    if x <= c - 0.5 - (w - 1) / 2:
        return 0
    if x > c - 0.5 + (w - 1) / 2:
        return 255
    return math.floor(((x - (c - 0.5)) / (w - 1) + 0.5) * 255 + 0.5)


def test_window_level_validates_width():
    assert WindowLevel(40, 1) == WindowLevel(40.0, 1.0)
    for width in (0.99, 0, -10, math.nan, math.inf):
        with pytest.raises(ValueError, match="width"):
            WindowLevel(40, width)
    with pytest.raises(ValueError, match="center"):
        WindowLevel(math.nan, 400)


@pytest.mark.parametrize("center, width", [(40, 400), (-600, 1500), (0.5, 2), (10, 7.5)])
def test_matches_the_standard_formula_value_by_value(center, width):
    low = center - 0.5 - (width - 1) / 2
    high = center - 0.5 + (width - 1) / 2
    # The edges, just inside and outside them, the middle, and values far away.
    xs = [low - 1000, low - 1, low, low + 0.25, (low + high) / 2, high - 0.25, high, high + 0.01]
    xs += [high + 1, high + 1e6, round(low), round(high), round((low + high) / 2)]
    out = window_to_uint8(np.array(xs), center, width)
    assert out.dtype == np.uint8
    assert out.tolist() == [_reference(x, center, width) for x in xs]


def test_known_grey_levels():
    # Abdomen window 40/400: ramp from -160 to 239 (width - 1 = 399 units).
    values = np.array([-1000, -160, -159, 40, 239, 240, 3000], dtype=np.int16)
    assert window_to_uint8(values, 40, 400).tolist() == [0, 0, 1, 128, 255, 255, 255]


def test_width_one_is_a_threshold_at_center_minus_half():
    values = np.array([99.0, 99.5, 99.51, 100.0, 101.0])
    assert window_to_uint8(values, 100, 1).tolist() == [0, 0, 255, 255, 255]


def test_integer_lookup_path_equals_float_path():
    rng = np.random.default_rng(3)
    # More pixels than distinct values, so the integer path builds its lookup table.
    for dtype, low, high in [(np.int16, -32768, 32767), (np.uint16, 0, 65535), (np.uint8, 0, 255)]:
        values = rng.integers(low, high, size=(512, 512), endpoint=True).astype(dtype)
        for center, width in [(40, 400), (-600, 1500), (127.3, 18.9), (0, 1), (1e4, 3e4)]:
            fast = window_to_uint8(values, center, width)
            slow = window_to_uint8(values.astype(np.float64), center, width)
            assert fast.shape == values.shape
            np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int8, np.uint8])
def test_window_table_indexed_by_bit_pattern_equals_window_to_uint8(dtype):
    rng = np.random.default_rng(5)
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=(64, 96), endpoint=True).astype(dtype)
    values.flat[:2] = info.min, info.max  # both ends of the table
    patterns = values.view(f"u{values.itemsize}")
    for center, width in [(40, 400), (-600, 1500), (127.3, 18.9), (0, 1), (3e4, 2e4)]:
        table = window_table(values.dtype, center, width)
        assert table.dtype == np.uint8 and table.shape == (1 << (8 * values.itemsize),)
        np.testing.assert_array_equal(table[patterns], window_to_uint8(values, center, width))


def test_window_table_is_for_small_integers_only():
    for dtype in (np.int32, np.uint32, np.int64, np.float32, np.float64):
        assert window_table(np.dtype(dtype), 40, 400) is None
    with pytest.raises(ValueError, match="width"):
        window_table(np.dtype(np.int16), 40, 0)


def test_small_and_wide_integer_arrays_are_exact_too():
    # Fewer pixels than the value range: the float path; int32 extremes must not overflow.
    values = np.array([[-(2**31), 0], [5, 2**31 - 1]], dtype=np.int32)
    expected = [[_reference(float(x), 3, 10) for x in row] for row in values.tolist()]
    assert window_to_uint8(values, 3, 10).tolist() == expected


def test_nan_and_infinities():
    out = window_to_uint8(np.array([np.nan, -np.inf, np.inf]), 40, 400)
    assert out.tolist() == [0, 0, 255]


def test_empty_and_bad_window():
    assert window_to_uint8(np.zeros((0, 4), np.int16), 40, 400).shape == (0, 4)
    with pytest.raises(ValueError):
        window_to_uint8(np.zeros(3), 40, 0.5)


def test_ct_presets_in_key_order():
    expected = [
        ("brain", 40, 80),
        ("subdural", 75, 215),
        ("stroke", 40, 40),
        ("lung", -600, 1500),
        ("mediastinum", 50, 350),
        ("abdomen", 40, 400),
        ("liver", 60, 150),
        ("bone", 400, 1800),
    ]
    assert [(n, w.center, w.width) for n, w in CT_PRESETS.items()] == expected
    with pytest.raises(TypeError):
        CT_PRESETS["brain"] = WindowLevel(0, 1)  # type: ignore[index]


def _volume(array: np.ndarray, **metadata) -> Volume:
    return Volume(array, metadata=metadata)


def test_default_window_from_header():
    array = np.zeros((2, 3, 4), np.int16)
    assert default_window(_volume(array, WindowCenter=40.0, WindowWidth=400.0)) == WindowLevel(
        40, 400
    )
    multi = _volume(array, WindowCenter=[-600.0, 40.0], WindowWidth=[1500.0, 400.0])
    assert default_window(multi) == WindowLevel(-600, 1500)
    assert default_window(_volume(array, WindowCenter="50", WindowWidth="350")) == WindowLevel(
        50, 350
    )


def test_default_window_from_percentiles_when_header_is_missing_or_invalid():
    # 0..9999 in a 10x20x50 volume: the 1st and 99th percentiles are 99.99 and 9899.01.
    array = np.arange(10_000, dtype=np.int16).reshape(10, 20, 50)
    low, high = np.percentile(np.arange(10_000), [1, 99])
    expected = WindowLevel((low + high) / 2 + 0.5, high - low + 1)
    for metadata in ({}, {"WindowCenter": 40.0}, {"WindowCenter": 40.0, "WindowWidth": 0.0}):
        window = default_window(_volume(array, **metadata))
        assert window.center == pytest.approx(expected.center)
        assert window.width == pytest.approx(expected.width)
    # The ramp runs exactly from p1 (grey 0) to p99 (grey 255).
    at = np.array([low, low + 0.2 * (high - low), low + 0.8 * (high - low), high])
    assert window_to_uint8(at, **vars(window)).tolist() == [0, 51, 204, 255]


def test_default_window_subsamples_large_volumes_and_stays_close():
    rng = np.random.default_rng(1)
    array = rng.normal(0, 100, size=(300, 256, 256)).astype(np.float32)
    window = percentile_window(array)
    # 19.7 M voxels over a 2**18 target: every 5th voxel along each axis, 162 240 of them.
    lattice = array[::5, ::5, ::5]
    assert lattice.size <= 1 << 18
    low, high = np.percentile(lattice, [1, 99])
    assert window.center == pytest.approx((low + high) / 2 + 0.5, rel=1e-9)
    assert window.width == pytest.approx(high - low + 1, rel=1e-9)
    # ...which stays close to the window of every voxel.
    full_low, full_high = np.percentile(array, [1, 99])
    assert window.center == pytest.approx((full_low + full_high) / 2 + 0.5, abs=5)
    assert window.width == pytest.approx(full_high - full_low + 1, rel=0.02)


def test_percentile_window_of_small_float_range_and_degenerate_data():
    # Data spanning less than one unit still gets a window that uses all 256 grey levels.
    probabilities = np.linspace(0, 1, 101).reshape(1, 1, 101)
    window = percentile_window(probabilities)
    assert window_to_uint8(np.array([0.01, 0.99]), **vars(window)).tolist() == [0, 255]
    assert percentile_window(np.full((2, 2, 2), np.nan)) == WindowLevel(128, 256)
    assert percentile_window(np.full((2, 2, 2), 7.0)) == WindowLevel(7.5, 1)


def test_colour_uint8_shows_unchanged():
    rgb = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, axis=3)
    window = default_window(Volume(rgb))
    out = window_to_uint8(rgb, window.center, window.width)
    np.testing.assert_array_equal(out, rgb)
