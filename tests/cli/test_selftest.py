"""`medgui selftest` from source: every check passes on this machine, and a broken check really
prints FAIL and makes the exit status 1."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from medgui.cli import main
from medgui.cli.selftest import CHECKS, Check, grey_pixels, run_selftest

LINE = re.compile(r"^(PASS|FAIL)  (.+?)  (\d+\.\d\d) s(.*)$")
EXPECTED = [
    "main window",
    "demo study",
    "layout 1",
    "layout 3",
    "paint label",
    "training step",
    "inference",
]


def _lines(text: str) -> list[re.Match]:
    rows = text.strip().splitlines()
    assert rows[-1].startswith("selftest: ")
    matches = [LINE.match(row) for row in rows[:-1]]
    assert all(matches), rows
    return matches


@pytest.mark.slow
def test_the_whole_selftest_passes_from_source(qapp, capsys, tmp_path):
    assert main(["selftest", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    matches = _lines(out)
    assert [m.group(2) for m in matches] == [c.name for c in CHECKS]
    assert [c.name for c in CHECKS[: len(EXPECTED)]] == EXPECTED
    assert all(m.group(1) == "PASS" for m in matches), out
    assert "training step" in out and ("CPU" in out or "CUDA" in out or "MPS" in out)
    # The renders it checked are kept: each is a real picture, not an empty view.
    for layout in ("1", "3"):
        pixels = grey_pixels(QImage(str(tmp_path / "data" / f"layout-{layout}.png")))
        assert pixels.shape[0] > 100 and len(np.unique(pixels)) > 32
    # It never wrote into the data dir the tests gave this process.
    assert not (Path(os.environ["MEDGUI_DATA_DIR"]) / "demo").exists()


def test_a_broken_check_prints_fail_and_exits_1(qapp):
    def broken(_st):
        raise ValueError("the phantom is missing")

    checks = [
        Check("works", lambda _st: "fine"),
        Check("broken", broken),
        Check("needs a window", lambda st: st.needs("window")),
    ]
    out = io.StringIO()
    assert run_selftest(checks, out) == 1
    first, second, third = _lines(out.getvalue())
    assert first.group(1, 2, 4) == ("PASS", "works", "  (fine)")
    assert second.group(1, 2, 4) == ("FAIL", "broken", ": the phantom is missing")
    assert third.group(1, 2, 4) == (
        "FAIL",
        "needs a window",
        ": needs the window of an earlier check",
    )
    assert out.getvalue().strip().endswith("3 checks, 2 failed")


def test_all_passing_checks_exit_0(qapp):
    out = io.StringIO()
    assert run_selftest([Check("one", lambda _st: None)], out) == 0
    assert out.getvalue().splitlines()[0].startswith("PASS  one  ")


@pytest.mark.parametrize("blank", [np.zeros((40, 40), np.uint8), np.full((40, 40), 90, np.uint8)])
def test_a_blank_render_is_told_from_a_picture(blank):
    from medgui.cli.selftest import _is_blank

    assert _is_blank(blank)
    rng = np.random.default_rng(0)
    assert not _is_blank(rng.integers(0, 255, (40, 40)).astype(np.uint8))
