"""`LabelSession` is the Qt face of the core `SessionModel`: it relays every model event as its
signal (with the event's arguments) and reads and writes the model's state."""

from __future__ import annotations

import numpy as np

from medgui.core.image.volume import Volume
from medgui.ui.labeling.session import LabelSession


def volume() -> Volume:
    return Volume(np.zeros((4, 6, 7), np.int16), (1.0, 1.0, 2.0))


def test_the_session_relays_the_models_events_as_signals(qtbot):
    session = LabelSession(volume(), "series-1")
    model = session.model
    heard: list = []
    for name in model.RESET_EVENTS:
        getattr(session, name).connect(lambda *args, name=name: heard.append((name, *args)))
    label = model.add_label("Liver")  # the model alone: the signals still come
    assert heard == [("table_changed",), ("edited",), ("active_changed", label.value)]
    heard.clear()
    with model.history.edit(
        model.labelmap, 0, "Paint", (slice(1, 2), slice(0, 3), slice(2, 4))
    ) as r:
        r.view[...] = label.value
    assert heard == [
        ("voxels_changed", 0, (slice(1, 2), slice(0, 3), slice(2, 4))),
        ("history_changed",),
        ("edited",),
    ]
    with qtbot.waitSignal(session.annotations_changed, timeout=1000):
        session.tag(None, "normal")
    assert model.annotations.tags.get(None) == "normal"


def test_the_session_reads_and_writes_the_models_state():
    session = LabelSession(volume())
    other = volume()
    session.volume = other  # a loading series' volume fills in
    session.stroking = True
    assert session.model.volume is other and session.model.stroking
    assert session.undo() is None  # the model's rule: no undo while a stroke is drawn
    session.model.replace(None)
    assert session.labelmap is session.model.labelmap
    assert session.active_value == session.model.active_value == session.active_label.value
