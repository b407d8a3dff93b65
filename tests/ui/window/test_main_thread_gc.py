"""Cycle collection runs on the GUI thread only: a worker allocating past CPython's threshold
no longer frees the GUI's Qt objects on its own thread (the cause of a timer-event segfault)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from medgui.ui.window.main_thread_gc import collect_on_main_thread, uninstall


@pytest.fixture
def collector(qapp):
    uninstall()
    yield collect_on_main_thread(qapp)
    uninstall()


class _Cycle:
    def __init__(self) -> None:
        self.qobject = QObject()
        self.me = self


def test_a_worker_never_collects_and_the_gui_thread_does(qtbot, collector):
    collections = []

    def record(phase, info):
        if phase == "stop":
            collections.append(threading.current_thread())

    cycle = _Cycle()
    freed = weakref.ref(cycle)
    del cycle
    kept = []
    gc.callbacks.append(record)
    try:
        # Tens of thousands of live containers: far past the 700 that start a collection.
        worker = threading.Thread(target=lambda: kept.extend([] for _ in range(50_000)))
        worker.start()
        worker.join()
        assert collections == [] and freed() is not None  # the worker did not collect
        qtbot.waitUntil(lambda: freed() is None, timeout=3_000)
        assert collections and set(collections) == {threading.main_thread()}
    finally:
        gc.callbacks.remove(record)
    assert not gc.isenabled()


def test_the_due_generation_follows_cpythons_rule(collector):
    gc.collect()
    assert collector.collect_due() is None  # nothing allocated since: nothing due
    threshold = gc.get_threshold()
    kept = [[] for _ in range(threshold[0] + 10)]
    assert collector.collect_due() == 0
    del kept


def test_nothing_is_collected_while_a_thread_holds_collection_off(collector):
    from medgui.core.util.collection import paused_collection

    gc.collect()
    kept = [[] for _ in range(gc.get_threshold()[0] + 10)]
    with paused_collection():  # as the ML warm-up imports torch
        assert collector.collect_due() is None
    assert collector.collect_due() == 0
    del kept


def test_a_warm_up_pause_that_ends_after_the_install_leaves_collection_off(qapp):
    # The ML warm-up thread may still hold collection off when the window installs its
    # collector; the pause's end used to turn automatic collection back on.
    from medgui.core.util.collection import paused_collection

    uninstall()
    was = gc.isenabled()
    gc.enable()
    try:
        with paused_collection():
            collect_on_main_thread(qapp)
        assert not gc.isenabled()
    finally:
        uninstall()
        (gc.enable if was else gc.disable)()


def test_uninstall_gives_collection_back(qapp):
    uninstall()
    was = gc.isenabled()
    collect_on_main_thread(qapp)
    assert not gc.isenabled()
    uninstall()
    assert gc.isenabled() == was


def test_the_main_window_moves_collection_to_the_gui_thread(window):
    assert not gc.isenabled()
