"""Icons for the GUI, drawn from the SVG files in ``resources/icons``.

Every icon is rendered with QtSvg into pixmaps at the usual sizes, instead of
handing the path to ``QIcon``: that works the same whether or not Qt's SVG
icon-engine plugin was bundled (PyInstaller builds sometimes drop it), and it
lets us recolour the monochrome icons for dark palettes before rendering.

The monochrome icons are drawn in one neutral grey, :data:`NEUTRAL`.  On a dark
palette that grey is replaced by the palette's text colour, so icons stay
visible; coloured icons (the app icon, the gold star, the blue unread dot) are
left alone because they do not use that grey.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from ..paths import resource_path

log = logging.getLogger(__name__)

# The stroke colour every monochrome icon is drawn with.
NEUTRAL = "#5f6368"

# Every icon shipped in resources/icons (without the .svg suffix).
ICON_NAMES: tuple[str, ...] = (
    "readinglist",
    "star",
    "star-filled",
    "read",
    "unread",
    "tag",
    "import",
    "export",
    "search",
    "trash",
    "restore",
    "undo",
    "redo",
    "note",
    "copy",
    "library",
    "inbox",
    "clock",
    "folder",
    "saved-search",
    "link",
)

# Pixel sizes rendered for each icon.  Qt picks the nearest one (also for
# high-DPI screens, where a 24 px icon is drawn from the 48 px pixmap), so
# every common size is drawn crisply rather than scaled.
_SIZES = (16, 20, 22, 24, 32, 40, 48, 64)
_APP_SIZES = (*_SIZES, 96, 128, 256)

_cache: dict[tuple[str, str], QIcon] = {}


def icon_path(name: str) -> Path:
    """Return the path of the SVG file for icon *name*."""
    return resource_path(f"icons/{name}.svg")


def icon_colour() -> str:
    """Return the colour monochrome icons are drawn in for the current palette.

    Light palettes keep the designed grey; dark ones get the window text
    colour, softened a little towards the background so icons don't glare.
    """
    if QGuiApplication.instance() is None:
        return NEUTRAL
    palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    if window.lightness() >= 128:
        return NEUTRAL
    text = palette.color(QPalette.ColorRole.WindowText)
    mixed = QColor(
        (text.red() * 4 + window.red()) // 5,
        (text.green() * 4 + window.green()) // 5,
        (text.blue() * 4 + window.blue()) // 5,
    )
    return mixed.name()


def icon(name: str) -> QIcon:
    """Return the icon *name* (a file stem in ``resources/icons``), cached.

    A missing or broken file gives an empty icon and a log message rather than
    an exception: a missing picture must never stop the window from opening.
    """
    if QGuiApplication.instance() is None:
        # Pixmaps need a GUI application; let QIcon load the file lazily.
        path = icon_path(name)
        return QIcon(str(path)) if path.is_file() else QIcon()
    colour = icon_colour()
    key = (name, colour)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    result = _load(name, colour)
    _cache[key] = result
    return result


def clear_cache() -> None:
    """Forget every rendered icon (tests, or after the icon files changed)."""
    _cache.clear()


def _load(name: str, colour: str) -> QIcon:
    path = icon_path(name)
    try:
        svg = path.read_text("utf-8")
    except OSError as exc:
        log.warning("icon %r not found (%s)", name, exc)
        return QIcon()
    if colour.lower() != NEUTRAL:
        svg = svg.replace(NEUTRAL, colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        log.warning("icon %r is not a valid SVG file: %s", name, path)
        return QIcon()
    result = QIcon()
    for size in _APP_SIZES if name == "readinglist" else _SIZES:
        result.addPixmap(_render(renderer, size))
    return result


def _render(renderer: QSvgRenderer, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap
