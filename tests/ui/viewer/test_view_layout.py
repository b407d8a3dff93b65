"""The view layout: one shared state per volume, layouts, the end of a load, and cine."""

from __future__ import annotations

import numpy as np
import pytest

from medgui.core import Volume
from medgui.core.image.reformat import Plane
from medgui.core.image.windowing import default_window
from medgui.ui.viewer.view_layout import ViewLayout


@pytest.fixture
def layout(qtbot, stand_in_view):
    widget = ViewLayout(stand_in_view)
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def _mr(shape=(10, 32, 32)) -> Volume:
    rng = np.random.default_rng(1)
    return Volume(rng.integers(100, 900, size=shape).astype(np.int16), metadata={"Modality": "MR"})


def test_each_volume_gets_its_own_state_and_views_layout_carries_over(layout):
    layout.set_layout("3")
    layout.set_volume(_mr())
    first_state, first_views = layout.state, dict(layout.views)
    assert set(layout.visible_views()) == set(Plane)
    assert all(view.state is first_state for view in first_views.values())
    layout.set_volume(_mr((4, 16, 16)))
    assert layout.state is not first_state and layout.state.layout == "3"
    assert all(view.state is layout.state for view in layout.views.values())
    layout.set_volume(None)
    assert layout.state is None and layout.views == {} and layout.visible_views() == {}


def test_hidden_views_get_no_slice_updates_while_loading(layout):
    layout.set_volume(_mr())
    layout.slice_updated(3)
    active = layout.state.active_plane
    assert layout.views[active].updates == [3]
    assert all(v.updates == [] for p, v in layout.views.items() if p is not active)


def test_percentile_window_is_redone_when_the_load_completes(layout):
    volume = _mr()
    full = volume.array.copy()
    volume.array[1:] = 0  # as at the first progress step: one slice landed
    layout.set_volume(volume)
    opening = layout.state.window
    volume.array[:] = full
    layout.volume_complete(volume)
    assert layout.state.window != opening
    assert 100 < layout.state.window.center < 900


def test_a_window_the_user_chose_is_kept(layout):
    volume = _mr()
    layout.set_volume(volume)
    layout.state.set_window(10, 20)
    volume.array[:] += 1000
    layout.volume_complete(volume)
    assert (layout.state.window.center, layout.state.window.width) == (10, 20)


def test_a_resampled_volume_rebuilds_the_state(layout):
    volume = _mr()
    layout.set_volume(volume)
    before = layout.state
    volume.array = np.zeros((19, 32, 32), np.int16)  # what the loader does to an uneven stack
    layout.volume_complete(volume)
    assert layout.state is not before
    assert layout.state.n_slices(Plane.AXIAL) == 19


def test_cine_loops_through_the_active_plane(qtbot, layout):
    layout.set_volume(_mr((3, 8, 8)))
    state = layout.state
    state.set_cine_fps(60)
    seen = []
    state.events.connect(
        lambda name, value: seen.append(value[1]) if name == "slice_index" else None
    )
    layout.cine.toggle()
    assert layout.cine.playing
    qtbot.waitUntil(lambda: len(seen) >= 4, timeout=2_000)
    layout.cine.toggle()
    assert not layout.cine.playing
    assert seen[:4] == [2, 0, 1, 2]  # starts at the middle slice and wraps
    layout.cine.toggle()
    layout.set_volume(None)
    assert not layout.cine.playing


def test_reset_after_a_progressive_load_uses_the_whole_volume(layout):
    volume = _mr()
    full = volume.array.copy()
    volume.array[1:] = 0  # the first progress step: one slice landed
    layout.set_volume(volume)
    opening = layout.state.window
    layout.state.set_window(10, 20)  # the user adjusts W/L while the rest loads
    volume.array[:] = full
    layout.volume_complete(volume)
    assert (layout.state.window.center, layout.state.window.width) == (10, 20)
    layout.state.reset()  # R
    assert layout.state.window == default_window(volume) != opening
    assert layout.state.window == layout.state.default_window


def test_three_planes_keep_their_share_when_the_space_changes(qtbot):
    layout = ViewLayout()  # the real slice views
    qtbot.addWidget(layout)
    layout.resize(1000, 600)
    layout.show()
    layout.set_volume(_mr())
    layout.set_layout("3")
    # The first split waits a turn of the event loop, for the splitters to show the views.
    qtbot.waitUntil(lambda: abs(layout._main.sizes()[0] - sum(layout._main.sizes()) * 3 / 5) <= 4)
    layout.resize(550, 600)  # docks opened beside the views: both sides give up room
    sizes = layout._main.sizes()
    assert sizes[0] == pytest.approx(sum(sizes) * 3 / 5, abs=3)


def test_a_progressive_volume_builds_one_view_per_turn_then_announces_the_state(layout, qtbot):
    """As a load opens its volume: the active view at once (on show on the next turn, drawing
    on the one after), each other view on a later turn of the event loop (no turn builds them
    all), `state_changed` once every view exists."""
    announced = []
    layout.state_changed.connect(lambda state: announced.append((state, dict(layout.views))))
    layout.set_layout("3")
    layout.set_volume(_mr(), progressive=True)
    active = layout.state.active_plane
    assert list(layout.views) == [active] and announced == []
    view = layout.views[active]
    assert view.volume is None and not view.isVisibleTo(layout)
    layout._run_next()  # what one turn of the event loop runs
    assert view.isVisibleTo(layout) and view.volume is None  # on show, drawing next
    layout._run_next()
    assert view.volume is layout.volume and len(layout.views) == 1
    built = [len(layout.views)]
    while len(layout.views) < 3 or not announced:
        layout._run_next()
        built.append(len(layout.views))
    assert built[:3] == [1, 2, 3]
    ((state, views),) = announced
    assert state is layout.state and list(views) == list(Plane)
    assert all(view.state is state for view in views.values())
    # Every slot holds its view (the placeholders are gone), and the last ones get the volume.
    qtbot.waitUntil(lambda: all(view.volume is layout.volume for view in views.values()))
    assert all(view.isVisibleTo(layout) for view in views.values())


def test_a_new_volume_drops_the_views_still_to_be_built(layout, qtbot):
    layout.set_volume(_mr(), progressive=True)
    second = _mr((4, 16, 16))
    layout.set_volume(second)
    views = dict(layout.views)
    qtbot.waitUntil(lambda: all(view.volume is second for view in views.values()))
    # Nothing queued for the first volume built a view afterwards.
    assert layout.views == views and set(views) == set(Plane)
    assert all(view.state is layout.state for view in views.values())


def test_the_end_of_a_load_builds_what_is_still_pending(layout):
    volume = _mr()
    layout.set_volume(volume, progressive=True)
    layout.volume_complete(volume)  # before the event loop ran
    assert set(layout.views) == set(Plane)
