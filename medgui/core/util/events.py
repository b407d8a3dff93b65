"""Plain-Python change notification for the models in `core` (no Qt here, as in napari's
event emitters): widgets subscribe, models emit, nobody polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Callbacks:
    """A list of subscribers, each called with the arguments of `emit`."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Subscribe `callback` (returned, so this works as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Unsubscribe `callback`; ValueError if it was not connected."""
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every subscriber (those connected at the time of the call)."""
        # A copy, so a callback may disconnect itself while being called.
        for callback in list(self._callbacks):
            callback(*args)


def unsubscribe(owner: Any, callback: Callable[..., Any], *_signal_args: Any) -> None:
    """Disconnect `callback` from `owner.events` if it is still connected. Extra arguments are
    ignored, so that this can be connected to a widget's ``destroyed`` signal with `partial`."""
    try:
        owner.events.disconnect(callback)
    except ValueError:
        pass  # already gone
