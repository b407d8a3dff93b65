"""`medgui selftest`: prove that this installation works, end to end, in about a minute.

Offscreen, in a temporary data folder and settings file (the user's own are never touched), it
opens the demo study in the real main window, renders each view layout, paints a label through
the label session and its undo history, runs one training step and one inference on the device
training would use, writes a report (PDF and HTML) of the demo study with a key image, its label
and the self-test's model, and prints one line per check: ``PASS  name  0.42 s`` or
``FAIL  name  0.42 s: reason``. The exit status is 1 when any check fails.

Checks are small functions registered in order with `@check("name")`; each gets the shared
`SelfTest` context (the window, the loaded volume, the trained model) and returns a short detail
for its line, or raises to fail. A later check that needs what an earlier one failed to make
fails too, saying so. Like cli.py this is a composition root: it may use ui, workers and ml.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from medgui.cli import selftest_ml

# How long the slow steps may take before their check fails (a 2-core laptop, CPU torch).
_LOAD_TIMEOUT_S = 120.0
_POLL_S = 0.005
_MIN_VIEW_PX = 100  # a view narrower than this is not laid out yet


@dataclass(frozen=True)
class Check:
    """One named check: `run(selftest)` returns a detail for the line or raises to fail."""

    name: str
    run: Callable[[SelfTest], str | None]


CHECKS: list[Check] = []


def check(name: str) -> Callable[[Callable[[SelfTest], str | None]], Callable]:
    """Register the decorated function as the check `name`, after those registered before."""

    def register(function: Callable[[SelfTest], str | None]) -> Callable:
        CHECKS.append(Check(name, function))
        return function

    return register


@dataclass
class SelfTest:
    """What the checks share: the temporary folder and what earlier checks made."""

    root: Path
    window: Any = None  # the MainWindow
    volume: Any = None  # the demo Volume, once loaded
    model_dir: Path | None = None
    device: str = ""
    images: dict[str, Path] = field(default_factory=dict)

    def needs(self, name: str) -> Any:
        """The attribute `name`, or a clear failure when an earlier check did not make it."""
        value = getattr(self, name)
        if value is None:
            raise RuntimeError(f"needs the {name.replace('_', ' ')} of an earlier check")
        return value


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the Qt event loop until `predicate()` is true; TimeoutError naming `what` after
    `timeout_s` seconds."""
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout_s:.0f} s")
        QCoreApplication.processEvents()
        time.sleep(_POLL_S)


# -- the checks, in the order they run ---------------------------------------------------------


@check("main window")
def _main_window(st: SelfTest) -> str:
    from PySide6.QtCore import QSettings

    from medgui.ui.common.settings import AppSettings
    from medgui.ui.window.main_window import MainWindow

    settings = AppSettings(QSettings(str(st.root / "settings.ini"), QSettings.Format.IniFormat))
    st.window = window = MainWindow(settings)
    window.resize(1200, 800)
    window.show()
    wait_until(window.isVisible, 10, "visible window")
    return f"{len(window.menu_actions)} menu actions"


@check("demo study")
def _demo_study(st: SelfTest) -> str:
    from medgui.core.workspace.demo import SHAPE_ZYX

    window = st.needs("window")
    failures: list[str] = []
    window.jobs.failed.connect(lambda source, reason: failures.append(f"{source}: {reason}"))
    window.open_demo()

    def loaded() -> bool:
        if failures:
            raise RuntimeError(failures[0])
        return not window.busy and window.volume is not None

    wait_until(loaded, _LOAD_TIMEOUT_S, "demo volume")
    volume = window.volume
    if volume.shape_zyx != SHAPE_ZYX:
        raise RuntimeError(f"the demo volume is {volume.shape_zyx}, expected {SHAPE_ZYX}")
    st.volume = volume
    return "×".join(str(n) for n in reversed(volume.shape_zyx))


