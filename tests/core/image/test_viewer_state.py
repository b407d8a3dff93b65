"""ViewerState: clamping, validation, change events only on change, crosshair ↔ slices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medgui.core.image.reformat import Plane, slice_pixel_to_voxel, voxel_to_slice_pixel
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.image.windowing import WindowLevel

# 4 slices (k), 5 rows (j), 6 columns (i).
SHAPE_ZYX = (4, 5, 6)
SAGITTAL_ACQUIRED = np.column_stack([(0, 1, 0), (0, 0, -1), (-1, 0, 0)])


def _state(direction=None, **metadata) -> tuple[ViewerState, list]:
    array = np.arange(np.prod(SHAPE_ZYX), dtype=np.int16).reshape(SHAPE_ZYX)
    volume = Volume(array, direction=np.eye(3) if direction is None else direction)
    volume.metadata.update(metadata)
    state = ViewerState(volume)
    events: list = []
    state.events.connect(lambda name, value: events.append((name, value)))
    return state, events


def test_defaults():
    state, events = _state(WindowCenter=40.0, WindowWidth=400.0)
    assert state.crosshair == (3, 2, 2)
    assert [state.slice_index(p) for p in Plane] == [2, 2, 3]  # axial = k, coronal = j, sag = i
    assert [state.n_slices(p) for p in Plane] == [4, 5, 6]
    assert state.window == WindowLevel(40, 400)
    assert (state.zoom, state.pan, state.rotate) == (1.0, (0.0, 0.0), 0)
    assert (state.invert, state.flip_h, state.flip_v) == (False, False, False)
    assert (state.layout, state.active_plane, state.cine_fps) == ("1", Plane.AXIAL, 15.0)
    assert events == []


def test_sagittal_acquisition_opens_on_sagittal_and_maps_slices_by_anatomy():
    state, _ = _state(SAGITTAL_ACQUIRED)
    assert state.active_plane is Plane.SAGITTAL
    # i runs P, j runs I, k runs R: sagittal slices go along k, axial along j, coronal along i.
    state.set_crosshair((1, 2, 3))
    assert state.slice_index(Plane.SAGITTAL) == 3
    assert state.slice_index(Plane.AXIAL) == 2
    assert state.slice_index(Plane.CORONAL) == 1
    assert state.n_slices(Plane.SAGITTAL) == 4


def test_setters_emit_only_real_changes():
    state, events = _state()
    state.set_zoom(1.0)
    state.set_pan(0, 0)
    state.set_invert(False)
    state.set_rotate(360)
    state.set_layout("1")
    state.set_active_plane("axial")
    state.set_crosshair(state.crosshair)
    state.set_slice(Plane.AXIAL, state.slice_index(Plane.AXIAL))
    state.set_window(state.window.center, state.window.width)
    assert events == []
    state.set_zoom(2)
    state.set_zoom(2.0)
    state.set_invert(True)
    state.set_window(50, 350)
    state.set_window(50, 350)
    assert events == [("zoom", 2.0), ("invert", True), ("window", WindowLevel(50, 350))]


def test_clamping_and_normalising():
    state, events = _state()
    state.set_zoom(1000)
    state.set_zoom(5000)  # still clamped to the same maximum: no second event
    assert state.zoom == 50.0 and events == [("zoom", 50.0)]
    state.set_zoom(0.0001)
    assert state.zoom == 0.05
    state.set_window(-600, 0.2)
    assert state.window == WindowLevel(-600, 1)
    state.set_cine_fps(500)
    assert state.cine_fps == 60.0
    state.set_cine_fps(0)
    assert state.cine_fps == 1.0
    state.set_rotate(450)
    assert state.rotate == 90
    state.set_rotate(state.rotate - 180)
    assert state.rotate == 270
    state.set_active_plane("coronal")
    assert state.active_plane is Plane.CORONAL


def test_bad_values_are_refused():
    state, events = _state()
    for call in [
        lambda: state.set_zoom(math.nan),
        lambda: state.set_pan(math.inf, 0),
        lambda: state.set_window(math.nan, 400),
        lambda: state.set_window(40, math.nan),
        lambda: state.set_cine_fps(math.nan),
        lambda: state.set_rotate(45),
        lambda: state.set_layout("2"),
        lambda: state.set_active_plane("oblique"),
        lambda: state.set_crosshair((1, 2)),
        lambda: state.set_crosshair((1, math.nan, 2)),
    ]:
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError):
        state.set_slice(Plane.AXIAL, 1.5)
    assert events == []


def test_slices_clamp_and_move_the_crosshair():
    state, events = _state()
    state.set_slice(Plane.AXIAL, 99)
    assert state.slice_index(Plane.AXIAL) == 3
    assert events == [("slice_index", (Plane.AXIAL, 3)), ("crosshair", (3, 2, 3))]
    events.clear()
    state.set_slice(Plane.SAGITTAL, -5)
    assert state.crosshair == (0, 2, 3)
    assert events == [("slice_index", (Plane.SAGITTAL, 0)), ("crosshair", (0, 2, 3))]


def test_crosshair_moves_all_three_slices_and_rounds_and_clamps():
    state, events = _state()
    state.set_crosshair((4.6, -3, 1.2))
    assert state.crosshair == (5, 0, 1)
    assert (state.slice_index(Plane.SAGITTAL), state.slice_index(Plane.CORONAL)) == (5, 0)
    assert state.slice_index(Plane.AXIAL) == 1
    assert events == [
        ("slice_index", (Plane.AXIAL, 1)),
        ("slice_index", (Plane.CORONAL, 0)),
        ("slice_index", (Plane.SAGITTAL, 5)),
        ("crosshair", (5, 0, 1)),
    ]
    events.clear()
    state.set_crosshair((5, 0, 2))  # only k changes: only the axial view moves
    assert events == [("slice_index", (Plane.AXIAL, 2)), ("crosshair", (5, 0, 2))]


@pytest.mark.parametrize("direction", [np.eye(3), SAGITTAL_ACQUIRED])
def test_click_in_one_view_moves_the_other_two_to_that_voxel(direction):
    state, _ = _state(direction)
    volume = Volume(np.zeros(SHAPE_ZYX), direction=direction)
    clicked = Plane.CORONAL
    index = state.slice_index(clicked)
    ijk = slice_pixel_to_voxel(volume, clicked, index, 1, 3)
    state.set_crosshair(ijk)
    assert state.slice_index(clicked) == index
    for plane in Plane:
        shown_index, _, _ = voxel_to_slice_pixel(volume, plane, state.crosshair)
        assert state.slice_index(plane) == shown_index
    assert state.crosshair == ijk


def test_a_widget_echoing_values_back_does_not_loop():
    state, events = _state()
    # A widget that writes every change straight back, as an unguarded Qt slot would.
    state.events.connect(lambda name, value: name == "zoom" and state.set_zoom(value))
    state.set_zoom(3)
    assert events == [("zoom", 3.0)]


def test_disconnect():
    state, events = _state()
    seen = []
    callback = state.events.connect(lambda name, value: seen.append(name))
    state.set_invert(True)
    state.events.disconnect(callback)
    state.set_invert(False)
    assert seen == ["invert"] and len(events) == 2


def test_reset_restores_the_display_but_keeps_the_place():
    state, events = _state(WindowCenter=40.0, WindowWidth=400.0)
    state.set_window(300, 1500)
    state.set_zoom(4)
    state.set_pan(12, -7)
    state.set_invert(True)
    state.set_flip_h(True)
    state.set_flip_v(True)
    state.set_rotate(90)
    state.set_layout("3")
    state.set_active_plane(Plane.SAGITTAL)
    state.set_cine_fps(30)
    state.set_crosshair((1, 1, 1))
    events.clear()
    state.reset()
    assert state.window == WindowLevel(40, 400)
    assert (state.zoom, state.pan, state.rotate) == (1.0, (0.0, 0.0), 0)
    assert (state.invert, state.flip_h, state.flip_v) == (False, False, False)
    assert (state.layout, state.active_plane, state.cine_fps) == ("3", Plane.SAGITTAL, 30.0)
    assert state.crosshair == (1, 1, 1)
    names = [name for name, _ in events]
    assert names == ["window", "zoom", "pan", "invert", "flip_h", "flip_v", "rotate"]
    events.clear()
    state.reset()
    assert events == []


def test_reset_window_comes_from_the_volume_as_loaded_by_then():
    volume = Volume(np.zeros(SHAPE_ZYX, np.int16))
    state = ViewerState(volume)
    assert state.window == WindowLevel(0.5, 1)  # all zeros so far
    volume.array[:] = np.arange(np.prod(SHAPE_ZYX)).reshape(SHAPE_ZYX)  # the slices land
    state.reset()
    low, high = np.percentile(volume.array, [1, 99])
    assert state.window == WindowLevel((low + high) / 2 + 0.5, high - low + 1)


def _loading() -> tuple[ViewerState, Volume, np.ndarray]:
    """A state made at the first step of a progressive load (one slice landed, no header
    window), its volume and the values the volume will hold once loaded."""
    full = (np.arange(np.prod(SHAPE_ZYX)) * 7 - 50).reshape(SHAPE_ZYX).astype(np.int16)
    volume = Volume(np.zeros(SHAPE_ZYX, np.int16))
    volume.array[0] = full[0]
    return ViewerState(volume), volume, full


def _percentile_window(values: np.ndarray) -> WindowLevel:
    low, high = np.percentile(values, [1, 99])
    return WindowLevel((low + high) / 2 + 0.5, high - low + 1)


def test_refresh_default_window_after_a_load_moves_an_unchanged_window():
    state, volume, full = _loading()
    opening = state.window
    assert state.default_window == opening
    volume.array[:] = full
    assert state.refresh_default_window() == _percentile_window(full) != opening
    assert state.window == state.default_window == _percentile_window(full)


def test_refresh_default_window_keeps_the_window_the_user_chose():
    state, volume, full = _loading()
    state.set_window(10, 20)
    volume.array[:] = full
    state.refresh_default_window()
    assert state.window == WindowLevel(10, 20)
    # R then shows the window of the whole volume, not the one of the first slice.
    state.reset()
    assert state.window == _percentile_window(full)


def test_reset_during_the_load_follows_the_rest_of_the_load():
    state, volume, full = _loading()
    volume.array[:2] = full[:2]  # half loaded
    state.set_window(10, 20)
    state.reset()
    assert state.window == _percentile_window(volume.array)  # the default as loaded by then
    volume.array[:] = full
    state.refresh_default_window()  # the load completes: still the default, so it follows
    assert state.window == _percentile_window(full)


def test_use_default_window():
    state, events = _state(WindowCenter=40.0, WindowWidth=400.0)
    state.set_window(1, 2)
    events.clear()
    state.use_default_window()
    assert state.window == WindowLevel(40, 400) and events == [("window", WindowLevel(40, 400))]
