"""paused_collection: automatic collection off inside the block, counted across nesting and
threads, and given back as it was."""

from __future__ import annotations

import gc
import threading

from medgui.core.util.collection import collection_paused, paused_collection


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
