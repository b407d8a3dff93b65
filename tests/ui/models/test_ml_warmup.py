"""The ML warm-up: torch's libraries open through ctypes, the modules import, and showing a
model dock starts it once, after a running load (unless the environment turns it off)."""

from __future__ import annotations

import os
import sys

import pytest

from medgui.workers import ml_warmup

pytest.importorskip("torch")


def test_libraries_open_and_modules_import():
    libraries = ml_warmup.torch_libraries()
    assert [p.name for p in libraries][0] == "libtorch_global_deps.so"
    assert any(p.name.startswith("_C.") for p in libraries)
    assert all(ml_warmup._open_without_gil(p, os.RTLD_NOW) for p in libraries)
    assert not ml_warmup._open_without_gil(libraries[0].with_name("no-such-library.so"), 2)
    assert ml_warmup.warm_up() == list(ml_warmup.MODULES)
    assert all(name in sys.modules for name in ml_warmup.MODULES)


def test_showing_a_model_dock_starts_it_once(qtbot, new_window, settings, monkeypatch):
    started = []
    monkeypatch.setattr(ml_warmup, "start_warm_up", lambda: started.append(True))
    monkeypatch.setenv(ml_warmup.NO_WARM_UP, "1")
    quiet = new_window(settings)
    quiet.show()
    quiet.training.train_dock.show()
    assert started == []  # turned off
    monkeypatch.delenv(ml_warmup.NO_WARM_UP)
    window = new_window(settings)
    window.show()
    assert started == []  # reading images never loads torch
    window.training.model_dock.show()
    assert started == [True]
    window.training.train_dock.show()
    window.training.model_dock.hide()
    window.training.model_dock.show()
    assert started == [True]


def test_it_waits_for_a_running_load(qtbot, new_window, settings, monkeypatch):
    started = []
    monkeypatch.setattr(ml_warmup, "start_warm_up", lambda: started.append(True))
    window = new_window(settings)
    window.show()
    monkeypatch.setattr(type(window.jobs), "busy", property(lambda jobs: True))
    window.training.train_dock.show()
    assert started == []  # a series is loading: not now
    window.jobs.busy_changed.emit(True)
    assert started == []
    window.jobs.busy_changed.emit(False)
    assert started == [True]
    window.jobs.busy_changed.emit(False)
    assert started == [True]
