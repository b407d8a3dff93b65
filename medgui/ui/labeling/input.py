"""What a left drag or click on a view does while a label tool is on (`LabelInput`).

`LabelInput` takes over a view's mouse only for the label tool's own gestures (a plain left drag
or click, Alt+wheel for the brush size); everything else (pan, zoom, slices, window/level) goes on
to the view's `SliceInput`. Positions are snapped to pixel centres, so a dab covers exactly the
pixels `label_ops.brush` gives for that pixel. The edits are the core ops themselves.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt

from medgui.core.annotations.model import Box2D
from medgui.core.image.reformat import slice_geometry
from medgui.core.labels.ops import erase, erase_stroke, flood_fill, polygon_fill, stroke
from medgui.core.labels.ops import threshold_paint as threshold_op
from medgui.core.labels.undo import Edit, require_unlocked
from medgui.ui.labeling.items import BoxDraft, BrushCursor, PolygonDraft
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tools import (
    BRUSH_TOOLS,
    WHEEL_STEP,
    LabelTool,
    LabelTools,
    Point,
    Stroke,
    snap,
)
from medgui.workers.label_workers import flood_fill_scratch, flood_fill_worker


class LabelInput(QObject):
    """The mouse of one `SliceView` while a label tool is on (see the module docstring).
    `report(text)` shows why an edit was refused (a locked label, say)."""

    def __init__(self, view, context: LabelContext, tools: LabelTools, report) -> None:
        super().__init__(view)
        self._view, self._context, self._tools, self._report = view, context, tools, report
        self._fallback = view.box.handler
        view.box.handler = self
        self.cursor = BrushCursor(view.slice_group)
        self.polygon = PolygonDraft(view.slice_group)
        self.box_draft = BoxDraft(view.slice_group)
        self._stroke: Stroke | None = None
        self._vertices: list[Point] = []
        self._polygon_index = 0  # the slice the polygon is drawn on
        self._drag: str | None = None  # the tool of the drag under way ("" when refused)
        self._start: Point = (0.0, 0.0)
        self._floods: list = []  # 3-D flood fill workers running
        view.graphics.viewport().installEventFilter(self)
        view.installEventFilter(self)
        tools.changed.connect(self._on_tools)

    @property
    def vertices(self) -> list[Point]:
        """The polygon's vertices so far."""
        return list(self._vertices)

    def _session(self) -> LabelSession | None:
        session, volume = self._context.session, self._view.volume
        if self._tools.tool is None or session is None or volume is None:
            return None
        return session if session.labelmap.shape_zyx == volume.shape_zyx else None

    def _activate(self) -> None:
        view = self._view
        view.setFocus(Qt.FocusReason.MouseFocusReason)
        view.state.set_active_plane(view.plane)
        view.flush()  # paint the slice the state is on

    def _point(self, scene_pos) -> Point:
        return snap(self._view.scene_to_slice(scene_pos))

    def _where(self):
        return self._view.plane, self._view.shown_index

    # pyqtgraph's events, handed on by the view box.

    def drag(self, ev) -> None:
        session = self._session()
        plain_left = ev.button() == Qt.MouseButton.LeftButton and not (
            ev.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if self._drag is None and (session is None or not (ev.isStart() and plain_left)):
            self._fallback.drag(ev)
            return
        ev.accept()
        point = self._point(ev.scenePos())
        if ev.isStart():
            self._activate()
            self._drag = self._tools.tool
            self._start = self._point(ev.buttonDownScenePos())
            self._guard(self._begin, session)
        if self._drag:
            self._guard(self._end if ev.isFinish() else self._move, point)
        if ev.isFinish():
            self._drag = None

    def click(self, ev) -> None:
        session = self._session()
        if session is None or ev.button() != Qt.MouseButton.LeftButton:
            self._fallback.click(ev)
            return
        ev.accept()
        self._activate()
        point = self._point(ev.scenePos())
        tool = self._tools.tool
        if tool is LabelTool.POLYGON:
            if ev.double():
                self._guard(self.close_polygon)
            else:
                if not self._vertices:
                    self._polygon_index = self._view.shown_index
                self._vertices.append(point)
                self.polygon.show(self._vertices)
        elif tool is not LabelTool.BOX:
            self._guard(self._click_edit, session, tool, point)

    def wheel(self, ev) -> None:
        alt = ev.modifiers() & Qt.KeyboardModifier.AltModifier
        if alt and self._tools.tool in BRUSH_TOOLS and ev.delta():
            ev.accept()
            self._tools.scale_radius(1.1 ** (ev.delta() / WHEEL_STEP))
            self._show_cursor(self._view.scene_to_slice(ev.scenePos()))
            return
        self._fallback.wheel(ev)

    # The gestures.

    def _guard(self, action, *args) -> None:
        """Run an edit; a refused one (ValueError: locked label, empty polygon…) is reported
        and ends the drag."""
        try:
            action(*args)
        except ValueError as error:
            if self._stroke is not None:
                self._stroke.cancel()
                self._stroke = None
            if self._drag is not None:
                self._drag = ""  # the rest of this drag does nothing
            self._report(str(error))

    def _painter(self, session: LabelSession, tool: LabelTool):
        """The core op that paints `tool` along points on the shown slice."""
        lm, value, (plane, index) = session.labelmap, session.active_value, self._where()
        radius, sphere, (low, high) = (
            self._tools.radius_mm,
            self._tools.sphere,
            self._tools.threshold,
        )
        if tool is LabelTool.ERASER:
            layer, only = self._erasing(session)
            return lambda h, pts: erase_stroke(
                lm, h, layer, plane, index, pts, radius, sphere=sphere, only_value=only
            )
        require_unlocked(lm, value)
        if tool is LabelTool.THRESHOLD:
            image = session.volume
            return lambda h, pts: threshold_op(
                lm, h, value, image, low, high, plane, index, pts, radius, sphere=sphere
            )
        return lambda h, pts: stroke(lm, h, value, plane, index, pts, radius, sphere=sphere)

    def _erasing(self, session: LabelSession) -> tuple[int, int | None]:
        """The layer the eraser works on and the one label it takes (None: all of them)."""
        label = session.active_label
        return label.layer, None if self._tools.erase_all else label.value

    def _begin(self, session: LabelSession) -> None:
        tool = self._drag
        if tool in BRUSH_TOOLS:
            self._stroke = Stroke(session, self._painter(session, tool))
            self._stroke.add(self._start)
        elif tool is LabelTool.POLYGON:
            self._vertices = [self._start]
            self._polygon_index = self._view.shown_index

    def _move(self, point: Point) -> None:
        tool = self._drag
        if self._stroke is not None:
            self._stroke.add(point)
            self._show_cursor(point)
        elif tool is LabelTool.POLYGON:
            if self._vertices[-1] != point:
                self._vertices.append(point)
            self.polygon.show(self._vertices)
        elif tool is LabelTool.BOX:
            self.box_draft.show(self._start, point)

    def _end(self, point: Point) -> None:
        self._move(point)
        tool, session = self._drag, self._context.session
        if self._stroke is not None:
            stroke_, self._stroke = self._stroke, None
            stroke_.finish()
        elif tool is LabelTool.POLYGON:
            self.close_polygon()
        elif tool is LabelTool.BOX:
            self.box_draft.hide()
            plane, index = self._where()
            (r0, c0), (r1, c1) = self._start, point
            label = session.active_label.name
            box = Box2D(plane=plane, slice_index=index, row_min=r0, col_min=c0, row_max=r1,
                        col_max=c1, label=label)  # fmt: skip
            session.add_box(box)
        elif tool is LabelTool.FLOOD:
            self._click_edit(session, tool, self._start)

    def _click_edit(self, session: LabelSession, tool: LabelTool, point: Point) -> None:
        lm, history, value = session.labelmap, session.history, session.active_value
        (plane, index), tools = self._where(), self._tools
        if tool is LabelTool.FLOOD:
            require_unlocked(lm, value)
            options = dict(image=session.volume, tolerance=tools.tolerance, three_d=tools.three_d)
            if session.volume.is_color:
                options["image"] = None
            if options.pop("three_d"):
                self._flood_3d(session, value, plane, index, point, **options)
            else:
                flood_fill(lm, history, value, plane, index, point, **options)
        elif tool is LabelTool.ERASER:
            layer, only = self._erasing(session)
            erase(lm, history, layer, plane, index, point, tools.radius_mm, sphere=tools.sphere,
                  only_value=only)  # fmt: skip
        else:
            self._painter(session, tool)(history, [point])

    @property
    def flooding(self) -> bool:
        """Whether a 3-D flood fill is running."""
        return bool(self._floods)

    def _flood_3d(self, session: LabelSession, value: int, plane, index: int, point, **options):
        """Grow the region in a worker (it may take a second on a big volume) and write it on
        this thread when it comes back, as one undoable edit."""
        labelmap = session.labelmap
        scratch = flood_fill_scratch(labelmap, blank=options["image"] is not None)
        worker = flood_fill_worker(scratch, value, plane, index, point, **options)
        self._floods.append(worker)
        worker.returned.connect(partial(self._flooded, worker, session, labelmap, value))
        worker.errored.connect(partial(self._flood_failed, worker))
        worker.start()

    def _flooded(self, worker, session, labelmap, value: int, fill: Edit | None) -> None:
        self._floods.remove(worker)
        if fill is None or self._context.session is not session or session.labelmap is not labelmap:
            return  # nothing matched, or the series changed meanwhile
        self._guard(self._write_fill, session, value, fill)

    def _write_fill(self, session: LabelSession, value: int, fill: Edit) -> None:
        labelmap = session.labelmap
        require_unlocked(labelmap, value)  # locked or removed while the fill ran?
        with session.history.edit(labelmap, fill.layer, "Flood fill", fill.bbox):
            fill.apply(labelmap, forward=True)

    def _flood_failed(self, worker, error: Exception) -> None:
        self._floods.remove(worker)
        self._report(str(error))

    def close_polygon(self) -> None:
        """Fill the polygon drawn so far (at least three vertices) and start a new one."""
        vertices, self._vertices = self._vertices, []
        self.polygon.hide()
        session = self._session()
        plane, index = self._where()
        if session is None or len(set(vertices)) < 3 or index != self._polygon_index:
            return  # too few corners, or the user went to another slice meanwhile
        polygon_fill(
            session.labelmap, session.history, session.active_value, plane, index, vertices
        )

    def cancel(self) -> None:
        """Drop whatever is being drawn."""
        if self._stroke is not None:
            self._stroke.cancel()
            self._stroke = None
        self._drag = "" if self._drag is not None else None
        self._vertices = []
        self.polygon.hide()
        self.box_draft.hide()

    # Hover, keys and tool changes.

    def _show_cursor(self, point: Point) -> None:
        volume = self._view.volume
        if self._session() is None or self._tools.tool not in BRUSH_TOOLS or volume is None:
            self.cursor.hide()
            return
        row_mm, col_mm, _ = slice_geometry(volume, self._view.plane)
        self.cursor.show_at(snap(point), self._tools.radius_mm, (row_mm, col_mm))

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if watched is self._view:
            return kind == QEvent.Type.KeyPress and self._key(event)
        if kind == QEvent.Type.MouseMove:
            point = self._view.viewport_to_slice(event.position())
            self._show_cursor(point)
            if self._vertices and self._drag is None:
                self.polygon.show(self._vertices, snap(point))
        elif kind == QEvent.Type.Leave:
            self.cursor.hide()
        return False

    def _key(self, event) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._vertices:
            self._guard(self.close_polygon)
            return True
        if key == Qt.Key.Key_Escape:
            drawing = bool(self._vertices) or self._stroke is not None
            self.cancel()
            session = self._context.session
            if session is not None and session.proposal is not None:
                session.cancel_proposal()
                return True
            if drawing:
                return True
            self._tools.set_tool(None)
        elif key == Qt.Key.Key_W and not event.modifiers():
            self._tools.set_tool(None)  # W: back to window/level, as for the measurements
        return False

    def _on_tools(self, name: str) -> None:
        if name == "tool":
            self.cancel()  # a drag under way is swallowed to its end, never half handed on
            self.cursor.hide()
