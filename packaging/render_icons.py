"""Render the app's SVG icon to the PNG and ICO files the Windows and macOS builds use.

The hosted-CI workflow runs it before PyInstaller (``python packaging/render_icons.py``):
``build/icons/readinglist-512.png`` becomes the executable's and the app's icon (PyInstaller
converts it to .ico or .icns with Pillow) and ``build/icons/readinglist.ico`` the Windows
installer's (``makensis /DICON=...``). Qt's SVG renderer draws it, so no other tool is needed
on those systems; the .deb's icons are rendered by ``rsvg-convert`` in build_deb.py.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, out: Path, size: int = 512) -> Path:
    """Render ``svg`` as a ``size`` square PNG in ``out``; return its path."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"readinglist-{size}.png"
    if not image.save(str(png)):
        raise SystemExit(f"render_icons: cannot write {png}")
    return png


def main(argv: list[str] | None = None) -> int:
    """Write build/icons/readinglist-512.png and, with Pillow, readinglist.ico."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--svg", type=Path, default=REPO / "resources/icons/readinglist.svg")
    parser.add_argument("--out", type=Path, default=REPO / "build/icons")
    args = parser.parse_args(argv)
    png = render(args.svg, args.out)
    print(f"wrote {png}")
    try:
        # Through importlib: Pillow is the workflow's, not the venv's (no stubs here).
        image_module = importlib.import_module("PIL.Image")
    except ImportError:
        print("render_icons: no Pillow, so no .ico (pip install pillow)", file=sys.stderr)
        return 1
    ico = args.out / "readinglist.ico"
    with image_module.open(png) as image:
        image.save(ico, sizes=[(size, size) for size in ICO_SIZES])
    print(f"wrote {ico}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
