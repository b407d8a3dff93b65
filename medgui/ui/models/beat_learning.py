"""The learning loop for ECG beats in the main window: label a few minutes, train, the model
labels the rest, review, retrain.

While a record shows, the Training dock's Start with the beats task trains from the
workspace's beat labels (`ml.signals`: each record's labelled span); after each epoch the
model of the moment finds the beats of the page on show (`BeatPreview`), drawn as grey ghost
marks that follow the page as it scrolls. Model → "Label the rest of the record" runs the
active beats model over the whole record in the Models dock's job (progress, Cancel); the
beats it finds where no labelled beat lies within 150 ms become the PROPOSAL (orange marks);
"Accept beat proposal" adds them to the record's `BeatSession` as one undo step (saved like
any edit), "Reject beat proposal" drops them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from medgui.core.signals.beat_proposal import BeatProposal, accept, propose
from medgui.ui.common.dock_actions import add_menu_actions
from medgui.ui.signals.beat_proposal_layer import BeatMarks
from medgui.ui.signals.ecg_panel import EcgPanel
from medgui.workers.beat_workers import label_rest_worker
from medgui.workers.train_worker import TrainRequest

# Not named "label_…": that prefix is the image label actions, put aside while a record shows.
ACTIONS = {  # name: (menu text, shortcut)
    "beats_rest": ("Label the rest of the &record", "Ctrl+Shift+B"),
    "accept_beats": ("Accept &beat proposal", "Ctrl+Shift+Return"),
    "reject_beats": ("Reject beat pr&oposal", "Ctrl+Shift+Backspace"),
}


class BeatLearning(QObject):
    """The beats part of `training` (the `TrainingWorkbench`) for the records `panel` shows."""

    def __init__(self, training, panel: EcgPanel) -> None:
        super().__init__(training)
        self.training, self.panel = training, panel
        self.marks: BeatMarks | None = None
        self.proposal: BeatProposal | None = None
        training.signal_training = self
        training.beat_preview.connect(self._on_preview)
        panel.record_shown.connect(self._on_record)
        training.app.jobs.volume_opened.connect(self._on_images)
        slots = {"beats_rest": self.label_rest, "accept_beats": self.accept,
                 "reject_beats": self.reject}  # fmt: skip
        training.menu.addSeparator()
        entries = {name: (text, slots[name], key) for name, (text, key) in ACTIONS.items()}
        self.actions = add_menu_actions(training.menu, training.app.menu_actions, entries)
        self._enable()

    @property
    def session(self):
        return self.panel.session

    def _live_marks(self) -> BeatMarks | None:
        """The marks of the view on show (None once the record has gone: its view with it)."""
        marks = self.marks
        return marks if marks is not None and marks.view is self.panel.view else None

    def _say(self, text: str) -> None:
        self.training.app.say(text)

    def _enable(self) -> None:
        self.actions["beats_rest"].setEnabled(self.session is not None)
        for name in ("accept_beats", "reject_beats"):
            self.actions[name].setEnabled(self.proposal is not None)

    # The record on show.

    def _on_record(self) -> None:
        view = self.panel.view
        if self.proposal is not None:  # the last record's proposal and its line go with it
            self.reject()
        self.marks = BeatMarks(view)
        view.paper_changed.connect(self._follow_page)
        self.session.events.connect(self._on_session_event)
        panel = self.training.panel
        if not self.training.training:  # a record on show: the beats task is what trains
            panel.task.setCurrentIndex(panel.task.findData("beats"))
        self._show_counts()
        self._enable()

    def _on_images(self, _volume) -> None:
        panel = self.training.panel
        if not self.training.training and panel.task.currentData() == "beats":
            panel.task.setCurrentIndex(panel.task.findData("segment"))  # images train again
        if self.proposal is not None:  # its record has gone
            self.reject()
        self._enable()

    def _on_session_event(self, name: str) -> None:
        if name == "beats_changed":
            self._show_counts()

    def _show_counts(self) -> None:
        if self.session is None or self.training.panel.task.currentData() != "beats":
            return
        symbols = [b.symbol for b in self.session.beats]
        counts = sorted({s: symbols.count(s) for s in symbols}.items(), key=lambda i: -i[1])
        self.training.panel.set_labels([f"{s}: {n} labelled beats" for s, n in counts])

    def page_samples(self) -> tuple[int, int] | None:
        """The samples of the record on the page on show, or None without one."""
        view = self.panel.view
        if view is None or view.signal is None:
            return None
        fs, paper = view.signal.fs_hz, view.paper
        start = max(0, int(paper.start_s * fs))
        return start, min(view.signal.n_samples, int((paper.start_s + paper.page_s) * fs) + 1)

    def _follow_page(self) -> None:
        request = self.training.request
        if request is not None and request.signal is not None:
            request.preview_samples = self.page_samples()  # the next epoch's preview

    # Training.

    def train_request(self, config: dict, resume: bool) -> TrainRequest:
        """The request of a beats run: the workspace's beat labels train; the page on show
        (if a record shows) gets the model's beats after each epoch."""
        if self._live_marks() is not None:
            self.marks.clear("preview")
        signal = self.session.signal if self.session is not None else None
        return TrainRequest(
            dict(config), self.training.workspace_root, resume=resume, signal=signal,
            preview_samples=self.page_samples() if signal is not None else None,
        )  # fmt: skip

    def _on_preview(self, preview) -> None:
        session = self.session
        if self._live_marks() is None or session.signal.source != preview.source:
            return  # another record opened meanwhile
        if self.proposal is None:  # a proposal on show is not hidden by the run's ghosts
            self.marks.set_marks("preview", preview.samples, preview.symbols)

    # Label the rest.

    def label_rest(self) -> None:
        """Find the whole record's beats with the active beats model: the proposal."""
        if self.session is None:
            self._say("Label the rest: open an ECG record first")
            return
        worker = label_rest_worker(self.training.workspace_root, self.session.signal)
        self.training.start_job(worker, "Labelling the rest of the record…", self._on_found)

    def _on_found(self, found) -> None:
        session = self.session
        if found is None or session is None or session.signal.source != found.source:
            return  # cancelled, or another record opened meanwhile
        self.proposal = propose(session, found.samples, found.symbols, found.model)
        if not self.proposal.beats:  # nothing to accept: say so, offer no empty proposal
            self.reject()
            self._say(f"{found.model} finds no beat that is not labelled already")
            return
        self.marks.clear("preview")
        self.marks.set_marks(
            "proposal", [b.sample for b in self.proposal.beats],
            [b.symbol for b in self.proposal.beats],
        )  # fmt: skip
        counts = ", ".join(f"{s} {n}" for s, n in self.proposal.counts().items()) or "none"
        self.training.model_panel.status.setText(
            f"{found.model} proposes {len(self.proposal.beats)} beats ({counts}): "
            "Model → Accept beat proposal (Ctrl+Shift+Return) or Reject"
        )
        self._enable()

    def accept(self) -> int:
        """Add the proposal's beats to the record's labels (one undo step); how many."""
        if self.proposal is None or self.session is None:
            return 0
        added = accept(self.session, self.proposal)
        self.reject()
        self._say(f"Accepted {added} proposed beats: Ctrl+Z over the ECG takes them back")
        return added

    def reject(self) -> None:
        """Drop the proposal."""
        self.proposal = None
        if self._live_marks() is not None:
            self.marks.clear("proposal")
        self.training.model_panel.status.setText("")
        self._enable()
