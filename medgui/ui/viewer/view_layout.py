"""The central widget: one slice view, or axial, coronal and sagittal side by side, the 3-D
view alone ("3d") or beside the three planes ("4").

All views of a volume share one `ViewerState`, so the crosshair, window and zoom are linked and
a layout switch keeps them. A `ViewerState` belongs to one volume, so opening another volume
builds a new state and new views; the layout choice carries over.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from medgui.core import Volume
from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import LAYOUTS, ViewerState
from medgui.ui.viewer.cine import CineController
from medgui.ui.viewer.slice_image import prepare_display

ViewFactory = Callable[[ViewerState, Plane], QWidget]
# Makes the 3-D view (`ui.render3d.make_view3d`, above this package): it has
# ``set_volume(volume | None, state | None)``; built the first time a layout shows it.
View3DFactory = Callable[[], QWidget]
WITH_3D = ("3d", "4")

PLACEHOLDER_TEXT = (
    "Open a file (Ctrl+O) or a folder (Ctrl+Shift+O), drop one here, "
    "or open the demo study from the File menu."
)


def slice_view_factory(state: ViewerState, plane: Plane) -> QWidget:
    """The real view: `medgui.ui.viewer.slice_view.SliceView` (imported on first use)."""
    from medgui.ui.viewer.slice_view import SliceView

    return SliceView(state, plane)


class ViewLayout(QWidget):
    """Shows the loaded volume in layout "1" (the active plane), "3" (axial large on the
    left, coronal and sagittal stacked on the right), "3d" (the 3-D view) or "4" (the three
    planes and the 3-D view on the right), or a hint when nothing is loaded.

    `view_factory(state, plane)` makes each view (the real `SliceView` by default); a view must
    have ``set_volume(volume | None)`` and ``slice_updated(k)``.
    """

    state_changed = Signal(object)  # the new ViewerState, or None
    layout_changed = Signal(str)

    def __init__(
        self,
        view_factory: ViewFactory | None = None,
        parent: QWidget | None = None,
        *,
        view3d_factory: View3DFactory | None = None,
    ):
        super().__init__(parent)
        self._factory = view_factory or slice_view_factory
        self._view3d_factory = view3d_factory
        self.view3d: QWidget | None = None
        self.state: ViewerState | None = None
        self.volume: Volume | None = None
        self.views: dict[Plane, QWidget] = {}
        self._layout = "1"
        self._shape: tuple[int, ...] | None = None
        self.cine = CineController(self)
        self._later: list[Callable[[], object]] = []
        self._retired: list[QWidget] = []  # replaced views, deleted once the new state is out
        self._later_timer = QTimer(self, singleShot=True, interval=0)
        self._later_timer.timeout.connect(self._run_next)

        self._placeholder = QLabel(PLACEHOLDER_TEXT, self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Wrapped, so the hint never sets the window's minimum width.
        self._placeholder.setWordWrap(True)
        self._placeholder.setObjectName("ViewPlaceholder")
        self._placeholder.setStyleSheet("color: #8a8d93; font-size: 13pt;")
        self._main = QSplitter(Qt.Orientation.Horizontal)
        self._side = QSplitter(Qt.Orientation.Vertical)
        self._main.setChildrenCollapsible(False)
        self._side.setChildrenCollapsible(False)
        for plane in Plane:
            # Empty holders keep the splitter slots (and their sizes) between volumes.
            (self._side if plane is not Plane.AXIAL else self._main).addWidget(QWidget())
        self._main.addWidget(self._side)
        self._main.addWidget(QWidget())  # the 3-D view's slot
        self._main.addWidget(QWidget())  # the comparison's slot (`set_comparison`)
        self.comparison: QWidget | None = None
        # No stretch factors: without them a splitter that shrinks (a dock opens beside the
        # views) keeps its proportions, where with them it takes the room from the side views.
        self._stack = QStackedLayout()
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._main)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._stack)

    @property
    def layout_name(self) -> str:
        """The layout on show ("1" or "3"), kept across volumes."""
        return self._layout

    def set_layout(self, layout: str) -> None:
        """Switch layout; with a volume this goes through the shared state."""
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        if layout in WITH_3D and self._view3d_factory is None:
            raise ValueError(f"layout {layout!r} needs a 3-D view, and this one has none")
        if self.state is not None:
            self.state.set_layout(layout)
        else:
            self._apply_layout(layout)

    def _apply_layout(self, layout: str) -> None:
        changed = layout != self._layout
        self._layout = layout
        self._arrange()
        if changed:
            if layout in ("3", "4"):
                # After the splitters have handled the views being shown (queued child events).
                QTimer.singleShot(0, self._main, self._share_space)
            self.layout_changed.emit(layout)

    def _share_space(self) -> None:
        """Axial three fifths of the width, coronal and sagittal half the height each; with the
        3-D view, axial and 3-D two fifths each."""
        total, height = self._main.width(), self._side.height()
        # With a second series to compare, the views take half the width, as it does.
        width = total // 2 if self.comparison is not None else total
        if self._layout == "4":
            sizes = [width * 2 // 5, width // 5, width - width * 3 // 5]
        else:
            sizes = [width * 3 // 5, width - width * 3 // 5, 0]
        self._main.setSizes([*sizes, total - width])
        self._side.setSizes([height // 2, height - height // 2])

    def visible_views(self) -> dict[Plane, QWidget]:
        """The views the current layout shows."""
        if self.state is None or self._layout == "3d":
            return {}
        if self._layout in ("3", "4"):
            return dict(self.views)
        return {self.state.active_plane: self.views[self.state.active_plane]}

    def set_volume(self, volume: Volume | None, *, progressive: bool = False) -> None:
        """Show `volume` (None clears): a new shared state and new views, same layout.

        With `progressive` (a load has just opened the volume) only the active view is built
        now; it is put on show on the next turn of the event loop and draws on the one after,
        the others are built one per turn, and `state_changed` comes once all exist, so that
        no turn stalls the loop for three views' construction.
        Without it every view exists when this returns.
        """
        self._later.clear()
        self._placeholder.setText(PLACEHOLDER_TEXT)
        self.cine.set_state(None)
        if self.state is not None:
            self.state.events.disconnect(self._on_state_event)
        for view in self.views.values():
            view.set_volume(None)
        self.volume = volume
        self.state = ViewerState(volume) if volume is not None else None
        self._shape = volume.array.shape if volume is not None else None
        self.views = {}
        pending: list[Plane] = []
        if self.state is not None:
            self.state.set_layout(self._layout)
            self.state.events.connect(self._on_state_event)
            active = self.state.active_plane
            pending = [plane for plane in Plane if progressive and plane is not active]
            self.views = {
                plane: self._factory(self.state, plane) for plane in Plane if plane not in pending
            }
        self.cine.set_state(self.state)
        if self.view3d is not None:
            self.view3d.set_volume(volume, self.state)
        # The layout is complete before any view draws, so a view may already ask about it.
        # A progressive one is put on show on the next turn and draws on the one after:
        # building a view, showing it (its first layout and resize) and its first render are
        # each 10-30 ms while slices land, too much for one turn together.
        if pending:
            self._run_later(self._show_views)
            self._run_later(partial(self._show_in_views, volume))
        else:
            self._show_views()
            self._show_in_views(volume)
        for plane in pending:
            self._run_later(partial(self._build_view, plane))
        if pending:
            self._run_later(self._announce)
        else:
            self._announce()

    def show_message(self, text: str) -> None:
        """Clear the views and say why in their place (a file with no image, a failed load)."""
        self.set_volume(None)
        self._placeholder.setText(text)

    def placeholder_text(self) -> str:
        """What the empty view area says."""
        return self._placeholder.text()

    def _show_views(self) -> None:
        """Put the views built so far in their slots (empty holders in the others) and show
        the layout, the active view taking the keys."""
        for plane in Plane:
            # An empty holder keeps a slot of a view still to be built; parented, so that it
            # lives on when this Python reference goes (replaceWidget does not take it over).
            self._put(plane, self.views[plane] if plane in self.views else QWidget(self))
        self._arrange()
        if self.state is not None:
            # Keys (slices, presets, tools) go to the view on show without a click first.
            self.views[self.state.active_plane].setFocus()
            if not self.volume.is_color:
                prepare_display(self.volume.array.dtype, self.state.window, self.state.invert)

    def _announce(self) -> None:
        """`state_changed`, then the replaced views go: listeners may still let go of what
        they hung on them (overlays, items) while handling the new state."""
        self.state_changed.emit(self.state)
        retired, self._retired = self._retired, []
        for old in retired:
            old.deleteLater()

    def _build_view(self, plane: Plane) -> None:
        """Build the view of `plane` (a progressive `set_volume`); it draws on a later turn."""
        view = self._factory(self.state, plane)
        self.views[plane] = view
        # In plane order, as a view set built at once.
        self.views = {p: self.views[p] for p in Plane if p in self.views}
        self._put(plane, view)
        self._arrange()
        self._run_later(partial(self._late_volume, view, self.volume))

    def _run_later(self, work: Callable[[], object]) -> None:
        """Run `work` on a later turn of the event loop, one piece of work per turn (in the
        order given); a new volume drops what is still queued."""
        self._later.append(work)
        self._later_timer.start()

    def _run_next(self) -> None:
        if self._later:
            self._later.pop(0)()
        if self._later:
            self._later_timer.start()

    def _finish_later(self) -> None:
        """Run all queued work now."""
        while self._later:
            self._later.pop(0)()

    def _put(self, plane: Plane, widget: QWidget) -> None:
        splitter, index = (
            (self._main, 0)
            if plane is Plane.AXIAL
            else (self._side, 0 if plane is Plane.CORONAL else 1)
        )
        old = splitter.replaceWidget(index, widget)
        if old is not None:
            old.hide()
            self._retired.append(old)

    def slice_updated(self, k: int) -> None:
        """Slice k (array index) of the volume has landed: refresh the views on show."""
        for view in self.visible_views().values():
            view.slice_updated(k)

    def volume_complete(self, volume: Volume) -> None:
        """The load finished: refresh every view with the final data.

        The loader may resample an unevenly spaced stack at the end, which changes the shape,
        so the state is rebuilt then. A default window taken from percentiles of the first
        slices (no header window) is worked out again from the whole volume, for reset (R) as
        well; the window on show follows unless the user changed it.
        """
        self._finish_later()
        state = self.state
        if state is None or volume is not self.volume or volume.array.shape != self._shape:
            self.set_volume(volume)
            return
        state.refresh_default_window()
        self._show_in_views(volume)
        if self.view3d is not None:
            self.view3d.set_volume(volume, state)  # the voxels it was given were still landing

    def _show_in_views(self, volume: Volume | None) -> None:
        """The views on show get `volume` now; the others one per later turn of the event
        loop, so that no single turn stalls the loop (each first render costs ~10 ms)."""
        shown = self.visible_views()
        for view in shown.values():
            view.set_volume(volume)
        for plane, view in self.views.items():
            if plane not in shown:
                self._run_later(partial(self._late_volume, view, volume))

    def _late_volume(self, view: QWidget, volume: Volume | None) -> None:
        if self.volume is volume and view in self.views.values():
            view.set_volume(volume)

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "layout":
            self._apply_layout(value)
        elif name == "active_plane":
            self._arrange()

    def _arrange(self) -> None:
        if self.state is None:
            self._stack.setCurrentWidget(self._placeholder)
            return
        shown = self.visible_views()
        for plane, view in self.views.items():
            view.setVisible(plane in shown)
        self._side.setVisible(any(p in shown for p in (Plane.CORONAL, Plane.SAGITTAL)))
        with_3d = self._layout in WITH_3D
        if with_3d and self.view3d is None:
            self._build_view3d()
        self._main.widget(2).setVisible(with_3d)
        self._main.widget(3).setVisible(self.comparison is not None)
        if with_3d and not shown:
            self.view3d.setFocus()
        self._stack.setCurrentWidget(self._main)

    def set_comparison(self, pane: QWidget | None) -> None:
        """Show `pane` (a second series to compare with) at the right of the views, or none."""
        old = self._main.replaceWidget(3, pane if pane is not None else QWidget(self))
        if old is not None and old is not self.comparison:
            old.deleteLater()  # an empty holder; a pane that goes is its owner's to delete
        elif old is not None:
            old.hide()
            old.setParent(None)
        self.comparison = pane
        self._arrange()
        if self._layout in ("3", "4"):
            self._share_space()
        else:  # the view on show and the pane half the width each
            total = self._main.width()
            axial = self.state is None or self.state.active_plane is Plane.AXIAL
            sizes = [0, 0, 0, total - total // 2 if pane is not None else 0]
            sizes[2 if self._layout == "3d" else 0 if axial else 1] = total - sizes[3]
            self._main.setSizes(sizes)

    def _build_view3d(self) -> None:
        """The 3-D view, made once, the first time a layout shows it (VTK loads then)."""
        self.view3d = self._view3d_factory()
        old = self._main.replaceWidget(2, self.view3d)
        if old is not None:
            old.deleteLater()
        self.view3d.set_volume(self.volume, self.state)
