"""The task catalogue: one list of tasks and networks that the trainer, the CLI and the dock
read; a task's class is imported when first asked for, so importing a module registers
nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medgui.cli.ml import main
from medgui.ml.models.catalogue import TASKS, task_entry, task_names


def _fresh(code: str) -> str:
    """Run `code` in a fresh interpreter (nothing imported before it); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=True
    )
    return done.stdout.strip()


def test_every_task_is_found_by_name_without_importing_its_package_first():
    pytest.importorskip("torch")
    out = _fresh(
        "from medgui.ml.models.task import get_task\n"
        "from medgui.ml.models.catalogue import task_names\n"
        "print(' '.join(get_task(name).name for name in task_names()))"
    )
    assert out.split() == list(task_names())


def test_reading_the_catalogue_and_the_events_imports_no_torch():
    # What the window imports at start: the dock's lists and the training events it dispatches.
    out = _fresh(
        "import sys\nimport medgui.workers.catalogue as c, medgui.workers.train_worker\n"
        "print(len(c.task_names()), 'torch' in sys.modules)"
    )
    assert out == f"{len(TASKS)} False"


def test_the_networks_listed_are_those_the_tasks_build():
    pytest.importorskip("monai")
    from medgui.ml.classification.networks import NETWORKS
    from medgui.ml.segmentation.task import MODELS

    assert set(task_entry("segment").network_names) == set(MODELS)
    assert set(task_entry("classify").network_names) == set(NETWORKS)


def test_an_unknown_task_names_the_known_ones():
    with pytest.raises(ValueError, match="known: segment, classify"):
        task_entry("regress")


def test_the_cli_offers_the_catalogues_tasks_only(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--task", "regress", "--out", "x"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'regress'" in err
    assert all(name in err.split("choose from")[1] for name in task_names())
