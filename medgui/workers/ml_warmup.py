"""Loading torch and MONAI once the window is up, so the first training does not stall it.

Importing torch in a worker thread still freezes the event loop: the dynamic loader maps and
relocates libtorch (hundreds of MB) inside `dlopen`, which Python's import calls holding the
GIL, for well over 100 ms. Here the same libraries are first opened through ctypes, which
releases the GIL around the foreign call: the loading happens while the window goes on, and
the import that follows finds them already in memory. The rest of the import (Python code)
lets the GIL go every switch interval. The collector's full passes (which scan the whole heap
holding the GIL) are held off while the modules import, and what they leave is frozen out of
later passes. Then one tiny optimiser step runs: torch imports its compiler stack (dynamo,
sympy: hundreds of modules) lazily on the first `Adam(...)`, which the first training would
otherwise pay for.

`warm_up_when_shown(docks, jobs)` starts this on a background thread the first time one of the
model docks is shown and no series is loading (once per process; not at all when the
environment sets ``MEDGUI_NO_ML_WARM_UP=1``, e.g. to measure without it); `warm_up()` is the
step itself, usable from any thread. Not at window start: the warm-up's own stalls (tens of ms)
would land in the first seconds of reading, while the first series loads.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject

from medgui.core.util.collection import freeze_once, paused_collection

# Imported in this order: torch, then MONAI and the modules the first training needs.
MODULES = (
    "torch",
    "torch._dynamo",
    "monai",
    "medgui.ml.training.trainer",
    "medgui.ml.training.checkpoint",
    "medgui.ml.segmentation",
    "medgui.ml.segmentation.infer",
    "medgui.ml.classification",
)

NO_WARM_UP = "MEDGUI_NO_ML_WARM_UP"
_lock = threading.Lock()
_started: threading.Thread | None = None


def torch_libraries() -> list[Path]:
    """torch's shared libraries in the order to open them: its global dependencies, then the
    extension module (which pulls in libtorch and c10); [] when torch is not installed."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent
    found = [folder / "lib" / "libtorch_global_deps.so"]
    found += sorted(folder.glob("_C.*.so"))
    return [path for path in found if path.is_file()]


def _open_without_gil(path: Path, flags: int) -> bool:
    """dlopen `path` through ctypes (the GIL is released during the call); False if it failed
    (the import that follows then loads it itself, and reports any real error)."""
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return False
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, (ctypes.c_char_p, ctypes.c_int)
    return bool(dlopen(os.fsencode(path), flags))


def warm_up() -> list[str]:
    """Open torch's libraries without the GIL, then import `MODULES`; returns the modules
    imported (an import error is left to the training, which reports it)."""
    for path in torch_libraries():
        # As torch does: its global deps RTLD_GLOBAL, the extension as Python would open it.
        flags = os.RTLD_NOW | (os.RTLD_GLOBAL if "global_deps" in path.name else 0)
        _open_without_gil(path, flags)
    imported = []
    # No collection while importing: everything the imports make lives for good, and is
    # frozen out of later passes before collection resumes.
    with paused_collection():
        try:
            for name in MODULES:
                try:
                    importlib.import_module(name)
                except ImportError:
                    break
                imported.append(name)
            if imported == list(MODULES):
                _first_step()
        finally:
            freeze_once()
    return imported


def _first_step() -> None:
    """One optimiser step of a tiny network on the CPU: what torch sets up on first use."""
    import torch

    network = torch.nn.Conv2d(1, 2, 3)
    optimizer = torch.optim.Adam(network.parameters(), 1e-3)
    network(torch.zeros(1, 1, 8, 8)).mean().backward()
    optimizer.step()


def start_warm_up() -> threading.Thread:
    """Run `warm_up` on a background thread, once per process (the thread, started)."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(target=warm_up, name="ml-warm-up")
            _started.start()
        return _started


class _FirstShow(QObject):
    """Starts the warm-up on the first Show event of a watched widget, or, while `jobs` is
    busy (a series loading), as soon as it is not: libtorch's import competing with the loader
    for the GIL would stall the viewer while the first slices come in."""

    def __init__(self, parent: QObject, jobs=None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._watched: list[QObject] = []

    def watch(self, widget: QObject) -> None:
        self._watched.append(widget)
        widget.installEventFilter(self)

    def fire(self) -> None:
        for widget in self._watched:
            widget.removeEventFilter(self)
        self._watched = []
        if self._jobs is not None and self._jobs.busy:
            self._jobs.busy_changed.connect(self._when_idle)
            return
        start_warm_up()

    def _when_idle(self, busy: bool) -> None:
        if not busy:
            self._jobs.busy_changed.disconnect(self._when_idle)
            start_warm_up()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.fire()
        return False


def warm_up_when_shown(widgets, jobs=None) -> None:
    """Start the warm-up when one of `widgets` is first shown (at once if one is visible
    already), after the running job of `jobs` (a `StudyJobs`) when one runs. medgui passes the
    Training and Models docks: the user opening them is about to need torch, and a window that
    only reads images never pays for it."""
    if os.environ.get(NO_WARM_UP, "") not in ("", "0"):
        return
    widgets = list(widgets)
    trigger = _FirstShow(widgets[0], jobs)
    if any(widget.isVisible() for widget in widgets):
        trigger.fire()
        return
    for widget in widgets:
        trigger.watch(widget)
