"""Render resources/medgui.svg to the PNG sizes desktops ask for (resources/icons/medgui-N.png).

Run after changing the SVG (the PNGs are committed, so building needs no SVG renderer):
    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)


def render_icons(svg: Path, out_dir: Path, sizes_px=SIZES_PX) -> list[Path]:
    """Write `svg` as a transparent PNG of each size into `out_dir`; returns the files."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes_px:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"medgui-{size}.png"
        if not image.save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the PNG")
        written.append(path)
    return written


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    for path in render_icons(RESOURCES / "medgui.svg", RESOURCES / "icons"):
        print(path.relative_to(RESOURCES.parent))
