"""UI test fixtures: headless Qt, settings in a temporary file, generated DICOM series.

`view_factory` is None (the window makes real `SliceView`s) when the slice view exists and
otherwise a minimal stand-in with the same interface, so these tests never wait on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPixmap  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from medgui.core import Volume  # noqa: E402
from medgui.core.dicom.write import SeriesInfo, write_dicom_series  # noqa: E402
from medgui.core.image.reformat import Plane, extract_slice  # noqa: E402
from medgui.core.image.viewer_state import ViewerState  # noqa: E402
from medgui.core.image.windowing import window_to_uint8  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"


class StandInView(QLabel):
    """The `SliceView` interface in its simplest form: shows the plane's slice, windowed."""

    def __init__(self, state: ViewerState, plane: Plane, parent=None) -> None:
        super().__init__(parent)
        self.state, self.plane = state, plane
        self.volume: Volume | None = None
        self.updates: list[int] = []
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(64, 64)
        self.setStyleSheet("background: black;")
        state.events.connect(lambda name, value: self._render())

    def set_volume(self, volume: Volume | None) -> None:
        self.volume = volume
        self._render()

    def slice_updated(self, k: int) -> None:
        self.updates.append(k)
        self._render()

    def _render(self) -> None:
        if self.volume is None:
            self.clear()
            return
        window = self.state.window
        # A copy: the loader may be writing this slice right now, and the window's lookup
        # table must see the same values it was sized for.
        image = np.array(extract_slice(self.volume, self.plane, self.state.slice_index(self.plane)))
        grey = np.ascontiguousarray(window_to_uint8(image, window.center, window.width))
        qimage = QImage(
            grey.data, grey.shape[1], grey.shape[0], grey.shape[1], QImage.Format.Format_Grayscale8
        )
        self.setPixmap(QPixmap.fromImage(qimage.copy()))


def _slice_view_exists() -> bool:
    try:
        import medgui.ui.viewer.slice_view  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def stand_in_view():
    """The stand-in view class (records `slice_updated` calls in `.updates`)."""
    return StandInView


@pytest.fixture
def view_factory():
    """None (the window's own, real SliceView) when it exists, else the stand-in."""
    return None if _slice_view_exists() else StandInView


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, qapp):
    """QSettings in an INI file under tmp_path, never the user's real settings."""
    qapp.setOrganizationName("medgui-tests")
    qapp.setApplicationName("medgui-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    yield


@pytest.fixture(autouse=True)
def _no_worker_outlives_a_test(qapp):
    """Workers run in Qt's global pool: a test ends only when they are all done."""
    yield
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10_000), "a worker did not stop"