def grey_pixels(image) -> np.ndarray:
    """A QImage as a 2-D uint8 array of its grey values."""
    from PySide6.QtGui import QImage

    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), np.uint8, grey.bytesPerLine() * grey.height())
    return rows.reshape(grey.height(), grey.bytesPerLine())[:, : grey.width()].copy()


def _is_blank(pixels: np.ndarray) -> bool:
    # A rendered CT slice has hundreds of grey levels; an empty view has a background and at
    # most a few text colours.
    return pixels.size == 0 or len(np.unique(pixels)) < 32 or float(pixels.std()) < 5.0


def _render_layout(st: SelfTest, layout: str) -> str:
    window = st.needs("window")
    st.needs("volume")
    views = window.view_layout
    views.set_layout(layout)

    def arranged() -> bool:
        # Splitters share out the space and hidden views get the volume on later event-loop
        # turns: a view grabbed before then is rightly blank.
        shown = views.visible_views().values()
        return views.layout_name == layout and all(
            v.volume is st.volume and min(v.width(), v.height()) >= _MIN_VIEW_PX for v in shown
        )

    wait_until(arranged, 10, f"views of layout {layout} with the volume")
    shown = views.visible_views()
    blank = []
    for plane, view in shown.items():
        pixels = grey_pixels(view.render_to_image())
        if _is_blank(pixels):
            blank.append(plane.value)
    path = st.root / f"layout-{layout}.png"
    if not views.grab().save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the PNG")
    st.images[layout] = path
    if blank:
        raise RuntimeError(f"blank view(s): {', '.join(blank)}")
    if len(shown) != int(layout):
        raise RuntimeError(f"layout {layout} shows {len(shown)} view(s)")
    return ", ".join(plane.value for plane in shown)


@check("layout 1")
def _layout_one(st: SelfTest) -> str:
    return _render_layout(st, "1")


@check("layout 3")
def _layout_three(st: SelfTest) -> str:
    return _render_layout(st, "3")


@check("paint label")
def _paint_label(st: SelfTest) -> str:
    from medgui.core.image.reformat import extract_slice
    from medgui.core.labels.ops import brush

    window = st.needs("window")
    st.needs("volume")
    context = window.labels.context
    wait_until(lambda: context.session is not None, 10, "label session")
    session = context.session
    # A label of its own on a layer of its own: the study may open labelled (the demo does), and
    # a brush on a voxel that already holds the active label changes nothing.
    session.add_label("selftest", layer=len(session.labelmap.layers))
    value = session.active_value
    plane = window.view_layout.state.active_plane
    index = window.view_layout.state.slice_index(plane)
    layer = session.labelmap.layers[session.active_label.layer]
    before = layer.copy()
    rows, cols = extract_slice(st.volume, plane, index).shape[:2]
    brush(session.labelmap, session.history, value, plane, index, (rows / 2, cols / 2), 5.0)
    painted = int(np.count_nonzero(layer != before))
    if painted == 0:
        raise RuntimeError("the brush changed no voxel")
    session.undo()
    if not np.array_equal(layer, before):
        raise RuntimeError("undo did not restore the label map")
    session.redo()
    if int(np.count_nonzero(layer != before)) != painted:
        raise RuntimeError("redo did not repaint the brush")
    return f"{painted} voxels of label {value}, undo and redo"


check("training step")(selftest_ml.training_step)
check("inference")(selftest_ml.inference)


