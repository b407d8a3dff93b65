"""paused_collection: automatic collection off inside the block, counted across nesting and
threads, and given back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from medgui.core.util.collection import (
    collect_due,
    collection_paused,
    collection_taken_over,
    give_back_collection,
    paused_collection,
    take_over_collection,
)


@pytest.fixture(autouse=True)
def _no_collector_of_an_earlier_test():
    """A main window built earlier in this process took collection over for good; these tests
    are about CPython's own collection, so they run with it given back, and restore it."""
    taken = collection_taken_over()
    if taken:
        give_back_collection()
    yield
    if taken:
        take_over_collection()


def test_the_block_turns_collection_off_and_gives_it_back():
    was = gc.isenabled()
    gc.enable()
    try:
        assert not collection_paused()
        with paused_collection():
            assert collection_paused() and not gc.isenabled()
            with paused_collection():
                assert not gc.isenabled()
            assert collection_paused() and not gc.isenabled()  # the outer block still holds
        assert not collection_paused() and gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_collection_that_was_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with paused_collection():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_blocks_on_two_threads_are_counted():
    inside, release = threading.Event(), threading.Event()

    def hold():
        with paused_collection():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with paused_collection():
        pass
    assert collection_paused()  # the worker's block is still open
    release.set()
    worker.join()
    assert not collection_paused()


def test_a_pause_ending_after_a_take_over_leaves_collection_to_the_taker():
    # The ML warm-up's pause may span the window installing its GUI-thread collector: the end
    # of the pause must not turn automatic collection back on behind the collector's back.
    was = gc.isenabled()
    gc.enable()
    try:
        with paused_collection():
            take_over_collection()
        assert not gc.isenabled() and collection_taken_over()
        give_back_collection()
        assert gc.isenabled() and not collection_taken_over()
    finally:
        give_back_collection()
        (gc.enable if was else gc.disable)()


def test_a_take_over_ending_inside_a_pause_waits_for_the_pause():
    was = gc.isenabled()
    gc.enable()
    try:
        take_over_collection()
        with paused_collection():
            give_back_collection()
            assert not gc.isenabled()  # the pause still holds
        assert gc.isenabled()
    finally:
        give_back_collection()
        (gc.enable if was else gc.disable)()


def test_collect_due_follows_cpythons_rule_and_the_pause():
    take_over_collection()  # no automatic pass may reset the counts meanwhile
    try:
        gc.collect()
        assert collect_due() is None  # nothing allocated since: nothing due
        kept = [[] for _ in range(gc.get_threshold()[0] + 10)]
        with paused_collection():
            assert collect_due() is None
        assert collect_due() == 0
        del kept
    finally:
        give_back_collection()
