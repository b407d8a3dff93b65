"""The trainer's typed events and their one dispatch: each event type reaches its handler
method, in a handler and in the CLI's progress; a handler without the method ignores the event;
anything that is no training event raises TypeError."""

from __future__ import annotations

import math

import pytest

from medgui.cli.train_progress import consume as _consume
from medgui.ml.training.events import (
    HANDLERS,
    BatchDone,
    DeviceChosen,
    EpochDone,
    EpochStarted,
    Finished,
    Message,
    SamplesDrawn,
    dispatch,
)

RESULT = object()  # stands for a TrainResult: the consumers only pass it on

EVENTS = [
    DeviceChosen("cpu: no GPU"),
    EpochStarted(epoch=1, epochs=2, batch_size=4, n_batches=3),
    BatchDone(epoch=1, batch=1, n_batches=3, loss=0.75, samples_per_s=10.0),
    EpochDone(epoch=1, metrics={"train_loss": 0.5, "dice": 0.25}, lr=1e-3, best=True, eta_s=3.0),
    Message("training without validation", warning=True),
    SamplesDrawn(epoch=1, grid=[[0, 255]], classes=["a"], per_class=2, side=1),
    Finished(RESULT),
]


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def __getattr__(self, name: str):
        if not name.startswith("on_"):
            raise AttributeError(name)
        return lambda event: self.seen.append((name, event))


def test_every_event_type_reaches_its_own_handler():
    recorder = _Recorder()
    for event in EVENTS:
        dispatch(event, recorder)
    expected = [
        "on_device_chosen", "on_epoch_started", "on_batch_done", "on_epoch_done",
        "on_message", "on_samples_drawn", "on_finished",
    ]  # fmt: skip
    assert recorder.seen == list(zip(expected, EVENTS, strict=True))
    assert set(HANDLERS) == {type(event) for event in EVENTS}  # every type is covered here


def test_a_handler_without_the_method_ignores_the_event():
    class OnlyMessages:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def on_message(self, event: Message) -> str:
            self.texts.append(str(event))
            return "shown"

    handler = OnlyMessages()
    assert [dispatch(event, handler) for event in EVENTS] == [None] * 4 + ["shown", None, None]
    assert handler.texts == ["warning: training without validation"]


def test_anything_else_is_refused():
    class EpochDoneLookalike:  # same fields, not the type: a bug to see, not to skip
        epoch, metrics, lr, best, eta_s = 1, {}, math.nan, False, None

    with pytest.raises(TypeError, match="not a training event: EpochDoneLookalike"):
        dispatch(EpochDoneLookalike(), _Recorder())
    with pytest.raises(TypeError, match="not a training event: dict"):
        _consume([{"type": "epoch"}], show=True)


def test_the_cli_shows_each_event_and_keeps_the_result(capsys):
    assert _consume(EVENTS, show=True) is RESULT
    err = capsys.readouterr().err
    assert "epoch 1: train_loss 0.5, dice 0.25, lr 0.001 *" in err
    assert "warning: training without validation" in err
    assert _consume(EVENTS, show=False) is RESULT
    assert capsys.readouterr().err == ""
