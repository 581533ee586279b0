"""Run-time hook for PySide6 in the bundle: where Qt's plug-ins are, without importing Qt.

PyInstaller's own hook imports ``PySide6.QtCore`` at start to check for an embedded
``qt.conf``; the PySide6 wheels embed one themselves when ``PySide6`` is imported, so
that check is spent on every ``readinglist list`` too. This one only sets the
environment the wheel layout needs: Qt then finds its plug-ins (the xcb, Wayland,
Windows and Cocoa platforms, the SVG icon engine) when the window is made, and
``readinglist --smoke-test`` (run on the built .deb in CI) proves it does.
"""

import os
import sys


def _set_qt_paths() -> None:
    base = sys._MEIPASS  # type: ignore[attr-defined]  # set by PyInstaller's bootloader
    # The wheel layout: PySide6/ on Windows, PySide6/Qt/ elsewhere.
    qt = (
        os.path.join(base, "PySide6")
        if sys.platform == "win32"
        else os.path.join(base, "PySide6", "Qt")
    )
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")
    if sys.platform == "win32":
        # Qt's DLLs look for their own dependencies on PATH.
        os.environ["PATH"] = base + os.pathsep + os.environ.get("PATH", "")


_set_qt_paths()
del _set_qt_paths
