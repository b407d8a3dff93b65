"""The window stays responsive while a model trains in it.

Opens the demo CT (80 × 256 × 256) in the real main window (offscreen), imports its labels, and
starts a short training from the Training panel's Start button, as a user would. A 5 ms QTimer
runs throughout; the longest gap between its ticks is the longest the event loop was blocked
(the issue's bar: no stall the user feels, i.e. well under 100 ms). The same timer is measured
for one second before training as the idle baseline. Training runs twice: the first ("cold")
is the first training of a fresh process, the second ("warm") is what every later run costs.

The window loads torch and MONAI in the background when the Training (or Models) dock is first
shown (`ml_warmup`); that stretch is measured on its own ("warm_up": from opening the dock until
the warm-up thread is done, the window idle) so its cost is reported, not hidden. `--no-warm-up`
turns it off: the first training then imports torch itself (the baseline for the cold run).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_train_ui.py [--epochs N]
     [--options JSON] [--no-warm-up]
Prints a table, then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from medgui.core.workspace.demo import write_demo_study  # noqa: E402
from medgui.ui.common.settings import AppSettings  # noqa: E402
from medgui.ui.window.main_window import MainWindow  # noqa: E402
from medgui.workers import ml_warmup  # noqa: E402

TICK_MS = 5
DEFAULT_OPTIONS = '{"patch_size": 128, "channels": [16, 32, 64], "res_units": 1}'


class GapMeter:
    """Gaps between the ticks of a `TICK_MS` timer (ms) while recording."""

    def __init__(self) -> None:
        self.timer = QTimer(interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last: float | None = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps, self._last = [], None
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def wait_until(app: QApplication, predicate, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.002)


def summary(gaps: list[float]) -> dict[str, float]:
    ordered = sorted(gaps) or [0.0]
    return {
        "ticks": len(gaps),
        "max_gap_ms": round(ordered[-1], 2),
        "p99_gap_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "median_gap_ms": round(statistics.median(ordered), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--options", default=DEFAULT_OPTIONS, help="task options (JSON)")
    parser.add_argument("--no-warm-up", action="store_true", help="no background torch import")
    args = parser.parse_args()
    if args.no_warm_up:
        os.environ[ml_warmup.NO_WARM_UP] = "1"
    already = "torch" in sys.modules
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        study = write_demo_study(tmp / "demo")
        settings = AppSettings(QSettings(str(tmp / "medgui.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings)
        window.resize(1400, 900)
        meter = GapMeter()
        window.show()
        window.labels.set_workspace(tmp / "workspace")
        window.open_path(study.dicom_dir)
        wait_until(app, lambda: not window.busy and window.labels.context.session, 120)
        session = window.labels.context.session
        window.labels.files.import_labels(study.labels_path)
        wait_until(app, lambda: session.labelmap.layers[0].any(), 60)
        training = window.training
        panel = training.panel
        panel.epochs.setValue(args.epochs)
        panel.batch_size.setValue(args.batch_size)
        panel.options.setText(args.options)
        # Opening the Training dock starts the warm-up (the series has loaded by now).
        meter.start()
        started = time.perf_counter()
        window.menu_actions["training_dock"].trigger()
        thread = None if args.no_warm_up else ml_warmup.start_warm_up()  # the one the dock began
        wait_until(app, lambda: thread is None or not thread.is_alive(), 300)
        warm_up = (time.perf_counter() - started, meter.stop())

        meter.start()
        end = time.monotonic() + 1.0
        wait_until(app, lambda: time.monotonic() > end, 5)
        idle = meter.stop()

        runs = {}
        for name in ("cold", "warm"):
            meter.start()
            started = time.perf_counter()
            panel.start_button.click()
            wait_until(app, lambda: not training.training, 1800)
            runs[name] = (time.perf_counter() - started, meter.stop())
        log = panel.log.toPlainText()
        window.close()
        app.processEvents()
    failed = "training failed" in log
    result = {
        "benchmark": "train_ui",
        "ml_warm_up": not args.no_warm_up,
        "epochs": args.epochs,
        "options": json.loads(args.options),
        "device": panel.device_label.text().removeprefix("Device: "),
        "train_seconds": {name: round(run[0], 2) for name, run in runs.items()},
        "ok": not failed and not already,
        "warm_up": {"seconds": round(warm_up[0], 2), **summary(warm_up[1])},
        "idle": summary(idle),
        "training_cold": summary(runs["cold"][1]),
        "training_warm": summary(runs["warm"][1]),
    }
    print(f"{'':14}{'ticks':>8}{'max ms':>10}{'p99 ms':>10}{'median ms':>11}")
    for name in ("warm_up", "idle", "training_cold", "training_warm"):
        s = result[name]
        print(
            f"{name:14}{s['ticks']:8d}{s['max_gap_ms']:10.1f}{s['p99_gap_ms']:10.1f}"
            f"{s['median_gap_ms']:11.1f}"
        )
    cold, warm = runs["cold"][0], runs["warm"][0]
    print(f"training: {cold:.1f} s cold, {warm:.1f} s warm, on {result['device']}")
    if failed:
        print(log, file=sys.stderr)
    if already:
        print("torch was imported before the window: the cold run is not cold", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
