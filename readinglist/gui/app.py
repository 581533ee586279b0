"""Start-up of the desktop app: QApplication, logging, error dialogs, one instance per library.

:func:`start` hands the files to import to a window already open on the
library when there is one (:mod:`.instance`), else locks the library folder
and opens it (through recovery when its database is not whole,
:mod:`.recovery`) into a :class:`~.session.Session` whose window imports
them; :func:`run` runs the event loop with the quit signals watched and
closes everything after it; :func:`main` is both.  :func:`smoke_test` is
``readinglist --smoke-test``: it checks an installation end to end.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_ID, APP_NAME, __version__
from ..library import ImportReport
from ..paths import log_dir, private_home, resolve_library_dir, resource_path
from .errors import classify
from .icons import icon
from .recovery import EXIT_ENVIRONMENT, acquire_lock, open_library
from .session import Session, SignalWatcher

if TYPE_CHECKING:
    from .instance import InstanceServer

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


#: How long a start waits for the window that holds the library's lock to answer
#: (it may itself be starting: its socket listens once its window is up).
HAND_OVER_WAIT_S = 5.0


def _hand_over_waiting(folder: Path, files: Sequence[Path]) -> bool:
    from .instance import hand_over

    deadline = time.monotonic() + HAND_OVER_WAIT_S
    while time.monotonic() < deadline:
        if hand_over(folder, files):
            return True
        time.sleep(0.1)
    return False


def start(library: str | None = None, files: Sequence[Path] = ()) -> Session | int:
    """Open the library, show its window and import *files*; else an exit status.

    When a window is already open on the library it takes *files* instead
    (:func:`~readinglist.gui.instance.hand_over`) and comes to the front:
    the status is then 0.  A missing, empty or damaged database is not
    opened: one dialog names it and offers restore, salvage, another library
    or quit (:func:`~readinglist.gui.recovery.open_library`).  The
    benchmark's start-up figure calls this too, so it times what users wait for.
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
        # Another process holds the library: the window open on it takes the files.
        if _hand_over_waiting(folder, files):
            log.info("handed %d files to the window open on %s", len(files), folder)
            return 0
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
    if files:
        _serve_later_starts(session).open_files(files)
    else:
        # Not before the first paint: QtNetwork costs the start ~20 ms, and a
        # later start that comes meanwhile waits for the socket (HAND_OVER_WAIT_S).
        QTimer.singleShot(0, session, lambda: _serve_later_starts(session))
    tune_gc()
    return session


def _serve_later_starts(session: Session) -> InstanceServer:
    """Listen for later starts on the library the session opened (recovery may have switched)."""
    from .instance import InstanceServer

    server = InstanceServer(session.folder, lambda: session.window, parent=session)
    server.listen()
    session.app.aboutToQuit.connect(server.close)
    return server


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


def main(
    library: str | None = None, *, files: Sequence[Path] = (), quit_after_ms: int | None = None
) -> int:
    """Open the main window on the library folder (importing *files*) and run the event loop."""
    started = start(library, files)
    if isinstance(started, int):
        return started
    return run(started, quit_after_ms=quit_after_ms)


# --- the smoke test ------------------------------------------------------------------------

#: The whole smoke test's own limit.
SMOKE_TIMEOUT_S = 30.0
SAMPLE = "sample-papers.txt"


class SmokeFailure(Exception):
    """The smoke test failed; the message says where."""


def smoke_test(started: float | None = None) -> int:
    """Check an installation: ``readinglist --smoke-test``; the exit status.

    Opens the main window on a temporary library, imports the bundled sample
    page through the window's import path (as a drop does), waits for its
    rows and for a search to find one, then closes everything.  Prints one
    line on success; on failure the reason goes to stderr and the status is
    1.  *started* (a :func:`time.perf_counter` reading) is when the command
    began, so the line tells how long the window took to show.  Nothing is
    written to the user's folders: the library, the settings, the signing key
    and the logs all live in a temporary folder, removed at the end.
    """
    began = time.perf_counter() if started is None else started
    try:
        with (
            tempfile.TemporaryDirectory(
                prefix="readinglist-smoke-", ignore_cleanup_errors=True
            ) as tmp,
            private_home(Path(tmp)) as home,
        ):
            line = _smoke(home, began)
    except SmokeFailure as exc:
        print(f"readinglist: smoke test failed: {exc}", file=sys.stderr)
        return 1
    print(line, flush=True)
    return 0