@check("report")
def _report(st: SelfTest) -> str:
    from medgui.core.annotations.key_images import KeyImage
    from medgui.ml.models.card import read_card
    from medgui.reports.build import build_report
    from medgui.reports.report_model import RESEARCH_ONLY
    from medgui.reports.write import write_report
    from medgui.ui.labeling.persistence import snapshot

    window, model_dir = st.needs("window"), st.needs("model_dir")
    session = st.needs("volume") and window.labels.context.session
    state = window.view_layout.state
    plane = state.active_plane
    # The slice on show as a key image, the window's labels and the self-test's own model.
    work = snapshot(session, [])
    key = KeyImage(
        plane=plane,
        slice_index=state.slice_index(plane),
        center=state.window.center,
        width=state.window.width,
    )
    work.annotations["key_images"] = [key.to_json()]
    card = read_card(Path(model_dir) / "card.json")
    report = build_report(window.volume, work, cards=[card], findings="medgui self-test")
    if not report.key_images or report.labels is None or not report.models:
        raise RuntimeError("the report lacks its key image, label table or model section")
    path = write_report(report, st.root / "selftest-report.pdf")
    data = path.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise RuntimeError(f"{path}: not a complete PDF")
    html = write_report(report, st.root / "selftest-report.html").read_text(encoding="utf-8")
    if RESEARCH_ONLY not in html:
        raise RuntimeError("the research-use statement is missing from the report")
    return f"PDF {len(data) // 1024} KB, {len(report.key_images)} key image"


# -- running them --------------------------------------------------------------------------------


@contextmanager
def _isolated_data_dir(folder: Path) -> Iterator[None]:
    """MEDGUI_DATA_DIR set to `folder` for the block (demo study, workspace, scan index)."""
    before = os.environ.get("MEDGUI_DATA_DIR")
    os.environ["MEDGUI_DATA_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MEDGUI_DATA_DIR", None)
        else:
            os.environ["MEDGUI_DATA_DIR"] = before


def _close(st: SelfTest) -> None:
    from PySide6.QtCore import QCoreApplication, QThreadPool

    if st.window is not None:
        st.window.close()
        st.window.deleteLater()
        QThreadPool.globalInstance().waitForDone(10_000)
        QCoreApplication.processEvents()
        st.window = None


def run_selftest(
    checks: Sequence[Check] | None = None,
    out: TextIO | None = None,
    keep: str | Path | None = None,
) -> int:
    """Run `checks` (default: every registered one) in order, print a PASS/FAIL line for each
    to `out` (default stdout), and return the exit status: 0 when all pass, else 1. `keep`: a
    folder to write the temporary data into and leave (renders, model) instead of deleting it."""
    from PySide6.QtWidgets import QApplication

    from medgui.app import create_application

    out = out or sys.stdout
    checks = list(CHECKS if checks is None else checks)
    if QApplication.instance() is None:
        create_application()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="medgui-selftest-") as scratch:
        root = Path(keep) if keep else Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        st = SelfTest(root / "data")
        st.root.mkdir(exist_ok=True)
        with _isolated_data_dir(st.root):
            try:
                for item in checks:
                    started = time.perf_counter()
                    try:
                        detail = item.run(st)
                    # A self-test reports every failure, whatever it is, and goes on.
                    except Exception as error:  # noqa: BLE001
                        failed += 1
                        reason = str(error) or type(error).__name__
                        line = f"FAIL  {item.name}  {time.perf_counter() - started:.2f} s: {reason}"
                    else:
                        line = f"PASS  {item.name}  {time.perf_counter() - started:.2f} s"
                        line += f"  ({detail})" if detail else ""
                    print(line, file=out, flush=True)
            finally:
                _close(st)
    verdict = "all passed" if not failed else f"{failed} failed"
    print(f"selftest: {len(checks)} checks, {verdict}", file=out, flush=True)
    return 1 if failed else 0


def _cmd_selftest(args) -> int:
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        # Offscreen even on a desktop: nothing flashes on screen, and it runs over ssh.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return run_selftest(keep=args.keep)


def add_commands(sub) -> None:
    """Add `selftest` to the `medgui` sub-command parsers."""
    p = sub.add_parser(
        "selftest",
        help="check this installation: demo study, views, labels, training, inference",
    )
    p.add_argument("--keep", metavar="DIR", help="keep the renders and model in DIR")
    p.set_defaults(func=_cmd_selftest)
