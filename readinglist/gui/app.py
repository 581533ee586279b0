"""Start-up of the desktop app: QApplication, logging, error dialogs, one instance per library.

:func:`start` locks the library folder and opens it (through recovery when
its database is not whole, :mod:`.recovery`) into a :class:`~.session.Session`;
:func:`run` runs the event loop with the quit signals watched and closes
everything after it; :func:`main` is both.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_ID, APP_NAME, __version__
from ..paths import log_dir, resolve_library_dir
from .errors import classify
from .icons import icon
from .recovery import EXIT_ENVIRONMENT, acquire_lock, open_library
from .session import Session, SignalWatcher

log = logging.getLogger("readinglist")
ORG = "ReadingList"


def setup_logging() -> Path:
    """Log to a rotating file in the user log folder; return its path."""
    path = log_dir() / "readinglist.log"
    root = logging.getLogger("readinglist")
    root.setLevel(logging.INFO)
    for old in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        if Path(old.baseFilename) == path.resolve():
            return path  # Started before (a second start in one process): already logging.
        # The log folder moved (another XDG_CACHE_HOME): log there, and close the old file.
        root.removeHandler(old)
        old.close()
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path


def install_excepthook(log_path: Path) -> None:
    """Show any exception escaping a slot in a readable dialog and log it.

    Qt calls Python slots from its event loop; an exception there would only
    be printed to a terminal nobody sees, so we catch it here instead and the
    window stays usable.  The environment's faults (a read-only folder, a
    full disk: :func:`readinglist.gui.errors.classify`) get their one line;
    only a bug gets "Something went wrong" and a traceback.
    """

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        failure = classify(exc)
        text = "".join(traceback.format_exception(kind, exc, tb))
        if failure.bug:
            log.error("unhandled exception\n%s", text)
        else:
            log.warning("%s", failure.message)
        app = QApplication.instance()
        if app is None or os.environ.get("READINGLIST_NO_ERROR_DIALOG"):
            sys.__excepthook__(kind, exc, tb)
            return
        if not failure.bug:
            box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, failure.message)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.exec()
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


#: What :func:`start` opened (the session's ``app``, ``window``, ``lib`` and ``lock``).
Started = Session


def start(library: str | None = None) -> Session | int:
    """Open the library and show its window; an exit status when that is impossible.

    A missing, empty or damaged database is not opened: one dialog names it
    and offers restore, salvage, another library or quit
    (:func:`~readinglist.gui.recovery.open_library`).  The benchmark's
    start-up figure calls this too, so it times what users wait for.
    """
    log_path = setup_logging()
    app = make_app()
    install_excepthook(log_path)
    folder = resolve_library_dir(library)
    try:
        lock = acquire_lock(folder)
    except OSError as exc:
        # The folder cannot even be made (read-only parent, a file in the way).
        QMessageBox.warning(None, APP_NAME, classify(exc, folder).message)
        return EXIT_ENVIRONMENT
    if lock is None:
        QMessageBox.warning(
            None,
            APP_NAME,
            f"The library at {folder} is already open in another Reading List window.\n\n"
            "Switch to that window, or start with --library to open another library.",
        )
        return 1
    opened = open_library(folder, lock)
    if isinstance(opened, int):
        return opened
    session = Session(app, opened)
    tune_gc()
    return session


def run(session: Session, *, quit_after_ms: int | None = None) -> int:
    """Run the event loop of a started *session*; close everything after it.

    SIGTERM, SIGINT and SIGHUP save the note being typed and quit cleanly.
    """
    env_quit = os.environ.get("READINGLIST_QUIT_AFTER_MS")
    delay = quit_after_ms if quit_after_ms is not None else int(env_quit) if env_quit else None
    if delay is not None:
        QTimer.singleShot(delay, lambda: session.window.close())
    watcher = SignalWatcher(session.save_and_quit)
    try:
        status = session.app.exec()
    finally:
        watcher.uninstall()
        session.close()
    return int(status)


def main(library: str | None = None, *, quit_after_ms: int | None = None) -> int:
    """Open the main window on the library folder and run the event loop."""
    started = start(library)
    if isinstance(started, int):
        return started
    return run(started, quit_after_ms=quit_after_ms)
