"""What `medgui train` shows while it trains: a tqdm bar per epoch and a line per epoch and
per message on stderr (rank 0 only), and the run's result at the end."""

from __future__ import annotations

import sys


class _Result:
    """Keeps the run's result and shows nothing (the ranks of a distributed run but the first)."""

    def __init__(self) -> None:
        self.result = None

    def on_finished(self, event) -> None:
        self.result = event.result


class _Progress(_Result):
    """A tqdm bar per epoch and a line per epoch and per message on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.bar = None

    def on_epoch_started(self, event) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=event.n_batches,
            desc=f"epoch {event.epoch}/{event.epochs}",
            unit="batch",
            file=sys.stderr,
            leave=False,
        )

    def on_batch_done(self, event) -> None:
        if self.bar is not None:
            self.bar.total = event.n_batches
            self.bar.set_postfix(loss=f"{event.loss:.4f}", refresh=False)
            self.bar.update(1)

    def on_epoch_done(self, event) -> None:
        from tqdm import tqdm

        if self.bar is not None:
            self.bar.close()
        shown = ", ".join(f"{k} {v:.4g}" for k, v in event.metrics.items())
        star = " *" if event.best else ""
        tqdm.write(f"epoch {event.epoch}: {shown}, lr {event.lr:.3g}{star}", file=sys.stderr)

    def on_message(self, event) -> None:
        from tqdm import tqdm

        tqdm.write(str(event), file=sys.stderr)


def consume(events, show: bool):
    """Drive the trainer, showing its progress when `show`; the run's result."""
    from medgui.ml.training.events import dispatch

    handler = _Progress() if show else _Result()
    for event in events:
        dispatch(event, handler)
    return handler.result
