"""Key images marked on the image: a slice view whose slice on show is one of the series' key
images says so in its top-right corner, under the series lines ("★ Key image"), as it is
scrolled to, marked or unmarked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject

from medgui.core.image.reformat import Plane
from medgui.core.image.viewer_state import ViewerState
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.viewer.overlays import series_lines
from medgui.ui.viewer.view_layout import ViewLayout

KEY_LINE = "★ Key image"


class KeyImageMarks(QObject):
    """Keeps the key-image line of every slice view of `view_layout` up to date."""

    def __init__(self, context: LabelContext, view_layout: ViewLayout, parent=None) -> None:
        super().__init__(parent)
        self._context, self._layout = context, view_layout
        self._session: LabelSession | None = None
        self._state: ViewerState | None = None
        context.session_changed.connect(self._on_session)
        view_layout.state_changed.connect(self._on_state)
        view_layout.layout_changed.connect(self.refresh)
        self._on_session(context.session)
        self._on_state(view_layout.state)

    def marked(self, plane: Plane) -> bool:
        """Whether the slice of `plane` on show is a key image."""
        session, state = self._session, self._state
        if session is None or state is None or session.volume is not self._layout.volume:
            return False
        index, keys = state.slice_index(plane), session.annotations.key_images
        return any(k.plane is plane and k.slice_index == index for k in keys)

    def refresh(self, *_: Any) -> None:
        for plane, view in self._layout.views.items():
            overlay, volume = getattr(view, "overlay", None), getattr(view, "volume", None)
            if overlay is None or volume is None:
                continue  # a stand-in view, or one still waiting for its volume
            base = series_lines(volume.metadata)
            mark = [KEY_LINE] if self.marked(plane) else []
            overlay.set_corner("top_right", base + mark, compact=mark)

    def _on_session(self, session: LabelSession | None) -> None:
        if self._session is not None:
            self._session.annotations_changed.disconnect(self.refresh)
        self._session = session
        if session is not None:
            session.annotations_changed.connect(self.refresh)
        self.refresh()

    def _on_state(self, state: ViewerState | None) -> None:
        if self._state is not None:
            self._state.events.disconnect(self._on_state_event)
        self._state = state
        if state is not None:
            state.events.connect(self._on_state_event)
        for view in self._layout.views.values():
            # A view given its volume later (a side plane) sets its corners then: mark it when
            # it is shown.
            view.installEventFilter(self)
        self.refresh()

    def _on_state_event(self, name: str, value: Any) -> None:
        if name == "slice_index":
            self.refresh()

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Show:
            self.refresh()
        return super().eventFilter(watched, event)
