"""Training and running models in the main window: one object that builds the Training and
Models docks and the Model menu, starts the workers, and draws the model's proposal on every
`SliceView` (as `LabelWorkbench` does for labels).

Training data are the workspace's saved label maps: Start saves the series on show first. After
each epoch the model of the moment segments the axial slice on show, drawn as the proposal
layer, so the user sees the model learn. "Run model on this series" segments the whole series
with the active registry version; Accept all / Accept label write the proposal into the label
map as one undoable edit; Reject drops it.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from medgui.core.image.reformat import normal_axis, plane_for_axis
from medgui.core.labels.labelmap import LabelTable
from medgui.ui.browser.series_ranking import SeriesRanking
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.dock_actions import add_menu_actions, dock_action, scrolled
from medgui.ui.labeling.persistence import snapshot
from medgui.ui.models.classify_panel import ClassifyController
from medgui.ui.models.gallery import GalleryController
from medgui.ui.models.model_panel import ModelPanel
from medgui.ui.models.proposal_layer import ProposalLayer, ProposalModel
from medgui.ui.models.training_panel import TrainingPanel
from medgui.workers.infer_worker import (
    segment_worker,
    set_active_worker,
    uncertain_slices_worker,
    versions_worker,
)
from medgui.workers.label_workers import label_op_worker, label_snapshot, write_proposal
from medgui.workers.ml_warmup import warm_up_when_shown
from medgui.workers.train_worker import (
    BeatPreview,
    SlicePreview,
    Trained,
    TrainRequest,
    can_resume,
    dispatch,
    train_worker,
)

MODEL_NAME = "segment"


class TrainingWorkbench(QObject):
    """The training and model part of the application (`app`, with its `labels`)."""

    beat_preview = Signal(object)  # a `BeatPreview` of the run: the beats layer draws it
    trained = Signal(object)  # the `Trained` version a run saved (and made active)

    def __init__(self, app: AppContext) -> None:
        super().__init__(app.shell)
        self.app = app
        self.labels = app.labels
        self.panel = TrainingPanel()
        self.model_panel = ModelPanel()
        self.proposal = ProposalModel(self)
        self.layers: dict = {}
        self._views: dict = {}
        self.trainer = None  # the training worker while it runs
        self.job = None  # the inference / ranking worker while it runs
        self.request: TrainRequest | None = None
        self.visited: set[int] = set()  # slices "Next most uncertain" has shown
        self._session = None
        # What makes the beats task's requests (the ECG record on show): `BeatLearning`.
        self.signal_training = None
        self.series_ranking = SeriesRanking(self, app, MODEL_NAME)
        self._build_docks()
        self._build_menu()
        self.classifier = ClassifyController(self)  # "Classify this slice" and its heat map
        self.gallery = GalleryController(self)  # the GAN's generated images
        p, m = self.panel, self.model_panel
        p.start_requested.connect(self.start)
        p.cancel_requested.connect(self.cancel_training)
        m.set_active_requested.connect(self.set_active)
        m.run_requested.connect(self.run_model)
        m.cancel_requested.connect(self.cancel_job)
        m.accept_all_requested.connect(lambda: self.accept())
        m.accept_label_requested.connect(lambda value: self.accept([value]))
        m.reject_requested.connect(self.reject)
        m.uncertain_requested.connect(self.next_uncertain)
        m.threshold_changed.connect(self.proposal.set_threshold)
        m.contours_changed.connect(self.proposal.set_contours)
        self.labels.context.session_changed.connect(self._on_session)
        app.view_layout.state_changed.connect(self._attach)
        # The versions are read when the Models dock is shown (not at start: no torch then).
        self.model_dock.visibilityChanged.connect(lambda shown: shown and self.refresh_versions())
        self._on_session(self.labels.context.session)
        self.panel.task.currentIndexChanged.connect(
            lambda _i: self.panel.set_running(self.training, can_resume=self._can_resume())
        )
        self.panel.set_running(False, can_resume=self._can_resume())
        # torch and MONAI load when a model dock first shows (and no series loads), not on Start.
        warm_up_when_shown((self.train_dock, self.model_dock), app.jobs)

    @property
    def workspace_root(self):
        return self.labels.workspace.root

    @property
    def training(self) -> bool:
        return self.trainer is not None

    def _can_resume(self) -> bool:
        """Whether the task chosen in the dock has a checkpoint to resume."""
        return can_resume(self.workspace_root, self.panel.task.currentData() or MODEL_NAME)

    # Building.

    def _build_docks(self) -> None:
        entries = [("Training", scrolled(self.panel)), ("Models", scrolled(self.model_panel))]
        self.train_dock, self.model_dock = self.app.add_docks(entries, self.labels.label_dock)

    def _build_menu(self) -> None:
        window, actions_by_name = self.app.shell, self.app.menu_actions
        bar = window.menuBar()
        menu = QMenu("&Model", window)
        for dock, key in ((self.train_dock, "Ctrl+Shift+T"), (self.model_dock, "Ctrl+Shift+U")):
            menu.addAction(dock_action(dock, key))
        menu.addSeparator()
        actions = {
            "run_model": ("&Run model on this series", self.run_model),
            "next_uncertain": ("&Next most uncertain slice", self.next_uncertain),
            "next_uncertain_series": ("Next most uncertain &series", self.series_ranking.start),
            "accept_proposal": ("&Accept proposal", self.accept),
            "reject_proposal": ("Re&ject proposal", self.reject),
        }
        add_menu_actions(menu, actions_by_name, actions)
        actions_by_name["training_dock"] = self.train_dock.toggleViewAction()
        actions_by_name["models_dock"] = self.model_dock.toggleViewAction()
        help_menu = self.app.menu_holding("about")
        bar.insertMenu(help_menu.menuAction(), menu)
        self.menu = menu

    def _attach(self, *_args) -> None:
        views = dict(self.app.view_layout.views)
        if views == self._views:
            return
        self._views = views
        self.layers = {
            plane: ProposalLayer(view, self.proposal)
            for plane, view in views.items()
            if hasattr(view, "slice_group")
        }

    def _on_session(self, session) -> None:
        old, self._session = self._session, session
        if old is not None:
            old.table_changed.disconnect(self._show_labels)
        if session is not None:
            session.table_changed.connect(self._show_labels)
        self._show_labels()
        volume = session.volume if session is not None else None
        shape = tuple(self.proposal.shape_zyx or ())
        if volume is None or tuple(volume.shape_zyx) != shape:
            self.reject()
        self.visited.clear()

    def _show_labels(self) -> None:
        session = self._session
        labels = session.labelmap.table.labels if session is not None else []
        self.panel.set_labels([f"{lb.value} {lb.name}" for lb in labels])

    def axial_index(self, volume) -> int:
        """The z index on show (the axial view's slice), or the middle slice."""
        state = self.labels.context.state
        plane = plane_for_axis(volume, 2)
        if state is not None and normal_axis(volume, plane) == 2:
            return int(state.slice_index(plane))
        return volume.shape_zyx[0] // 2

    # Training.

    def start(self, config: dict, resume: bool = False) -> None:
        """Train as `config` (a `TrainConfig` as JSON) says; `resume` continues the last run."""
        if self.training:
            return
        if config.get("task") == "beats" and self.signal_training is not None:
            request = self.signal_training.train_request(config, resume)  # the ECG on show
        else:
            try:
                request = self._image_request(config, resume)
            except ValueError as error:  # the unlabelled images asked for are not there
                self.panel.show_warning(str(error))
                return
        self.request = request
        worker = train_worker(request)
        worker.yielded.connect(self._on_update)
        worker.returned.connect(self._on_trained)
        worker.errored.connect(self._on_train_error)
        worker.finished.connect(lambda: self._train_over(worker))
        self.trainer = worker
        self.panel.reset(keep_history=resume)
        self.panel.set_running(True, can_resume=False)
        self.panel.add_message("resuming" if resume else "training started")
        self.train_dock.show()
        worker.start()

    def _image_request(self, config: dict, resume: bool) -> TrainRequest:
        """A run on the saved label maps: the series on show is saved first and previewed;
        classification's unlabelled images as the dock says (ValueError: not there)."""
        session = self.labels.context.session
        unlabelled = self.panel.unlabelled(session.key if session is not None else None)
        work = volume = k = None
        if session is not None:
            key = session.key
            measurements = [m.to_dict() for m in self.app.measurements.store.list(key)]
            work = snapshot(session, measurements)
            volume, k = session.volume, self.axial_index(session.volume)
        return TrainRequest(
            dict(config), self.workspace_root, work, volume, k, resume, unlabelled=unlabelled
        )

    def cancel_training(self) -> None:
        if self.trainer is not None:
            self.panel.add_message("cancelling…")
            self.trainer.quit()

    def _on_update(self, update) -> None:
        if isinstance(update, BeatPreview):
            self.beat_preview.emit(update)
            return
        if isinstance(update, SlicePreview):
            volume = self.app.view_layout.volume
            if volume is not None and self.proposal.proposal is None:
                self.proposal.set_preview(update, tuple(volume.shape_zyx))
            return
        dispatch(update, self.panel)  # a training event: the panel shows it
        if self.request is not None and self.request.volume is not None:
            # Follow the slice on show: the next epoch's preview is of the slice seen now.
            self.request.preview_slice = self.axial_index(self.request.volume)

    def _on_trained(self, result) -> None:
        if isinstance(result, Trained):
            self.panel.add_message(f"saved {result.version_id} (active)")
            self.app.say(f"Model {result.version_id} trained and made active")
            self.refresh_versions()
            self.trained.emit(result)

    def _on_train_error(self, error: Exception) -> None:
        self.panel.add_message(f"training failed: {error}")
        self.panel.show_warning(f"Training failed: {error}")
        self.app.say(f"Training failed: {error}")

    def _train_over(self, worker) -> None:
        if worker is not self.trainer:
            return
        self.trainer = None
        self.request = None
        self.panel.set_running(False, can_resume=self._can_resume())
        if self.proposal.proposal is None:
            self.proposal.clear()  # the training preview goes with the run

    # Versions.

    def refresh_versions(self) -> None:
        worker = versions_worker(self.workspace_root)
        worker.returned.connect(self.model_panel.set_versions)
        worker.errored.connect(lambda error: self.app.say(f"Model versions: {error}"))
        worker.start()
        self.panel.set_running(self.training, can_resume=self._can_resume())

    def set_active(self, name: str, number: int) -> None:
        """Make version `number` of model `name` the one its task runs."""
        worker = set_active_worker(self.workspace_root, name, number)
        worker.returned.connect(lambda _n: self.refresh_versions())
        worker.errored.connect(lambda error: self.app.say(f"Set active: {error}"))
        worker.start()

    # Inference and review.

    def start_job(self, worker, text: str, on_result) -> None:
        """Run `worker` as the Models dock's job; `on_result` gets its result."""
        if self.job is not None:
            return
        self.job = worker
        worker.progressed.connect(self.model_panel.report)
        worker.returned.connect(on_result)
        worker.errored.connect(self._on_job_error)
        worker.finished.connect(lambda: self._job_over(worker))
        self.model_panel.set_busy(True, text)
        self.model_dock.show()
        worker.start()

    def run_model(self) -> None:
        """Segment the series on show with the active model; the result becomes the proposal."""
        volume = self.app.view_layout.volume
        if volume is None or self.job is not None:
            return
        worker = segment_worker(self.workspace_root, volume, MODEL_NAME)
        self.start_job(worker, "Running the model…", self._on_proposal)

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.quit()

    def _on_job_error(self, error: Exception) -> None:
        self.model_panel.status.setText(f"Failed: {error}")
        self.app.say(str(error))

    def _job_over(self, worker) -> None:
        if worker is self.job:
            self.job = None
            self.model_panel.set_busy(False)
            if worker.abort_requested:  # a cancelled worker returns nothing
                self.model_panel.status.setText("Cancelled")

    def _on_proposal(self, proposal) -> None:
        if proposal is None:
            self.model_panel.status.setText("Cancelled")
            return
        volume = self.app.view_layout.volume
        if volume is None or tuple(volume.shape_zyx) != tuple(proposal.probabilities.shape[1:]):
            return  # another series opened meanwhile
        name, version = proposal.model.get("name", ""), proposal.model.get("version", "")
        self.show_proposal(proposal, f"Proposal of {name} v{version}")

    def show_proposal(self, proposal, description: str) -> None:
        """Show `proposal` (a model's, a propagation's) to be accepted, edited or rejected."""
        self.proposal.set_proposal(proposal)
        self.model_panel.set_proposal([(lb.value, lb.name) for lb in proposal.table.labels])
        self.model_panel.status.setText(description)
        self.model_dock.show()

    def accept(self, values: list[int] | None = None) -> bool:
        """Write the proposal (all labels, or `values`) at the threshold into the label map, in
        a worker; the new labels' rows and the voxels are one undo step, and the proposal is
        dropped once they are written. False if there is nothing to accept (or a label job
        runs)."""
        session, proposal = self.labels.context.session, self.proposal.proposal
        if session is None or proposal is None or not session.labelmap.matches(proposal.labels):
            return False
        table = LabelTable.from_json(session.labelmap.table.to_json())
        known = {lb.value for lb in table.labels}
        for label in proposal.table.labels:
            if label.value not in known and (values is None or label.value in values):
                table.labels.append(dataclasses.replace(label, layer=0))
        what = "all labels" if values is None else f"label {', '.join(map(str, values))}"
        description = f"Accept model proposal ({what})"
        worker = label_op_worker(
            label_snapshot(session.labelmap), write_proposal, proposal,
            self.proposal.threshold, values, description,
        )  # fmt: skip
        return self.labels.jobs.run(
            "Accept model proposal", worker, partial(self._accepted, proposal, table, description)
        )

    def _accepted(self, proposal, table, description: str, session, edit) -> None:
        session.apply_result(description, edit, table)
        if self.proposal.proposal is proposal:
            self.reject()
        self.app.say(f"{description}: Ctrl+Z undoes it")

    def reject(self) -> None:
        """Drop the proposal."""
        self.proposal.clear()
        self.model_panel.set_proposal(None)

    def next_uncertain(self) -> None:
        """Rank the slices of the series on show by the active model's uncertainty and go to the
        most uncertain one not shown yet."""
        volume = self.app.view_layout.volume
        if volume is None or self.job is not None:
            return
        worker = uncertain_slices_worker(
            self.workspace_root, volume, self.proposal.proposal, MODEL_NAME
        )
        self.start_job(worker, "Ranking slices by uncertainty…", self._on_ranking)

    def _on_ranking(self, ranking) -> None:
        volume, state = self.app.view_layout.volume, self.labels.context.state
        if not ranking or volume is None or state is None:
            return
        choice = next(((k, h) for k, h in ranking if k not in self.visited), None)
        if choice is None:
            self.visited.clear()
            choice = ranking[0]
        k, nats = int(choice[0]), float(choice[1])
        self.visited.add(k)
        state.set_slice(plane_for_axis(volume, 2), k)
        entropies = np.asarray([h for _k, h in ranking])
        self.model_panel.status.setText(
            f"Slice {k + 1}: mean entropy {nats:.3f} nats (series mean {entropies.mean():.3f})"
        )

    def close(self) -> None:
        """Stop the workers (the window is closing)."""
        for worker in (self.trainer, self.job):
            if worker is not None:
                worker.quit()
