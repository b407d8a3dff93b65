"""Which system packages Qt's window needs on Linux and are missing (`make run` asks first).

PySide6's wheels bring Qt, but its xcb platform plugin loads X11/xcb libraries from the system.
When one is missing, Qt names only the first ("Could not load the Qt platform plugin xcb"):
this lists every missing one and the apt-get line that installs them all. Only Linux with a
display needs them: offscreen and minimal platforms do not load xcb.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

# The shared library Qt's xcb plugin loads, and the Debian/Ubuntu package that holds it.
PACKAGES = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
_HEADLESS = {"offscreen", "minimal", "vnc"}


def installed_libraries(ldconfig_output: str) -> set[str]:
    """The library names in the cache that `ldconfig -p` prints ("\tlibfoo.so.1 (libc6...)")."""
    return set(re.findall(r"^\s*(\S+\.so(?:\.\d+)*)\s+\(", ldconfig_output, re.MULTILINE))


def missing_packages(installed: set[str]) -> list[str]:
    return sorted({package for lib, package in PACKAGES.items() if lib not in installed})


def message(missing: list[str]) -> str:
    return (
        "medgui's window needs these system packages, which are not installed:\n"
        f"  {' '.join(missing)}\n"
        f"Install them with:\n  sudo apt-get install {' '.join(missing)}\n"
        "(or run headless: QT_QPA_PLATFORM=offscreen)"
    )


def _ldconfig_output() -> str | None:
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(p)), None
    )
    if ldconfig is None:
        return None
    try:
        return subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def main(
    ldconfig_output: str | None = None,
    platform: str = sys.platform,
    environ: os._Environ | dict = os.environ,
) -> int:
    """0 when the window can start (or this cannot tell), 1 with the message when not."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM", "") in _HEADLESS:
        return 0
    output = ldconfig_output if ldconfig_output is not None else _ldconfig_output()
    if output is None:
        return 0  # no library cache to ask (not a glibc system): let Qt speak for itself
    missing = missing_packages(installed_libraries(output))
    if missing:
        print(message(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
