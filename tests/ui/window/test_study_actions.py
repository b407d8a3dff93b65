"""The demo opens with its organs labelled; File → Clear study index forgets every header."""

from __future__ import annotations

import numpy as np
from label_testing import ScriptedDialogs
from PySide6.QtCore import Qt

from medgui.core.io.index import default_index
from medgui.core.workspace.demo import LABEL_TABLE
from medgui.ui.labeling.panel import COLOR, NAME


def test_the_demo_opens_with_its_organs_labelled(qtbot, window, wait_idle, artifacts):
    ScriptedDialogs().install(window.labels.dialogs)
    window.open_demo()  # writes the demo into the (test's) data folder, then opens it
    qtbot.waitUntil(lambda: window.volume is not None and not window.busy, timeout=60_000)
    context = window.labels.context

    def labelled() -> bool:
        session = context.session
        return session is not None and bool(session.labelmap.layers[0].any())

    qtbot.waitUntil(labelled, timeout=15_000)
    model = window.labels.panel.model
    names = [model.index(row, NAME).data() for row in range(model.rowCount())]
    assert names == [entry["name"] for entry in LABEL_TABLE]
    colours = {model.index(row, COLOR).data(Qt.ItemDataRole.DecorationRole).name()
               for row in range(model.rowCount())}  # fmt: skip
    assert len(colours) == len(LABEL_TABLE)
    painted = set(np.unique(context.session.labelmap.layers[0])) - {0}
    assert painted == {entry["value"] for entry in LABEL_TABLE}
    window.labels.show_label_dock()
    for overlay in window.labels.overlays.values():
        overlay.flush()
    window.grab().save(str(artifacts / "demo_opens_labelled.png"))


def test_clear_study_index_asks_then_forgets_every_header(qtbot, window, series_folder, wait_idle):
    dialogs = ScriptedDialogs().install(window.labels.dialogs)
    window.open_path(series_folder)
    wait_idle(window)
    held = default_index().count()
    assert held > 0
    dialogs.answer = False
    window.menu_actions["clear_index"].trigger()
    assert default_index().count() == held and len(dialogs.questions) == 1
    assert f"{held} scanned file(s)" in dialogs.questions[0][1]
    dialogs.answer = True
    window.menu_actions["clear_index"].trigger()
    assert default_index().count() == 0
