"""The 3-D view: label surfaces and volume rendering with VTK, drawn offscreen and shown in a Qt
widget (so it works headless and on any Qt platform). Importing this package imports no VTK:
`make_view3d` loads it when a layout first shows the 3-D view."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from medgui.ui.labeling.session import LabelContext

# The 3-D view's volume renderings: none, the CT presets (`scene.VOLUME_PRESETS`), maximum
# intensity. Here, so that options can be checked without loading VTK.
VOLUME_MODES = ("off", "bone", "soft tissue", "vessels", "mip")


def make_view3d(labels: LabelContext | None = None, parent: QWidget | None = None) -> QWidget:
    """A new `View3D` drawing the surfaces of `labels`' session (VTK is imported now)."""
    from medgui.ui.render3d.view3d import View3D

    return View3D(labels, parent)
