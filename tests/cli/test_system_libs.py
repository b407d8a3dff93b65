"""`make run`'s check of the system libraries Qt's window needs (installer/check_system_libs.py),
with a fake library cache."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check", ROOT / "installer/check_system_libs.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def _ldconfig(libraries) -> str:
    lines = [f"{len(libraries)} libs found in cache `/etc/ld.so.cache'"]
    lines += [f"\t{lib} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/{lib}" for lib in libraries]
    return "\n".join(lines) + "\n"


def test_every_missing_package_is_named_with_one_apt_line(capsys):
    present = [lib for lib in check.PACKAGES if "xcb" not in lib] + ["libc.so.6"]
    assert check.main(_ldconfig(present), "linux", {}) == 1
    err = capsys.readouterr().err
    wanted = sorted(p for lib, p in check.PACKAGES.items() if "xcb" in lib)
    assert f"sudo apt-get install {' '.join(wanted)}\n" in err
    assert "libegl1" not in err


def test_nothing_is_said_when_all_are_there_or_no_window_is_needed(capsys):
    assert check.main(_ldconfig(list(check.PACKAGES)), "linux", {}) == 0
    assert check.main(_ldconfig([]), "linux", {"QT_QPA_PLATFORM": "offscreen"}) == 0
    assert check.main(_ldconfig([]), "darwin", {}) == 0
    assert capsys.readouterr().err == ""


def test_a_library_is_found_by_its_exact_name():
    cache = _ldconfig(["libxcb-image.so.0.0.0", "libxcb-cursor.so.0"])
    installed = check.installed_libraries(cache)
    assert "libxcb-cursor.so.0" in installed and "libxcb-image.so.0" not in installed


def test_the_readme_apt_line_installs_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [line] = re.findall(r"^sudo apt-get install .*$", readme, re.MULTILINE)
    assert set(line.split()[3:]) == set(check.PACKAGES.values())