def _ct(shape_zyx=(12, 48, 40), seed=0) -> Volume:
    """A small CT-like volume: a bright ellipse in air, different on every slice."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[: shape_zyx[0], : shape_zyx[1], : shape_zyx[2]]
    inside = ((y - shape_zyx[1] / 2) / (shape_zyx[1] / 3)) ** 2 + (
        (x - shape_zyx[2] / 2) / (shape_zyx[2] / 3)
    ) ** 2 < 1
    array = np.where(inside, 40 + 10 * z, -1000).astype(np.int16)
    array += rng.integers(-5, 5, size=array.shape, dtype=np.int16)
    return Volume(array, spacing_mm=(0.8, 0.8, 2.0), metadata={"Modality": "CT"})


@pytest.fixture(scope="session")
def series_folder(tmp_path_factory) -> Path:
    """A folder with two small CT series of one patient and study."""
    root = tmp_path_factory.mktemp("study")
    study_uid = "1.2.826.0.1.3680043.8.498.1"
    for number, description in ((1, "Axial thin"), (2, "Axial thick")):
        info = SeriesInfo(
            patient_name="Test^Patient",
            patient_id="T-1",
            study_instance_uid=study_uid,
            study_description="UI test study",
            series_description=description,
            series_number=number,
        )
        write_dicom_series(_ct(seed=number), root / f"series{number}", info=info)
    return root


@pytest.fixture(scope="session")
def single_series(tmp_path_factory) -> Path:
    """A folder holding exactly one small CT series."""
    root = tmp_path_factory.mktemp("single")
    write_dicom_series(_ct((20, 40, 40)), root, info=SeriesInfo(series_description="Single"))
    return root


@pytest.fixture(scope="session")
def folder_with_bad_file(tmp_path_factory) -> Path:
    """One good series plus a file that is not DICOM and a truncated DICOM file."""
    root = tmp_path_factory.mktemp("bad")
    paths = write_dicom_series(
        _ct((6, 32, 32)), root / "good", info=SeriesInfo(series_description="Good")
    )
    (root / "notes.txt").write_text("not an image\n")
    (root / "broken.dcm").write_bytes(paths[0].read_bytes()[:300])
    return root


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory):
    from medgui.core.workspace.demo import write_demo_study

    return write_demo_study(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def artifacts() -> Path:
    """tests/ui/artifacts/: screenshots to look at (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def settings(tmp_path):
    from medgui.ui.common.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "medgui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def new_window(qtbot, view_factory):
    """new_window(settings): a real MainWindow with real workers, closed after the test."""
    from medgui.ui.window.main_window import MainWindow

    def make(settings):
        win = MainWindow(settings, view_factory=view_factory)
        qtbot.addWidget(win)
        return win

    return make


@pytest.fixture
def window(qtbot, settings, new_window):
    """The real main window, shown offscreen."""
    win = new_window(settings)
    win.resize(1200, 800)
    win.show()
    return win


@pytest.fixture
def wait_idle(qtbot):
    """wait_idle(window): wait until the window's scan/load job is over."""

    def wait(win, timeout=15_000) -> None:
        qtbot.waitUntil(lambda: not win.busy, timeout=timeout)

    return wait


@pytest.fixture
def wait_drawn(qtbot):
    """wait_drawn(layout): wait until the views on show are drawn: the three-plane split has
    shared out its space (a turn of the event loop after the views show: axial three fifths of
    the width) and no view has a render pending. What a screenshot or a click needs."""

    def shared(layout) -> bool:
        if layout.layout_name != "3":
            return True
        axial, side = layout.views[Plane.AXIAL], layout.views[Plane.CORONAL]
        # Axial 3/5 and side 2/5 of the width, give or take the splitter's handle.
        return side.width() > 0 and abs(2 * axial.width() - 3 * side.width()) <= 24

    def drawn(layout) -> bool:
        views = layout.visible_views().values()
        return shared(layout) and all(
            v.isVisible() and not getattr(v, "render_pending", False) for v in views
        )

    def wait(layout, timeout=5_000) -> None:
        qtbot.waitUntil(lambda: drawn(layout), timeout=timeout)

    return wait


@pytest.fixture
def wait_shown(qtbot, wait_idle):
    """wait_shown(window, timeout=10_000): wait until a volume is on show in the window and
    its scan/load job is over (after open_path, open_demo, a series double-clicked...)."""

    def wait(win, timeout=10_000) -> None:
        qtbot.waitUntil(lambda: win.view_layout.volume is not None, timeout=timeout)
        wait_idle(win, timeout=timeout)

    return wait


class SlowLoads:
    """What `slow_loads` saw: the slices that landed, and whether the loader was closed."""

    def __init__(self) -> None:
        self.landed: list[int] = []
        self.closed = False


@pytest.fixture
def slow_loads(monkeypatch):
    """slow_loads(delay_s): every slice of every load takes `delay_s` more to land (so that a
    cancel or quit comes mid-load); returns the `SlowLoads` record."""
    import time

    from medgui.workers import load_worker

    real = load_worker.iter_load

    def install(delay_s: float) -> SlowLoads:
        record = SlowLoads()

        def slow(source):
            try:
                for progress in real(source):
                    time.sleep(delay_s)  # the slow disk being simulated, not a wait
                    record.landed.append(progress.slice_index)
                    yield progress
            finally:
                record.closed = True

        monkeypatch.setattr(load_worker, "iter_load", slow)
        return record

    return install


@pytest.fixture
def dialogs():
    """Scripted answers to every question the window asks (`ScriptedDialogs`)."""
    from label_testing import ScriptedDialogs

    return ScriptedDialogs()


@pytest.fixture
def lab(qtbot, window, single_series, wait_idle, dialogs):
    """The window with the single series open, labelled and focused (`Labelled`)."""
    from label_testing import open_labelled

    return open_labelled(qtbot, window, single_series, wait_idle, dialogs)


@pytest.fixture
def labelled_demo(qtbot, window, demo_study, wait_idle, tmp_path):
    """The demo CT open with its labels imported, in a workspace under tmp_path."""
    from label_testing import open_demo_labelled

    return open_demo_labelled(qtbot, window, demo_study, wait_idle, tmp_path / "workspace")


@pytest.fixture
def dab(qtbot):
    """dab(lab, row=20, col=20, radius=3.0): the brush (P) of `radius` mm clicked once at
    (row, col) of the lab's view, and the view and overlay drawn."""
    from label_testing import K
    from view_testing import at, click

    def paint(lab, row=20, col=20, radius=3.0) -> None:
        qtbot.keyClick(lab.view, K.Key_P)
        lab.bench.tools.set_radius(radius)
        click(lab.view, at(lab.view, row, col))
        lab.flush()

    return paint
