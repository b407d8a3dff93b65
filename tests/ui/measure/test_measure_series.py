"""ROI statistics in the measurements table across series switches: while a series loads its
slices land after the table was first filled (first as stored values, then rescaled to HU), and
every row must end with the same numbers as the label on the image, computed against the volume
of the series the ROI belongs to."""

from __future__ import annotations

import numpy as np
from view_testing import at, drag

from medgui.core import Volume
from medgui.core.annotations.measurements import EllipseROI, RectangleROI
from medgui.core.image.reformat import Plane, extract_slice
from medgui.ui.measure.context import Tool, roi_stats_text


def _series(uid: str, seed: int) -> Volume:
    """A small CT of a bright ellipse in air, different on every slice and in every series."""
    z, y, x = np.mgrid[:12, :48, :40]
    inside = ((y - 24) / 16) ** 2 + ((x - 20) / 13) ** 2 < 1
    array = np.where(inside, 40 + 10 * z + 100 * seed, -1000).astype(np.int16)
    array += np.random.default_rng(seed).integers(-5, 5, size=array.shape, dtype=np.int16)
    meta = {"Modality": "CT", "SeriesInstanceUID": uid, "SeriesDescription": uid}
    return Volume(array, spacing_mm=(0.8, 0.8, 2.0), metadata=meta)


def _load_progressively(qtbot, window, final, wait_drawn):
    """Open a copy of `final` the way the loader does: geometry first with empty slices, the
    views bind to it, then each slice lands as stored values (HU + 1024) and is rescaled."""
    volume = type(final)(
        np.zeros_like(final.array), final.spacing_mm, metadata=dict(final.metadata)
    )
    jobs = window.jobs
    jobs.volume_opened.emit(volume)
    qtbot.waitUntil(lambda: window.measurements.volume is volume)
    for k in range(volume.array.shape[0]):
        volume.array[k] = final.array[k] + 1024
        jobs.slices_landed.emit((k,))
        wait_drawn(window.view_layout)  # the stored values on screen, as between real landings
        volume.array[k] = final.array[k]
        jobs.slices_landed.emit((k,))
    jobs.volume_loaded.emit(volume, final.metadata["SeriesDescription"], "", 0.1)
    layout = window.view_layout
    qtbot.waitUntil(lambda: all(v.volume is volume for v in layout.views.values()))
    view = layout.views[layout.state.active_plane]
    view.flush()
    return view


def _draw_rois(view, context):
    context.set_tool(Tool.ELLIPSE)
    drag(view, at(view, 15, 12), at(view, 30, 28))
    context.set_tool(Tool.RECTANGLE)
    drag(view, at(view, 5, 5), at(view, 20, 30))
    context.set_tool(Tool.NAVIGATE)


def _check(window, view, final):
    """Every row reads the ROI's statistics on `final` (its series' data), as its label does."""
    context, panel = window.measurements, window.measurement_panel
    assert panel.table.rowCount() == 2
    for row, uid in enumerate(panel.uids()):
        m = context.get(uid)
        assert isinstance(m, EllipseROI | RectangleROI)
        values = extract_slice(final, m.plane, m.slice_index)
        assert panel.row_texts(row)[2] == roi_stats_text(m, values, "CT", full=True)
        assert view.measurements.items[uid].label.toPlainText() == roi_stats_text(
            m, values, "CT", full=False
        )


def test_table_statistics_follow_the_series_on_show(qtbot, window, wait_drawn):
    a, b = _series("1.2.3.1", seed=1), _series("1.2.3.2", seed=2)
    view = _load_progressively(qtbot, window, a, wait_drawn)
    assert view.state.slice_index(Plane.AXIAL) == 6
    _draw_rois(view, window.measurements)
    _check(window, view, a)
    # Series B with ROIs of its own, then back to A and to B again.
    view = _load_progressively(qtbot, window, b, wait_drawn)
    assert window.measurements.measurements() == []
    _draw_rois(view, window.measurements)
    _check(window, view, b)
    view = _load_progressively(qtbot, window, a, wait_drawn)
    _check(window, view, a)
    view = _load_progressively(qtbot, window, b, wait_drawn)
    _check(window, view, b)
