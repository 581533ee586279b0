"""Start-up of the desktop app: QApplication, logging, error dialogs, one instance per library."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLockFile, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_ID, APP_NAME, __version__
from ..db import DatabaseError
from ..library import Library
from ..paths import log_dir, resolve_library_dir
from .icons import icon
from .main_window import MainWindow

log = logging.getLogger("readinglist")
ORG = "ReadingList"


def setup_logging() -> Path:
    """Log to a rotating file in the user log folder; return its path."""
    path = log_dir() / "readinglist.log"
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("readinglist")
    if not any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def install_excepthook(log_path: Path) -> None:
    """Show any exception escaping a slot in a readable dialog and log it.

    Qt calls Python slots from its event loop; an exception there would only
    be printed to a terminal nobody sees, so we catch it here instead and the
    window stays usable.
    """

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        text = "".join(traceback.format_exception(kind, exc, tb))
        log.error("unhandled exception\n%s", text)
        app = QApplication.instance()
        if app is None or os.environ.get("READINGLIST_NO_ERROR_DIALOG"):
            sys.__excepthook__(kind, exc, tb)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, f"Something went wrong: {exc}")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            "Your library is safe; the action was not completed.\n"
            f"Details were written to {log_path}."
        )
        box.setDetailedText(text)
        box.exec()

    sys.excepthook = hook


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Searches run in worker threads but hold the GIL while Whoosh decodes
    # postings; a shorter switch interval hands it back to the GUI thread
    # sooner, so typing never waits on a search.
    sys.setswitchinterval(0.001)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(icon("readinglist"))
    return app


def tune_gc() -> None:
    """Keep the cyclic garbage collector from stalling the GUI thread.

    A full collection walks every tracked object (tens of millions of
    references at 100,000 papers) while holding the GIL; whichever thread
    triggers it, the window freezes.  Objects alive after start-up are
    frozen out of collection and the thresholds raised, so full passes are
    rare and short.  No collection first: it would hold the first paint back
    by ~80 ms to free the few kilobytes of garbage that start-up leaves.
    """
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def acquire_lock(folder: Path) -> QLockFile | None:
    """Lock the library folder for this process; None when another instance holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(folder / "readinglist.lock"))
    # A lock left by a crashed process is taken over after Qt finds it stale.
    lock.setStaleLockTime(0)
    if lock.tryLock(200):
        return lock
    return None


@dataclass
class Started:
    """What :func:`start` opened: close them in reverse order."""

    app: QApplication
    window: MainWindow
    lib: Library
    lock: QLockFile


def start(library: str | None = None) -> Started | int:
    """Open the library and show its window; an exit status when that is impossible.

    The benchmark's start-up figure calls this too, so it times what users wait for.
    """
    log_path = setup_logging()
    app = make_app()
    install_excepthook(log_path)
    folder = resolve_library_dir(library)
    lock = acquire_lock(folder)
    if lock is None:
        QMessageBox.warning(
            None,
            APP_NAME,
            f"The library at {folder} is already open in another Reading List window.\n\n"
            "Switch to that window, or start with --library to open another library.",
        )
        return 1
    try:
        lib = Library(folder, sync_index=False, background_index=True)
    except DatabaseError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        lock.unlock()
        return 2
    window = MainWindow(lib)
    window.show()
    tune_gc()
    return Started(app, window, lib, lock)


def main(library: str | None = None, *, quit_after_ms: int | None = None) -> int:
    """Open the main window on the library folder and run the event loop."""
    started = start(library)
    if isinstance(started, int):
        return started
    env_quit = os.environ.get("READINGLIST_QUIT_AFTER_MS")
    delay = quit_after_ms if quit_after_ms is not None else int(env_quit) if env_quit else None
    if delay is not None:
        QTimer.singleShot(delay, started.window.close)
    try:
        status = started.app.exec()
    finally:
        started.window.shutdown()
        started.lib.close()
        started.lock.unlock()
    return int(status)
