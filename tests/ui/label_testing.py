"""Helpers shared by the labelling tests (no tests here): a window with a series open, scripted
dialogs, and copies of the label map to run the core ops on for the expected voxels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from medgui.core.labels.labelmap import LabelMap, LabelTable
from medgui.core.labels.undo import EditHistory
from medgui.ml.runtime.proposal import Proposal

K = Qt.Key
ALT, CTRL, SHIFT = (
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
)


class ScriptedDialogs:
    """Stands in for `Dialogs`: records every warning and question, answers from scripts."""

    def __init__(self) -> None:
        self.warnings: list[tuple[str, str]] = []
        self.questions: list[tuple[str, str]] = []
        self.answer = True
        self.numbers: list[float | None] = []
        self.paths: list[str | None] = []

    def install(self, dialogs) -> ScriptedDialogs:
        """Replace the methods of the window's (shared) `Dialogs` object with these."""
        names = ("warn", "confirm", "number", "color", "open_path", "save_path", "folder")
        for name in names:
            setattr(dialogs, name, getattr(self, name))
        return self

    def warn(self, title: str, text: str) -> None:
        self.warnings.append((title, text))

    def confirm(self, title: str, text: str, yes: str = "OK", no: str = "Cancel") -> bool:
        self.questions.append((title, text))
        return self.answer

    def number(self, title, label, value, low, high, decimals=1):
        return self.numbers.pop(0) if self.numbers else value

    def color(self, initial):
        return (10, 200, 30)

    def open_path(self, title, folder=""):
        return self.paths.pop(0) if self.paths else None

    def save_path(self, title, folder=""):
        return self.paths.pop(0) if self.paths else None

    def folder(self, title, start=""):
        return self.paths.pop(0) if self.paths else None


def blank_copy(labelmap: LabelMap) -> LabelMap:
    """An empty map with `labelmap`'s grid and table, for running the core op on."""
    table = LabelTable.from_json(labelmap.table.to_json())
    layers = [np.zeros_like(layer) for layer in labelmap.layers]
    return LabelMap(layers, labelmap.spacing_mm, labelmap.origin, labelmap.direction.copy(), table)


def same_copy(labelmap: LabelMap) -> LabelMap:
    """A copy with the same voxels."""
    copy = blank_copy(labelmap)
    for mine, theirs in zip(copy.layers, labelmap.layers, strict=True):
        mine[...] = theirs
    return copy


def expected(labelmap: LabelMap, op, *args, start: LabelMap | None = None, **kwargs) -> LabelMap:
    """The map the core op `op(map, history, *args)` makes from `start` (default: empty)."""
    copy = same_copy(start) if start is not None else blank_copy(labelmap)
    op(copy, EditHistory(), *args, **kwargs)
    return copy


def snapped(view, pos: QPointF) -> tuple[float, float]:
    """The pixel centre a mouse event at viewport `pos` lands on (Qt rounds to whole pixels)."""
    row, col = view.viewport_to_slice(QPointF(QPointF(pos).toPoint()))
    return float(round(row)), float(round(col))


class Labelled:
    """A shown window with a series open: its workbench, session, axial view and overlay."""

    def __init__(self, window) -> None:
        self.window = window
        self.bench = window.labels

    @property
    def session(self):
        return self.bench.context.session

    @property
    def state(self):
        return self.window.view_layout.state

    @property
    def view(self):
        return self.window.view_layout.views[self.state.active_plane]

    @property
    def overlay(self):
        return self.bench.overlays[self.state.active_plane]

    @property
    def plane(self):
        return self.state.active_plane

    @property
    def index(self) -> int:
        return self.state.slice_index(self.plane)

    def flush(self) -> None:
        self.view.flush()
        self.overlay.flush()


def open_labelled(qtbot, window, folder, wait_idle, dialogs: ScriptedDialogs) -> Labelled:
    """Open the series in `folder` in `window` and wait until it is loaded and labelled."""
    dialogs.install(window.labels.dialogs)
    if not window.isVisible():
        window.resize(1000, 700)
        window.show()
    # Shortcuts act in the active window only.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.open_path(folder)
    wait_idle(window)
    qtbot.waitUntil(lambda: window.labels.context.session is not None)
    labelled = Labelled(window)
    view = labelled.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    labelled.flush()
    return labelled


def open_demo_labelled(qtbot, window, demo_study, wait_idle, workspace) -> Labelled:
    """The demo CT open in `window` with its labels imported, its work saved in `workspace`."""
    dialogs = ScriptedDialogs()
    assert window.labels.set_workspace(workspace)
    lab = open_labelled(qtbot, window, demo_study.dicom_dir, wait_idle, dialogs)
    window.labels.files.import_labels(demo_study.labels_path)
    qtbot.waitUntil(lambda: lab.session.labelmap.layers[0].any(), timeout=20_000)
    assert not dialogs.warnings
    return lab


def make_proposal(session, box, value: int, name: str) -> Proposal:
    """A model's proposal of label `value` (not in the session's table) inside `box`."""
    shape = session.labelmap.shape_zyx
    probabilities = np.zeros((2, *shape), np.float32)
    probabilities[0] = 1.0
    probabilities[1][box], probabilities[0][box] = 0.9, 0.1
    table = LabelTable()
    table.add(name)
    assert table.labels[0].value == 1
    table.labels[0].value = value
    labels = LabelMap.empty_like(session.volume, table)
    return Proposal(probabilities, labels, [value])
