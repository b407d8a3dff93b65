"""Screenshots of the real window on the demo study with its labels (to be looked at), plus a
brush stroke, a threshold preview and a box, in fill and outline mode."""

from __future__ import annotations

import numpy as np
from label_testing import ALT, CTRL, SHIFT, K, ScriptedDialogs, open_labelled
from view_testing import at, drag, move

from medgui.core.image.reformat import extract_slice
from medgui.core.labels.io import load_label_map
from medgui.core.labels.labelmap import Label, LabelTable
from medgui.core.workspace.demo import LABEL_TABLE, LESION
from medgui.ui.labeling.overlay import outline_mask


def test_demo_study_with_labels(qtbot, window, demo_study, wait_idle, artifacts):
    window.resize(1500, 950)
    lab = open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, ScriptedDialogs())
    session, volume = lab.session, lab.session.volume
    table = LabelTable([Label(e["value"], e["name"], tuple(e["color"])) for e in LABEL_TABLE])
    session.replace(load_label_map(demo_study.labels_path, volume, table=table))
    window.view_layout.set_layout("3")
    lesion = np.argwhere(session.labelmap.layers[0] == LESION)
    k, j, i = lesion[len(lesion) // 2]
    lab.state.set_crosshair((int(i), int(j), int(k)))
    lab.bench.show_label_dock()

    # A stroke of a new label, a box around the lesion, and the threshold tool's preview.
    session.add_label("marked")
    qtbot.keyClick(lab.view, K.Key_P)
    lab.bench.tools.set_radius(4.0)
    drag(lab.view, at(lab.view, j + 50, i - 60), at(lab.view, j + 60, i - 20))
    qtbot.keyClick(lab.view, K.Key_K)
    drag(lab.view, at(lab.view, j - 10, i - 10), at(lab.view, j + 10, i + 10))
    qtbot.keyClick(lab.view, K.Key_T)
    lab.bench.tools.set_threshold(250, 2000)  # bone
    move(lab.view, at(lab.view, j, i))
    for overlay in lab.bench.overlays.values():
        overlay.flush()
    assert session.annotations.boxes_2d and session.labelmap.layers[0].max() == 5
    views = window.view_layout.views
    qtbot.waitUntil(lambda: min(v.width() for v in views.values()) > 150)
    stats = lab.bench.panel.stats
    qtbot.waitUntil(lambda: len(stats.stats) == 5 and stats.stats[-1].voxel_count > 0)
    assert stats.stats[0].mean is not None and abs(stats.stats[0].mean - 60.0) < 5  # liver HU
    window.grab().save(str(artifacts / "labels_demo_fill.png"))

    qtbot.keyClick(lab.view, K.Key_L, SHIFT)  # outline
    qtbot.keyClick(lab.view, K.Key_Escape)
    for overlay in lab.bench.overlays.values():
        overlay.flush()
    window.grab().save(str(artifacts / "labels_demo_outline.png"))
    # Each plane draws the edges of the labels on its slice, and nothing of their insides.
    for plane, overlay in lab.bench.overlays.items():
        index = lab.state.slice_index(plane)
        values = extract_slice(volume, plane, index, array=session.labelmap.layers[0])
        edges = outline_mask(values)
        assert 0 < np.count_nonzero(edges) < np.count_nonzero(values), plane
        assert np.array_equal(overlay.pixels != 0, edges), plane

    # An interpolation proposal between two painted slices, previewed hatched in between.
    qtbot.keyClick(lab.view, K.Key_L, SHIFT)  # fill again
    qtbot.keyClick(lab.view, K.Key_P)
    lab.bench.tools.set_radius(8.0)
    plane = lab.plane
    for index, (row, col) in ((k - 6, (j + 30, i + 60)), (k - 2, (j + 34, i + 66))):
        lab.state.set_slice(plane, int(index))
        lab.flush()
        drag(lab.view, at(lab.view, row, col), at(lab.view, row, col + 15))
    qtbot.keyClick(lab.view, K.Key_I, CTRL)
    qtbot.waitUntil(lambda: not lab.bench.jobs.busy)
    lab.state.set_slice(plane, int(k) - 4)
    for overlay in lab.bench.overlays.values():
        overlay.flush()
    assert lab.overlay.preview_pixels is not None
    window.grab().save(str(artifacts / "labels_demo_interpolation.png"))

    # The class tags dock after tagging two images.
    qtbot.keyClick(lab.view, K.Key_Escape)
    lab.bench.tags_dock.show()
    lab.bench.tags_dock.raise_()
    qtbot.keyClick(lab.view, K.Key_1, ALT)
    qtbot.keyClick(lab.view, K.Key_2, ALT)
    assert session.annotations.tags.counts() == {"normal": 1, "abnormal": 1}
    window.grab().save(str(artifacts / "labels_demo_tags.png"))
