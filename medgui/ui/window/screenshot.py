"""Render the views of a volume to a PNG without a display (`medgui view --screenshot`).

The same widgets as the GUI draw the image, so a screenshot documents what a user sees and a
test can check the rendered pixels against the window/level formula.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice, Qt, QTimer
from PySide6.QtWidgets import QApplication

from medgui.core.annotations.store import series_key
from medgui.core.image.slab import DEFAULT_SLAB_MM, check_projection, check_thickness
from medgui.core.image.viewer_state import LAYOUTS
from medgui.core.image.windowing import CT_PRESETS
from medgui.core.labels.io import load_with_labels
from medgui.core.signals.ecg_layout import EcgPaper
from medgui.core.signals.waveform_files import is_waveform_path, load_signal
from medgui.core.util.atomic import atomic_write_bytes
from medgui.core.workspace.store import SeriesWork, Workspace
from medgui.ui.common.theme import apply_dark_theme
from medgui.ui.labeling.overlay import LabelOverlay
from medgui.ui.labeling.persistence import session_from_work
from medgui.ui.labeling.session import LabelContext, LabelSession
from medgui.ui.labeling.tools import LabelTools
from medgui.ui.render3d import VOLUME_MODES, make_view3d
from medgui.ui.reporting.key_image_marks import KeyImageMarks
from medgui.ui.signals.ecg_view import EcgView
from medgui.ui.viewer.dicom_overlays import DicomOverlays
from medgui.ui.viewer.view_layout import ViewFactory, ViewLayout

# Views may coalesce renders on short timers; this is comfortably longer than any of them.
_SETTLE_MS = 150


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        # Headless unless the caller chose a platform: a screenshot needs no display.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
        apply_dark_theme(app)
    return app


def _settle(ms: int = _SETTLE_MS) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _show_labels(
    views: ViewLayout, volume, labelmap, context: LabelContext, work: SeriesWork | None
) -> None:
    """Draw `labelmap` (else the labels of the series' saved `work`) over every slice view (and
    as surfaces in a 3-D view), and mark its key images, as the labeling workbench does."""
    tools = LabelTools(views)
    session = LabelSession(volume, labelmap=labelmap, parent=views)
    if work is not None:
        session_from_work(session, work)
        if labelmap is not None:  # a map given (or beside the series) wins over the saved one
            session.replace(labelmap)
    context.set_session(session, views.state)
    for view in views.views.values():
        if hasattr(view, "slice_group"):  # a stand-in view has nothing to draw on
            LabelOverlay(view, context, tools)


def render_screenshot(
    path: str | Path,
    out_png: str | Path,
    slice: int | None = None,  # noqa: A002 - the CLI's option name
    preset: str | None = None,
    window: float | None = None,
    level: float | None = None,
    layout: str = "1",
    size: tuple[int, int] = (1024, 768),
    *,
    view_factory: ViewFactory | None = None,
    series: str | None = None,
    labels: str | Path | None = None,
    ecg_layout: str = "3x4+II",
    slab_mm: float | None = None,
    projection: str | None = None,
    render3d: str | None = None,
    workspace: str | Path | None = None,
) -> Path:
    """Load `path` (a series folder, DICOM file or NIfTI/NRRD/MHA file), show it as the viewer
    would, and save the views as a PNG of `size` (width, height) pixels; returns the PNG path.

    `slice` is the slice index of the plane on show (the acquisition plane; default the middle
    one). The window is `preset` (a CT preset name, see `CT_PRESETS`), or `window` (width) and
    `level` (centre) together, or by default the one the viewer opens with. `layout` is "1"
    (one view), "3" (axial, coronal, sagittal), "3d" (the 3-D view) or "4" (both). Bad options
    raise ValueError naming them.
    `series` picks one series of a folder (UID, number or description); the label map `labels`,
    or else one lying beside the series on its grid, is drawn over it. `projection` ("mip",
    "minip", "mean") shows thick slabs of `slab_mm` (10 mm by default; a slab alone is a MIP).
    `render3d` is the 3-D view's volume rendering ("bone", "soft tissue", "vessels", "mip").
    The series' saved work in the medgui `workspace` folder, if any, is drawn as the window
    draws it: its labels (unless `labels` or a map beside it is found) and its key images
    marked. A DICOM series' overlay planes (60xx) are drawn over its acquired slices.

    A waveform (`is_waveform_path`: WFDB, EDF, DICOM waveform) is drawn as ECG paper in
    `ecg_layout` instead; the image options do not apply to it.
    """
    if is_waveform_path(path):
        return render_ecg_screenshot(path, out_png, size=size, layout=ecg_layout)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if preset is not None and (window is not None or level is not None):
        raise ValueError("give either a preset or --window/--level, not both")
    if (window is None) != (level is None):
        raise ValueError("--window and --level go together")
    if preset is not None and preset.lower() not in CT_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(CT_PRESETS)}")
    if window is not None and window < 1:
        raise ValueError(f"window width must be at least 1, got {window}")
    width, height = (int(n) for n in size)
    if width < 16 or height < 16:
        raise ValueError(f"size must be at least 16×16 pixels, got {width}×{height}")
    if slab_mm is not None:
        check_thickness(slab_mm)
        projection = projection or "mip"
    if projection is not None:
        check_projection(projection)
    if render3d is not None and layout not in ("3d", "4"):
        raise ValueError("a volume rendering needs the 3-D view: --layout 3d or 4")
    if render3d is not None and render3d not in VOLUME_MODES:
        raise ValueError(f"volume rendering must be one of {', '.join(VOLUME_MODES)}")

    _application()
    volume, labelmap = load_with_labels(path, series=series, labels=labels)
    work = Workspace(workspace).load_series(series_key(volume)) if workspace else None
    # Made first: a 3-D view is built with the layout and follows the context's session.
    context = LabelContext()
    views = ViewLayout(view_factory, view3d_factory=partial(make_view3d, context))
    context.setParent(views)
    overlays = DicomOverlays(views, views)  # before the volume: it reads them as it is set
    KeyImageMarks(context, views, views)
    views.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    views.resize(width, height)
    views.set_layout(layout)
    views.set_volume(volume)
    if labelmap is not None or work is not None:
        _show_labels(views, volume, labelmap, context, work)
    state = views.state
    if slice is not None:
        plane = state.active_plane
        count = state.n_slices(plane)
        if not 0 <= slice < count:
            raise ValueError(f"slice {slice} is outside 0..{count - 1} ({plane.value})")
        state.set_slice(plane, slice)
    if preset is not None:
        chosen = CT_PRESETS[preset.lower()]
        state.set_window(chosen.center, chosen.width)
    elif window is not None:
        state.set_window(level, window)
    if projection is not None:
        state.set_slab_mm(slab_mm or DEFAULT_SLAB_MM)
        state.set_projection(projection)
    if render3d is not None:
        views.view3d.set_mode(render3d)
    while overlays.pending:
        _settle(20)
    views.show()
    return _save_grab(views, out_png)


def render_ecg_screenshot(
    path: str | Path,
    out_png: str | Path,
    size: tuple[int, int] = (1024, 768),
    layout: str = "3x4+II",
) -> Path:
    """Read the waveform at `path` and save it drawn on ECG paper (`EcgView`) as a PNG."""
    paper = EcgPaper(layout=layout)
    width, height = (int(n) for n in size)
    if width < 16 or height < 16:
        raise ValueError(f"size must be at least 16×16 pixels, got {width}×{height}")
    _application()
    view = EcgView(paper)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    view.resize(width, height)
    view.set_signal(load_signal(path))
    view.show()
    return _save_grab(view, out_png)


def _save_grab(widget, out_png: str | Path) -> Path:
    """Let `widget` settle, grab it and write the PNG atomically; the widget is closed."""
    _settle()
    views = list(getattr(widget, "visible_views", dict)().values())
    view3d = getattr(widget, "view3d", None)
    if view3d is not None and view3d.isVisible():
        views.append(view3d)
    # A big slab, the label surfaces are made in workers: wait for them rather than grab the
    # views before them.
    while any(getattr(view, "render_pending", False) for view in views):
        _settle(20)
    QApplication.processEvents()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Encoded in memory, then written atomically: Qt's own file save leaves a cut PNG behind
    # on a full disk; this fails naming the file and leaves nothing.
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    encoded = widget.grab().save(buffer, "PNG")
    buffer.close()
    widget.close()
    widget.deleteLater()
    if not encoded:
        raise OSError(f"{out}: could not encode the PNG")
    return atomic_write_bytes(out, data.data())
