"""The labels, boxes and class tags of the volume on show, as a Qt model the label widgets watch.

`LabelSession` (one per open volume) is the Qt face of a `SessionModel`
(`medgui.core.annotations.session`), which holds the state and the rules with no Qt: the session
forwards its attributes and methods to the model and re-emits the model's events as signals, so
views redraw the voxels that changed, panels refresh and the autosave marks the series dirty.
Edits themselves are the plain functions of `medgui.core.labels.ops` & co., called with
``session.labelmap`` and ``session.history``. `LabelContext` (one per window) says which session
is on show and how the overlay is drawn.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.annotations.session import SessionModel
from medgui.core.image.viewer_state import ViewerState
from medgui.core.image.volume import Volume
from medgui.core.labels.labelmap import LabelMap


def _attribute(name: str, settable: bool = False) -> property:
    """The model's attribute `name`, read (and, if `settable`, written) through the session."""

    def get(self):
        return getattr(self.model, name)

    def set_(self, value) -> None:
        setattr(self.model, name, value)

    return property(get, set_ if settable else None, doc=f"The model's `{name}`.")


def _method(name: str):
    """The model's method `name`, called through the session."""

    def call(self, *args, **kwargs):
        return getattr(self.model, name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = getattr(SessionModel, name).__doc__
    return call


class LabelSession(QObject):
    """Labels, boxes and tags of one volume (`key`: its series key), with change signals."""

    voxels_changed = Signal(int, object)  # layer index, BBox (z, y, x slices); -1, None: all
    table_changed = Signal()  # a row added, removed or edited
    active_changed = Signal(int)  # the value painting uses
    history_changed = Signal()  # what undo/redo would do
    proposal_changed = Signal()  # an interpolation proposal shown or dropped
    annotations_changed = Signal()  # boxes or class tags
    edited = Signal()  # anything the workspace saves changed

    def __init__(
        self,
        volume: Volume,
        key: str | None = None,
        *,
        labelmap: LabelMap | None = None,
        annotations: SeriesAnnotations | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = SessionModel(volume, key, labelmap=labelmap, annotations=annotations)
        self.model.events.connect(self._relay)

    def _relay(self, name: str, *args) -> None:
        getattr(self, name).emit(*args)

    volume = _attribute("volume", settable=True)  # a loading series' volume fills in
    stroking = _attribute("stroking", settable=True)  # set by the brush while it draws
    key = _attribute("key")
    labelmap = _attribute("labelmap")
    history = _attribute("history")
    annotations = _attribute("annotations")
    proposal = _attribute("proposal")
    revision = _attribute("revision")
    active_value = _attribute("active_value")
    active_label = _attribute("active_label")
    tool_proposal = _attribute("tool_proposal")
    tags = _attribute("tags")

    replace = _method("replace")
    notify_voxels = _method("notify_voxels")
    set_active = _method("set_active")
    add_label = _method("add_label")
    remove_label = _method("remove_label")
    discard_label = _method("discard_label")
    set_label = _method("set_label")
    apply_result = _method("apply_result")
    merge_grown = _method("merge_grown")
    undo = _method("undo")
    redo = _method("redo")
    statistics = _method("statistics")
    show_interpolation = _method("show_interpolation")
    show_proposal = _method("show_proposal")
    accept_proposal = _method("accept_proposal")
    cancel_proposal = _method("cancel_proposal")
    is_empty = _method("is_empty")
    add_box = _method("add_box")
    remove_boxes = _method("remove_boxes")
    make_box_3d = _method("make_box_3d")
    set_classes = _method("set_classes")
    tag = _method("tag")
    tag_from_report = _method("tag_from_report")
    add_key_image = _method("add_key_image")
    remove_key_images = _method("remove_key_images")
    set_report_draft = _method("set_report_draft")


class LabelContext(QObject):
    """The session on show (with its view state) and how every view draws labels."""

    session_changed = Signal(object)  # LabelSession | None
    display_changed = Signal()  # overlay shown/hidden, fill/outline

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: LabelSession | None = None
        self.state: ViewerState | None = None
        self.overlay_visible = True
        self.outline = False

    def set_session(self, session: LabelSession | None, state: ViewerState | None) -> None:
        """Show `session`, whose volume `state` views (None, None: nothing)."""
        if session is self.session and state is self.state:
            return
        self.session, self.state = session, state
        self.session_changed.emit(session)

    def set_overlay_visible(self, visible: bool) -> None:
        if bool(visible) != self.overlay_visible:
            self.overlay_visible = bool(visible)
            self.display_changed.emit()

    def toggle_overlay(self) -> None:
        """Show or hide every label in every view."""
        self.set_overlay_visible(not self.overlay_visible)

    def set_outline(self, outline: bool) -> None:
        if bool(outline) != self.outline:
            self.outline = bool(outline)
            self.display_changed.emit()
