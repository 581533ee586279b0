"""The open library and its window, from start to quit, and the signals that end them.

Owns:

* :class:`Session`: the library folder, its lock, the :class:`Library` and
  the :class:`MainWindow` showing it.  Restoring a backup replaces the
  database, which needs the library closed: the session saves and shuts the
  window down, closes the library, restores behind a modal progress dialog,
  reopens the library (walking the user through recovery if even that
  fails) and shows it in a new window.
* :class:`SignalWatcher`: SIGTERM, SIGINT and SIGHUP (a logout, ``kill``,
  Ctrl+C in the terminal, a closed terminal) become a call on the GUI thread
  that saves the note being typed and quits cleanly, instead of Python's
  default of dying on the spot.

Python runs a signal handler only when the interpreter gets control, which
never happens while Qt's event loop waits in C++; :func:`signal.set_wakeup_fd`
writes the signal number to a socket that a :class:`QSocketNotifier` watches,
so the loop wakes at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QLockFile, QObject, QSettings, QSocketNotifier
from PySide6.QtWidgets import QApplication

from ..core.backups import Snapshot
from ..library import Library, restore_backup
from .errors import classify, set_current_folder
from .main_window import MainWindow
from .recovery import Opened, open_library, restored_text, run_modal, snapshot_label

__all__ = ["QUIT_SIGNALS", "Session", "SignalWatcher"]

log = logging.getLogger(__name__)

#: The signals that ask the app to save and quit (SIGHUP does not exist on Windows).
QUIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class SignalWatcher(QObject):
    """Calls ``on_signal(signum)`` on the GUI thread when a quit signal arrives.

    Install from the main thread with a running (or about to run) Qt event
    loop; :meth:`uninstall` puts the previous handlers back.
    """

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}
        for sig in QUIT_SIGNALS:
            self._previous[sig] = signal.getsignal(sig)
            # The handler itself does nothing: the wake-up byte carries the
            # news, and replacing the default stops the process dying at once.
            signal.signal(sig, _ignore)

    def _drain(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in dict.fromkeys(data):  # each signal once, in arrival order
            if signum in QUIT_SIGNALS:
                self._on_signal(signum)

    def uninstall(self) -> None:
        """Put the previous handlers and wake-up file back; safe twice."""
        if not self._previous:
            return
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        for end in (self._reader, self._writer):
            end.close()


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    pass


class Session(QObject):
    """The library folder, its lock, the open :class:`Library` and its window.

    ``app``, ``folder``, ``lock``, ``lib`` and ``window`` are what is open
    now: a restore replaces ``lib`` and ``window`` (and recovery from a
    failed reopen may even change the folder).
    """

    def __init__(
        self, app: QApplication, opened: Opened, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.app = app
        self.folder: Path = opened.folder
        self.lock: QLockFile = opened.lock
        self.lib: Library = opened.lib
        self._settings = settings
        self._lib_open = True
        self.window = self._show_window(opened.message)

    def _show_window(self, message: str = "") -> MainWindow:
        set_current_folder(self.folder)
        window = MainWindow(self.lib, self._settings)
        window.backups.restore_handler = self.restore
        window.show()
        if message:
            # A box, not the status bar: the start-up index repair would replace a status line.
            window.show_info(message)
        return window

    def restore(self, snapshot: Snapshot) -> bool:
        """Put *snapshot* in place of the library and show it in a new window.

        Returns False when the library could not be reopened and the user
        chose to quit (the app is then quitting).
        """
        old = self.window
        old.save_and_shutdown()
        self.lib.close()
        self._lib_open = False
        error = ""
        message = ""
        me = os.getpid()  # This process holds the lock; the library is closed here.
        folder = self.folder
        try:
            restored = run_modal(
                old,
                "Restoring a backup",
                f"Restoring the backup from {snapshot_label(snapshot)}…",
                lambda progress: restore_backup(folder, snapshot.name, progress, allow_pid=me),
            )
        except Exception as exc:
            failure = classify(exc, folder)
            if failure.bug:
                log.error("restoring a backup failed", exc_info=exc)
            else:
                log.warning("restoring a backup failed: %s", failure.message)
            error = failure.message
        else:
            message = restored_text(restored)
            log.info("%s", message)
        # A failed restore changed nothing: the library reopens as it was.
        opened = open_library(self.folder, self.lock, old)
        if isinstance(opened, int):
            old.close()
            self.app.exit(opened)
            return False
        self.folder, self.lock, self.lib = opened.folder, opened.lock, opened.lib
        self._lib_open = True
        self.window = self._show_window(opened.message or message)
        old.close()
        old.deleteLater()
        if error:
            self.window.show_error(f"The backup was not restored: {error}")
        return not error

    def save_and_quit(self, signum: int = 0) -> None:
        """Save the note being typed and the settings, close the window, quit."""
        if signum:
            log.info("signal %d: saving and quitting", signum)
        self.window.close()
        self.app.quit()

    def close(self) -> None:
        """Shut the window down, close the library, release the lock; safe twice."""
        self.window.shutdown()
        if self._lib_open:
            self._lib_open = False
            self.lib.close()
        self.lock.unlock()
        set_current_folder(None)
