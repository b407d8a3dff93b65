"""The labelling commands as QActions: the Label menu (tools, brush size, interpolation, clean
up, boxes, overlay, tags), Edit → Undo/Redo and File → Save/Import/Export labels.

Each slot is a call into the session, the tool settings or the core ops; check marks and
"Undo Brush" texts follow the models' signals (with signals blocked while they are set, so a
mark never echoes back as a command). `SHORTCUTS` lists every key.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from medgui.core.labels.cleanup import (
    fill_holes,
    grow_shrink,
    keep_largest_component,
    remove_small_islands,
)
from medgui.core.labels.interpolate import accept_interpolation
from medgui.ui.labeling.dialogs import Dialogs
from medgui.ui.labeling.jobs import LabelJobs
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tags_panel import TagCommands
from medgui.ui.labeling.tools import (
    LABEL_TOOL_KEYS,
    LABEL_TOOL_NAMES,
    RADIUS_STEP,
    LabelTool,
    LabelTools,
)
from medgui.workers.label_workers import interpolation_worker, label_op_worker, label_snapshot

SHORTCUTS = {
    **{f"tool_{tool.value}": key for tool, key in LABEL_TOOL_KEYS.items()},
    "sphere": "S",
    "radius_up": ".",
    "radius_down": ",",
    "flood_3d": "Shift+G",
    "interpolate": "Ctrl+I",
    "accept_interpolation": "Ctrl+Return",
    "overlay": "L",
    "outline": "Shift+L",
    "undo": "Ctrl+Z",
    "redo": "Ctrl+Shift+Z",  # and Ctrl+Y
    "save_labels": "Ctrl+S",
    **{f"tag_{k}": f"Alt+{k}" for k in range(1, 10)},
    "untag": "Alt+0",
    "next_untagged": "Alt+U",
}


class LabelActions(QObject):
    """Every labelling QAction (in `actions`, by name), bound to `context` and `tools`.

    `files` does import/export and `autosave` the explicit save; `message(text)` is for the
    status bar."""

    message = Signal(str)

    def __init__(
        self, context, tools, dialogs, files, autosave, tags: TagCommands, jobs: LabelJobs,
        parent=None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._jobs = jobs
        self._context: LabelContext = context
        self._tools: LabelTools = tools
        self._dialogs: Dialogs = dialogs
        self._tags = tags
        self._session: LabelSession | None = None
        self.actions: dict[str, QAction] = {}
        add = self._add
        self._tool_group = QActionGroup(self)
        # Exclusive: a tool's key picks it again rather than putting it down (W or Esc do that).
        self._tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.Exclusive)
        for tool in LabelTool:
            action = add(f"tool_{tool.value}", LABEL_TOOL_NAMES[tool], checkable=True)
            action.toggled.connect(partial(self._pick_tool, tool))
            self._tool_group.addAction(action)
        # W and Esc are the view's keys (they act where the keyboard focus is): shown, not claimed.
        add("tool_none", "No label tool\tW, Esc").triggered.connect(lambda: tools.set_tool(None))
        add("sphere", "Sphere (3-D brush)", checkable=True).toggled.connect(tools.set_sphere)
        add("radius_up", "Larger brush").triggered.connect(partial(tools.scale_radius, RADIUS_STEP))
        add("radius_down", "Smaller brush").triggered.connect(
            partial(tools.scale_radius, 1 / RADIUS_STEP)
        )
        add("flood_3d", "Flood fill in 3-D", checkable=True).toggled.connect(tools.set_three_d)
        add("erase_all", "Eraser takes all labels", checkable=True).toggled.connect(
            tools.set_erase_all
        )
        add("interpolate", "Interpolate active label").triggered.connect(self.interpolate)
        add("interpolate_all", "Interpolate all labels of the layer").triggered.connect(
            partial(self.interpolate, True)
        )
        add("accept_interpolation", "Accept interpolation").triggered.connect(self._accept)
        add("cancel_interpolation", "Cancel interpolation").triggered.connect(self._cancel)
        add("remove_islands", "Remove small islands…").triggered.connect(self._islands)
        add("keep_largest", "Keep largest component").triggered.connect(self._keep_largest)
        add("fill_holes", "Fill holes (3-D)").triggered.connect(partial(self._fill, False))
        add("fill_holes_2d", "Fill holes in each slice").triggered.connect(
            partial(self._fill, True)
        )
        add("grow", "Grow…").triggered.connect(partial(self._grow, 1))
        add("shrink", "Shrink…").triggered.connect(partial(self._grow, -1))
        add("box_3d", "Make 3-D box from 2-D boxes").triggered.connect(self._box_3d)
        add("delete_boxes", "Delete boxes on this slice").triggered.connect(self._delete_boxes)
        add("overlay", "Show labels", checkable=True).toggled.connect(context.set_overlay_visible)
        add("outline", "Outline only", checkable=True).toggled.connect(context.set_outline)
        add("undo", "Undo").triggered.connect(self.undo)
        add("redo", "Redo").triggered.connect(self.redo)
        self.actions["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        add("save_labels", "Save labels").triggered.connect(autosave.save)
        add("import_labels", "Import labels…").triggered.connect(lambda: files.import_labels())
        add("export_labels", "Export labels…").triggered.connect(lambda: files.export_labels())
        for k in range(1, 10):
            add(f"tag_{k}", f"Tag image as class {k}").triggered.connect(partial(tags.tag_key, k))
        add("untag", "Clear image tag").triggered.connect(tags.untag)
        add("next_untagged", "Next untagged image").triggered.connect(tags.next_untagged)
        tools.changed.connect(self._sync)
        context.display_changed.connect(self._sync)
        context.session_changed.connect(self._bind)
        tags.classes_changed.connect(self._name_tags)
        self._bind(context.session)

    def _add(self, name: str, text: str, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if name in SHORTCUTS:
            action.setShortcut(QKeySequence(SHORTCUTS[name]))
        action.setCheckable(checkable)
        self.actions[name] = action
        return action

    def populate_label_menu(self, menu: QMenu) -> None:
        a = self.actions
        for tool in LabelTool:
            menu.addAction(a[f"tool_{tool.value}"])
        menu.addAction(a["tool_none"])
        menu.addSeparator()
        for name in ("sphere", "radius_up", "radius_down", "flood_3d", "erase_all"):
            menu.addAction(a[name])
        menu.addSeparator()
        for name in ("interpolate", "interpolate_all", "accept_interpolation"):
            menu.addAction(a[name])
        menu.addAction(a["cancel_interpolation"])
        cleanup = menu.addMenu("Clean up active label")
        for name in ("remove_islands", "keep_largest", "fill_holes", "fill_holes_2d", "grow"):
            cleanup.addAction(a[name])
        cleanup.addAction(a["shrink"])
        boxes = menu.addMenu("Boxes")
        boxes.addAction(a["box_3d"])
        boxes.addAction(a["delete_boxes"])
        menu.addSeparator()
        menu.addAction(a["overlay"])
        menu.addAction(a["outline"])
        tags = menu.addMenu("Class tags")
        for name in [f"tag_{k}" for k in range(1, 10)] + ["untag", "next_untagged"]:
            tags.addAction(a[name])

    def _bind(self, session: LabelSession | None) -> None:
        if self._session is not None:
            self._session.history_changed.disconnect(self._sync)
            self._session.proposal_changed.disconnect(self._sync)
        self._session = session
        if session is not None:
            session.history_changed.connect(self._sync)
            session.proposal_changed.connect(self._sync)
        for name, action in self.actions.items():
            action.setEnabled(session is not None or name.startswith("tool_"))
        self._name_tags()
        self._sync()

    def _sync(self, *_args) -> None:
        """Check marks, texts and enabled states from the models."""
        tools, context, session = self._tools, self._context, self._session
        checks = {f"tool_{t.value}": tools.tool is t for t in LabelTool}
        checks.update(sphere=tools.sphere, flood_3d=tools.three_d, erase_all=tools.erase_all)
        checks.update(overlay=context.overlay_visible, outline=context.outline)
        for name, checked in checks.items():
            action = self.actions[name]
            blocked = action.blockSignals(True)
            action.setChecked(checked)
            action.blockSignals(blocked)
        history = session.history if session is not None else None
        undo = history.undo_description if history is not None else None
        redo = history.redo_description if history is not None else None
        self.actions["undo"].setText(f"Undo {undo}" if undo else "Undo")
        self.actions["redo"].setText(f"Redo {redo}" if redo else "Redo")
        self.actions["undo"].setEnabled(undo is not None)
        self.actions["redo"].setEnabled(redo is not None)
        proposed = session is not None and session.proposal is not None
        for name in ("accept_interpolation", "cancel_interpolation"):
            self.actions[name].setEnabled(proposed)

    def _name_tags(self) -> None:
        classes = self._tags.classes()
        for k in range(1, 10):
            action = self.actions[f"tag_{k}"]
            action.setText(
                f"Tag image as '{classes[k - 1]}'" if k <= len(classes) else f"Class {k}"
            )
            action.setVisible(k <= len(classes))

    def _pick_tool(self, tool: LabelTool, checked: bool) -> None:
        if checked:
            self._tools.set_tool(tool)
        elif self._tools.tool is tool:
            self._tools.set_tool(None)

    # Commands.

    def _edit(self, text: str, op, *args, **kwargs) -> None:
        """Run a clean-up op on the active label in a worker; refusals are shown, no-ops
        reported, the result is one undo step."""
        session = self._session
        if session is None:
            return
        snapshot = label_snapshot(session.labelmap)
        worker = label_op_worker(snapshot, op, session.active_value, *args, **kwargs)
        self._jobs.run(text, worker, partial(self._write, text))

    def _write(self, text: str, session: LabelSession, edit) -> None:
        if edit is None:
            self.message.emit(f"{text}: nothing to change")
        else:
            session.apply_result(edit.description, edit)

    def undo(self) -> None:
        if self._session is not None:
            done = self._session.undo()
            self.message.emit(f"Undid {done}" if done else "Nothing to undo")

    def redo(self) -> None:
        if self._session is not None:
            done = self._session.redo()
            self.message.emit(f"Redid {done}" if done else "Nothing to redo")

    def interpolate(self, all_labels: bool = False) -> None:
        """Preview the interpolation of the active label (`all_labels`: of its layer's),
        worked out in a worker."""
        session, state = self._session, self._context.state
        if session is None or state is None:
            return
        label = session.active_label
        values = None if all_labels else [label.value]
        snapshot = label_snapshot(session.labelmap)
        worker = interpolation_worker(snapshot, state.active_plane, label.layer, values)
        self._jobs.run("Interpolate", worker, self._proposed)

    def _proposed(self, session: LabelSession, proposal) -> None:
        session.show_interpolation(proposal)
        if proposal.is_empty:
            self.message.emit("Nothing to interpolate: label two slices with a gap between them")
        else:
            slices = sum(len(v) for v in proposal.filled.values())
            self.message.emit(f"Interpolation preview: {slices} slice(s); Ctrl+Return accepts")

    def _accept(self) -> None:
        session = self._session
        if session is None or session.proposal is None:
            return
        if session.tool_proposal:  # grow from seeds accepts its own
            try:
                session.accept_proposal()
            except ValueError as error:
                self._dialogs.warn("Accept", str(error))
            return
        proposal = session.proposal
        worker = label_op_worker(label_snapshot(session.labelmap), accept_interpolation, proposal)
        self._jobs.run("Interpolate", worker, partial(self._write_interpolation, proposal))

    def _write_interpolation(self, proposal, session: LabelSession, edit) -> None:
        if session.proposal is not proposal:
            self.message.emit("Interpolate: the preview was dropped meanwhile")
            return
        session.show_proposal(None)
        if edit is not None:
            session.apply_result(edit.description, edit)

    def _cancel(self) -> None:
        if self._session is not None:
            self._session.cancel_proposal()

    def _islands(self) -> None:
        size = self._dialogs.number("Remove small islands", "Smaller than (ml):", 0.1, 0, 1e6, 3)
        if size is not None:
            self._edit("Remove small islands", remove_small_islands, min_ml=size)

    def _keep_largest(self) -> None:
        self._edit("Keep largest component", keep_largest_component)

    def _fill(self, per_slice: bool) -> None:
        state = self._context.state
        plane = state.active_plane if per_slice and state is not None else None
        self._edit("Fill holes", fill_holes, plane=plane)

    def _grow(self, sign: int) -> None:
        verb = "Grow" if sign > 0 else "Shrink"
        mm = self._dialogs.number(verb, f"{verb} by (mm):", 1.0, 0.1, 100.0, 1)
        if mm is not None:
            self._edit(verb, grow_shrink, sign * mm)

    def _box_3d(self) -> None:
        session = self._session
        if session is None:
            return
        try:
            session.make_box_3d(session.active_label.name)
        except ValueError as error:
            self._dialogs.warn("3-D box", str(error))

    def _delete_boxes(self) -> None:
        session, state = self._session, self._context.state
        if session is None or state is None:
            return
        plane = state.active_plane
        index = state.slice_index(plane)
        doomed = {
            b.uid
            for b in session.annotations.boxes_2d
            if b.plane is plane and b.slice_index == index
        }
        session.remove_boxes(doomed)
