"""Drops unused Qt plug-ins from a PyInstaller analysis, with the libraries only they load.

PyInstaller's Qt hooks collect every plug-in of a Qt module the app imports. These give
the app nothing and cost size, dependencies or copies of other projects' code:

- ``platformthemes/libqgtk3.so`` (Linux): GTK 3 file dialogs and colours. It links GTK,
  GDK, Pango, ATK and Cairo, which would then be bundled or become package dependencies.
  Qt's own dialogs and style serve every desktop.
- ``imageformats/*`` but SVG: readers of JPEG, TIFF, WebP, GIF... images (the JPEG and
  TIFF ones carry their own copies of libjpeg and libtiff). The app opens no image file:
  its icons are SVG (drawn by QtSvg) and PNG is built into QtGui. ``qpdf`` (QtPdf, PDFium)
  is among them where a build collects it: PDFs are read with pypdf.
- ``platforms/`` but xcb, wayland, offscreen and minimal: EGLFS, LinuxFB, VNC and the
  Vulkan display plug-ins run Qt without a window system (kiosks, embedded boards), with
  ``egldeviceintegrations/`` and ``generic/`` (evdev input), which only they load.
- ``networkinformation/`` and ``tls/``: QtNetwork is here for the single-instance hand-off
  over a local socket (QLocalServer); the app makes no Qt network connection.

A library is dropped only when nothing else left in the bundle links it, so removing a
plug-in can never break another one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePath

# (destination in the bundle, source path, PyInstaller type code), as in Analysis.binaries.
TocEntry = tuple[str, str, str]

# Plug-ins removed from every bundle: their path under the bundle without the suffix, in
# the Linux/macOS spelling ("libqjpeg") and the Windows one ("qjpeg").
_IMAGE_FORMATS = ("gif", "icns", "ico", "jpeg", "pdf", "tga", "tiff", "wbmp", "webp")
_PLATFORMS = ("eglfs", "linuxfb", "vnc", "vkkhrdisplay", "minimalegl")
# "folder/*" stands for every plug-in of that folder.
UNUSED_PLUGINS = (
    "platformthemes/libqgtk3",
    "egldeviceintegrations/*",
    "generic/*",
    "networkinformation/*",
    "tls/*",
    *(f"imageformats/{prefix}q{name}" for name in _IMAGE_FORMATS for prefix in ("lib", "")),
    *(f"platforms/{prefix}q{name}" for name in _PLATFORMS for prefix in ("lib", "")),
)


def _stem(dest: str) -> str:
    """Return the destination's path with forward slashes and without its suffix."""
    path = PurePath(dest.replace("\\", "/"))
    return str(path.with_suffix("")).replace("\\", "/")


def is_unused_plugin(dest: str, plugins: Iterable[str] = UNUSED_PLUGINS) -> bool:
    """Tell whether ``dest`` is one of ``plugins`` (matched on the end of its path)."""
    stem = _stem(dest)
    folder = stem.rpartition("/")[0]
    return any(
        folder.endswith("/plugins/" + plugin[:-2])
        if plugin.endswith("/*")
        else stem.endswith("/" + plugin)
        for plugin in plugins
    )


def prune(
    binaries: list[TocEntry],
    imports: Callable[[str], set[str]],
    plugins: Iterable[str] = UNUSED_PLUGINS,
) -> tuple[list[TocEntry], list[str]]:
    """Return ``binaries`` without the unused plug-ins and the libraries only they need.

    ``imports(source_path)`` returns the file names of every library a binary loads,
    directly or through others (what ``ldd`` lists). The second value lists the
    destinations removed, for the build log.
    """
    plugins = tuple(plugins)
    removed = [entry for entry in binaries if is_unused_plugin(entry[0], plugins)]
    if not removed:
        return binaries, []
    bundled = {PurePath(dest).name for dest, _, code in binaries if code != "SYMLINK"}
    candidates: set[str] = set()
    for _, source, _ in removed:
        candidates |= imports(source) & bundled
    needed: set[str] = set()
    for dest, source, code in binaries:
        name = PurePath(dest).name
        if code == "SYMLINK" or name in candidates or is_unused_plugin(dest, plugins):
            continue
        # ldd lists the whole closure, so a kept library's own needs are already here.
        needed |= imports(source)
    orphans = candidates - needed
    kept: list[TocEntry] = []
    dropped: list[str] = []
    for entry in binaries:
        dest, source, code = entry
        target = PurePath(source).name if code == "SYMLINK" else ""
        if is_unused_plugin(dest, plugins) or PurePath(dest).name in orphans or target in orphans:
            dropped.append(dest)
        else:
            kept.append(entry)
    return kept, dropped


def is_unused_data(dest: str) -> bool:
    """Tell whether the data file ``dest`` is one of Qt's translations.

    The app installs no QTranslator (its own strings are English), so Qt's catalogues of
    its dialogs' strings in 30 languages (7 MB) would never be read.
    """
    parts = PurePath(dest.replace("\\", "/")).parts
    return len(parts) > 1 and parts[0] == "PySide6" and "translations" in parts[1:3]
