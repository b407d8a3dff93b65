"""A multiprocessing context whose workers never re-run the user's script.

'forkserver' and 'spawn' children normally re-import the parent's main module (multiprocessing's
"main-path fixup"), so a researcher's script without an ``if __name__ == "__main__":`` guard runs
its top level again in every worker, and a `load_volume` call there tries to start a pool while
the worker is still bootstrapping: the worker dies. medgui's workers only run medgui functions,
which pickle by module name, so they never need the main module: this context leaves it out.

'fork' would avoid the re-import too, but the GUI forks from a process with Qt and reader
threads running, which can deadlock a child on a lock held by another thread.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from multiprocessing import forkserver, popen_forkserver, process, reduction, spawn, util
from multiprocessing.context import ForkServerContext, set_spawning_popen

# Imported once in the fork server, so that each worker starts with numpy and pydicom loaded.
_PRELOAD = ["medgui.core.io.load"]
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")


class _Popen(popen_forkserver.Popen):
    def _launch(self, process_obj):
        # CPython's own _launch (3.11-3.13), less the main module in the preparation data.
        prep_data = spawn.get_preparation_data(process_obj._name)
        for key in _MAIN_KEYS:
            prep_data.pop(key, None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(process.BaseProcess):
    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


class _Context(ForkServerContext):
    Process = _Process


def worker_context() -> multiprocessing.context.BaseContext:
    """The context for medgui's worker pools (forkserver, main module not re-imported)."""
    context = _Context()
    context.set_forkserver_preload(_PRELOAD)
    return context
