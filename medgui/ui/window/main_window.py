"""The main window: menus, the series browser and problems docks, the views, the status bar.

Scanning, loading, thumbnails and writing the demo study all run in workers behind a
`StudyJobs`; this window asks it for work, shows its progress with a cancel button, and hands
what its signals deliver to the widgets. Nothing slow runs on the GUI thread.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QWidget,
)

from medgui.core import Scan, Series, Volume
from medgui.core.io.index import data_dir
from medgui.ui.browser.series_browser import SeriesBrowser
from medgui.ui.browser.tag_browser import TagBrowser
from medgui.ui.common.app_context import AppContext
from medgui.ui.common.plot_wheel import wheel_scrolls_docks
from medgui.ui.common.settings import AppSettings
from medgui.ui.common.task_progress import TaskProgress
from medgui.ui.labeling.smart_workbench import SmartLabelWorkbench
from medgui.ui.labeling.workbench import LabelWorkbench
from medgui.ui.measure.context import MeasurementContext, Tool
from medgui.ui.measure.panel import MeasurementPanel
from medgui.ui.models.beat_learning import BeatLearning
from medgui.ui.models.training_workbench import TrainingWorkbench
from medgui.ui.net.archive_workbench import ArchiveWorkbench
from medgui.ui.render3d import make_view3d
from medgui.ui.reporting.export_dialog import ExportWorkbench
from medgui.ui.reporting.report_workbench import ReportWorkbench
from medgui.ui.tables.cases_workbench import CasesWorkbench
from medgui.ui.text.workbench import ReportsWorkbench
from medgui.ui.viewer.cine import CineControls
from medgui.ui.viewer.dicom_overlays import DicomOverlays
from medgui.ui.viewer.slab_control import SlabControl
from medgui.ui.viewer.slice_view import SliceView
from medgui.ui.viewer.view_actions import ViewActions
from medgui.ui.viewer.view_layout import ViewFactory, ViewLayout
from medgui.ui.window.audit_workbench import AuditWorkbench
from medgui.ui.window.compare_actions import CompareActions
from medgui.ui.window.main_thread_gc import collect_on_main_thread
from medgui.ui.window.menus import WindowMenus
from medgui.ui.window.problems_panel import ProblemsPanel
from medgui.ui.window.signal_actions import SignalActions, is_waveform_source
from medgui.ui.window.study_actions import DemoLabels
from medgui.workers.study_jobs import StudyJobs

_BROWSER_WIDTH = 320
# How long closing the window waits for cancelled workers to reach their next cancel point.
_CLOSE_WAIT_MS = 3000


class MainWindow(WindowMenus, QMainWindow):
    """medgui's main window.

    `jobs` (a `StudyJobs`, made here by default) runs the background work; the window only
    asks it for work and reacts to its signals. `view_factory(state, plane)` makes the slice
    views; by default `SliceView`s that share the window's `MeasurementContext` (listed by the
    measurements dock).
    """

    def __init__(
        self,
        settings: AppSettings | None = None,
        *,
        jobs: StudyJobs | None = None,
        view_factory: ViewFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # Workers run Python beside the window: cycles must not be freed on their threads.
        collect_on_main_thread()
        self.setWindowTitle("medgui")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else AppSettings()
        # One measurement context for the window: every view draws into it, the panel lists it.
        self.measurements = MeasurementContext(parent=self)
        factory = view_factory or partial(_slice_view, self.measurements)
        # The 3-D view draws the labels' surfaces: the label workbench exists when it is built.
        view3d = lambda: make_view3d(self.labels.context)  # noqa: E731
        self.view_layout = ViewLayout(factory, self, view3d_factory=view3d)
        self.browser = SeriesBrowser(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser)
        self.problems = ProblemsPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems)
        self.problems.hide()
        self.measurement_panel = MeasurementPanel(self.measurements)
        self.tags = TagBrowser()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.measurement_dock = self._dock("Measurements", self.measurement_panel, right)
        self.tags_dock = self._dock("DICOM tags", self.tags, right)
        self.tabifyDockWidget(self.measurement_dock, self.tags_dock)
        self.measurements.tool_changed.connect(self._on_tool)
        self.measurements.measurements_changed.connect(self._on_measurement)
        self.view_layout.state_changed.connect(self._follow_state)
        self.progress = TaskProgress(self)
        self.slab_control = SlabControl(self.view_layout, self)
        self.dicom_overlays = DicomOverlays(self.view_layout, self)
        self.statusBar().addPermanentWidget(self.slab_control)
        self.cine_controls = CineControls(self.view_layout.cine, self)
        self.statusBar().addPermanentWidget(self.cine_controls)
        self.statusBar().addPermanentWidget(self.progress)
        self.progress.cancel_button.clicked.connect(self.cancel)

        self.scan: Scan | None = None
        self.volume: Volume | None = None

        self.view_actions = ViewActions(self.view_layout, self.settings)
        self.menu_actions: dict[str, QAction] = dict(self.view_actions.actions)
        self._build_menus()
        self.browser.series_activated.connect(self.load)
        self.jobs = jobs = jobs if jobs is not None else StudyJobs()
        jobs.setParent(self)
        # The central area: the image views, or the ECG panel while a waveform record shows.
        self.signals = SignalActions(self, self.view_layout, jobs)
        self.setCentralWidget(self.signals.stack)
        jobs.progress.connect(self.progress.report)
        jobs.busy_changed.connect(self._on_busy)
        jobs.cancelled.connect(self._on_cancelled)
        jobs.failed.connect(self._on_failed)
        jobs.scanned.connect(self._on_scanned)
        jobs.thumbnail.connect(self.browser.set_thumbnail)
        jobs.volume_opened.connect(self._on_volume_opened)
        jobs.slices_landed.connect(self._on_slices)
        jobs.volume_loaded.connect(self._on_loaded)
        self.view_layout.layout_changed.connect(self.settings.set_layout)
        self._restore()
        # What every workbench is given: they never reach into this window or into each other.
        self.app_context = app = AppContext(
            self,
            settings=self.settings,
            jobs=jobs,
            measurements=self.measurements,
            view_layout=self.view_layout,
            menu_actions=self.menu_actions,
            right_dock=self.measurement_dock,
            scan=lambda: self.scan,
        )
        # Labels, boxes and class tags: their docks, menus, views' overlays and autosave.
        self.labels = app.labels = LabelWorkbench(app)
        self.demo_labels = DemoLabels(self)  # after the workbench: its session opens first
        # Training, model versions, inference and the proposal layer.
        self.training = app.training = TrainingWorkbench(app)
        # ECG beats: train from the record on show, its live preview, "Label the rest".
        self.beat_learning = BeatLearning(self.training, self.signals.panel)
        self.exports = ExportWorkbench(app)  # File → Export…: SEG, SR, de-identified copy
        # Key images, File → Report… and its dialog.
        self.reports = ReportWorkbench(app)
        self.audit = AuditWorkbench(app)  # the workspace's audit log and its viewer
        self.report_text = ReportsWorkbench(app)  # imported reports, findings, tags from text
        self.training.trained.connect(self.report_text.refresh_model)  # a new report model
        self.compare = CompareActions(app)  # View → Compare: a prior or another series beside
        self.compare.populate(app.menu_holding("reset"))
        self.compare.measuring.connect(self.measurement_panel.set_context)
        self.archive = ArchiveWorkbench(app)  # the PACS: query, retrieve, send (File menu)
        self.exports.exported.connect(self.archive.set_last_export)  # "Send last export"
        # Grow from seeds and propagation of labelled slices (Label menu).
        self.smart_labels = SmartLabelWorkbench(app)
        self.smart_labels.proposed.connect(self.training.show_proposal)
        self.cases = CasesWorkbench(app)  # the case table, the table model and its results
        wheel_scrolls_docks(self)  # the wheel over a dock's plot scrolls the dock

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", ""))  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _on_tool(self, tool: Tool) -> None:
        if tool is not Tool.NAVIGATE:
            self.show_measurements()

    def _on_measurement(self, action: str, _measurement) -> None:
        if action == "added":
            self.show_measurements()

    def show_measurements(self) -> None:
        """Show the measurements dock (it opens by itself when the user starts measuring)."""
        self.measurement_dock.show()
        self.measurement_dock.raise_()

    def _follow_state(self, state) -> None:
        self.tags.follow(self.view_layout.volume, state)

    def _restore(self) -> None:
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if state is not None:
            self.restoreState(state)
        else:
            # The image gets the room until the user measures or asks for the tags.
            self.measurement_dock.hide()
            self.tags_dock.hide()
            self.resizeDocks([self.browser], [_BROWSER_WIDTH], Qt.Orientation.Horizontal)
        self.view_layout.set_layout(self.settings.layout())

    @property
    def busy(self) -> bool:
        """Whether a scan, demo or load job is running."""
        return self.jobs.busy

    def open_path(self, path: str | Path) -> None:
        """Scan `path` (file, folder or DICOMDIR) in a worker, list what it holds, and load it
        when it holds one image series."""
        path = Path(path)
        self.settings.add_recent(path)
        self.settings.set_last_folder(path if path.is_dir() else path.parent)
        self.jobs.scan(path)

    def open_demo(self) -> None:
        """Open the demo study, writing it into the data folder the first time; its organs
        show as its labels."""
        folder = data_dir() / "demo"
        self.demo_labels.expect(folder / "labels.nii.gz")
        if (folder / "labels.json").is_file() and (folder / "dicom").is_dir():
            self.open_path(folder / "dicom")
        else:
            self.jobs.demo(folder)

    def load(self, source: Series | str | Path) -> None:
        """Load a series (or a path holding one) in a worker; the first slice shows at once.
        A waveform record (DICOM ECG, WFDB, EDF) is read in a worker and shown as an ECG."""
        if is_waveform_source(source):
            self.jobs.load_signal(source)
        else:
            self.jobs.load(source)

    def cancel(self) -> None:
        """Stop the running job; a load that already showed slices clears the views."""
        self.jobs.cancel()

    def _on_busy(self, busy: bool) -> None:
        if not busy:
            self.progress.end()

    def _on_cancelled(self, opened: bool) -> None:
        if opened:
            # A half-loaded volume is not left on screen as if it were complete.
            self.view_layout.set_volume(None)
            self.volume = None
        self.statusBar().showMessage("Cancelled", 3000)

    def _on_failed(self, source: str, reason: str) -> None:
        self.problems.add_load_error(source, reason)
        self.statusBar().showMessage(f"Failed: {reason}", 10000)
        self._show_nothing(f"Cannot open {Path(source).name}: {reason}")

    def _show_nothing(self, message: str) -> None:
        """Clear the views and title, saying why: no image of the last patient stays on show."""
        self.signals.show_images()
        self.view_layout.show_message(message)
        self.volume = None
        self.setWindowTitle("medgui")

    def _on_scanned(self, path: Path, scan: Scan) -> None:
        self.scan = scan
        self.browser.set_scan(scan)
        self.problems.set_scan_errors(scan.errors)
        images = [s for s in scan.image_series if "#part" not in s.uid] or scan.image_series
        waveforms = [s for s in scan.series if s.kind == "waveform"]
        n, bad = len(scan.image_series), len(scan.errors)
        records = f", {len(waveforms)} waveform(s)" if waveforms else ""
        problems = f", {bad} problem file(s)" if bad else ""
        self.statusBar().showMessage(f"{path.name}: {n} image series{records}{problems}", 8000)
        shown = self.volume.metadata.get("SeriesInstanceUID") if self.volume else None
        if len(images) == 1:
            self.load(images[0])
        elif not images and len(waveforms) == 1:
            self.load(waveforms[0])  # an ECG file or record opened by itself
        elif not images:
            kinds = ", ".join(sorted({s.kind for s in scan.series})) or "no readable file"
            unreadable = f"; {bad} file(s) cannot be read (see Problems)" if bad else ""
            self._show_nothing(f"No image to show in {path.name} ({kinds}){unreadable}")
        elif shown and not any(s.uid.startswith(str(shown)) for s in images):
            self._show_nothing("Choose a series in the browser")  # another study's series

    def _on_volume_opened(self, volume: Volume) -> None:
        # Geometry is final from the first slice: the views open now and fill in as slices land.
        self.volume = volume
        self.view_layout.set_volume(volume, progressive=True)

    def _on_slices(self, slices: tuple) -> None:
        for k in slices:
            self.view_layout.slice_updated(k)
        self.measurements.slices_landed(self.view_layout.volume, slices)

    def _on_loaded(self, volume: Volume, name: str, path: str, seconds: float) -> None:
        self.volume = volume
        self.view_layout.volume_complete(volume)
        self.problems.set_volume_warnings(path, volume.warnings)
        z, y, x = volume.shape_zyx
        spacing = " × ".join(f"{s:.3g}" for s in volume.spacing_mm)
        self.statusBar().showMessage(
            f"Loaded {name}: {x}×{y}×{z}, {spacing} mm in {seconds:.1f} s", 10000
        )
        meta = volume.metadata
        title = " — ".join(
            str(v) for v in (meta.get("PatientName"), meta.get("SeriesDescription")) if v
        )
        self.setWindowTitle(f"medgui — {title}" if title else "medgui")

    # Drag and drop.

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.labels.close()  # autosaves unsaved labels
        self.training.close()  # training stops within a batch
        self.reports.close()
        self.smart_labels.close()  # propagation stops within a batch
        self.cases.close()
        self.signals.image_only.bring_back()  # a record's hidden docks are not saved hidden
        self.archive.close()  # a retrieve stops at its next instance, keeping what arrived
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.jobs.shutdown()
        self.view_layout.cine.stop()
        # Workers stop at their next cancel point; waiting here means none outlives the window.
        QThreadPool.globalInstance().waitForDone(_CLOSE_WAIT_MS)
        super().closeEvent(event)


def _slice_view(measurements: MeasurementContext, state, plane) -> SliceView:
    return SliceView(state, plane, measurements=measurements)


def _dropped_path(mime) -> Path | None:
    """The path to open for dropped URLs: the one local file or folder, or the folder that
    holds several dropped files."""
    paths = (
        [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
    )
    paths = [p for p in paths if p.exists()]
    if not paths:
        return None
    if len(paths) == 1:
        return paths[0]
    parents = {p if p.is_dir() else p.parent for p in paths}
    return parents.pop() if len(parents) == 1 else paths[0]