def _smoke(home: Path, began: float) -> str:
    deadline = time.perf_counter() + SMOKE_TIMEOUT_S
    app = make_app()
    failures: list[str] = []

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        # An exception in a slot fails the test at once, with its traceback.
        failures.append("".join(traceback.format_exception(kind, exc, tb)).rstrip())
        QApplication.exit(1)  # Ends every event loop running, a modal dialog's too.

    previous_hook, sys.excepthook = sys.excepthook, hook
    try:
        lock = acquire_lock(home / "library")
        if lock is None:
            raise SmokeFailure(f"cannot lock the temporary library {home / 'library'}")
        opened = open_library(home / "library", lock)
        if isinstance(opened, int):
            raise SmokeFailure(f"the temporary library did not open (status {opened})")
        settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
        session = Session(app, opened, settings)
        try:
            return _drive(session, began, deadline, failures)
        finally:
            session.window.close()
            session.close()
    finally:
        sys.excepthook = previous_hook


def _drive(session: Session, began: float, deadline: float, failures: list[str]) -> str:
    """Window shown, sample imported, rows listed, one found by a search: the report line."""
    window = session.window
    waiter = _Waiter(deadline, failures)
    waiter.until(lambda: window.isVisible(), window.queryFinished, "the window's first rows")
    shown_ms = (time.perf_counter() - began) * 1000

    sample = resource_path(SAMPLE)
    if not sample.is_file():
        raise SmokeFailure(f"the sample page is missing: {sample}")
    outcome: list[list[ImportReport]] = []
    window.importFinished.connect(outcome.append)
    t0 = time.perf_counter()
    if not window.transfer.import_paths([sample]):
        raise SmokeFailure("the import did not start")
    # An import that fails ends its job without importFinished: the error box says why.
    waiter.until(
        lambda: bool(outcome) or not window.jobs.busy(), window.jobs.busyChanged, "the import"
    )
    if not outcome:
        error = window.last_error.text() if window.last_error is not None else "no outcome"
        raise SmokeFailure(f"importing {sample} failed: {error}")
    import_ms = (time.perf_counter() - t0) * 1000
    reports = outcome[0]
    added = [i for r in reports for i in r.added]
    if not added or not all(r.ok for r in reports):
        raise SmokeFailure("; ".join(r.summary() for r in reports))

    waiter.until(
        lambda: window.model.rowCount() == len(added),
        window.queryFinished,
        f"the {len(added)} imported papers in the list",
    )
    # The index too: a word of the first paper's title finds papers.
    # (The index may still be catching up with the import: the window
    # searches again when it has, so the first answer need not be the last.)
    word = _search_word(session.lib.get(added[:1])[0].title)
    answers: list[int] = []
    window.queryFinished.connect(lambda: answers.append(window.model.rowCount()))
    window.search.set_text(word, debounce=False)
    waiter.until(
        lambda: bool(answers) and window.model.rowCount() > 0,
        window.queryFinished,
        f"a search for {word!r} to find papers",
    )
    return (
        f"smoke test passed: window shown in {shown_ms:.0f} ms, {len(added)} papers imported "
        f"in {import_ms:.0f} ms, a search for {word!r} found {window.model.rowCount()}"
    )


def _search_word(title: str) -> str:
    """The longest plain word of *title* (a search for it must find its paper)."""
    words = re.findall(r"[A-Za-z]{4,}", title)
    return max(words, key=len) if words else title


class _Waiter:
    """Runs the event loop until a condition holds, rechecked after each signal; a deadline."""

    def __init__(self, deadline: float, failures: list[str]) -> None:
        self._deadline = deadline
        self._failures = failures

    def until(self, condition: Callable[[], bool], signal: SignalInstance, what: str) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)

        def check(*_args: object) -> None:
            if condition():
                loop.quit()

        signal.connect(check)
        try:
            while not self._failures and not condition():
                left = self._deadline - time.perf_counter()
                if left <= 0:
                    raise SmokeFailure(
                        f"timed out after {SMOKE_TIMEOUT_S:.0f} s waiting for {what}"
                    )
                timer.start(int(left * 1000) + 1)
                loop.exec()
        finally:
            timer.stop()
            signal.disconnect(check)
        if self._failures:
            raise SmokeFailure(f"while waiting for {what}:\n{self._failures[0]}")
