"""One window per library: a later start hands its files to the window already open.

The desktop runs ``readinglist FILE...`` for "Open with", a file manager's
double-click and the menu.  When a window is already open on that library
(its process holds the library's lock, :func:`~.recovery.acquire_lock`), a
second window cannot open it; instead the new process sends its files over
a local socket (:func:`hand_over`) and exits, and the open window comes to
the front and imports them as a drop would (:class:`InstanceServer`).

The socket is a :class:`QLocalServer` named after the user and the library's
resolved folder (:func:`server_name`), so each library has its own and
another user's never answers.  On Unix it is a file in the temporary folder
that only its user may open; a file left behind by a crash is removed before
listening, since whoever holds the library's lock owns the name.

The exchange is one line each way: ``{"files": [...]}`` (JSON, absolute
paths) from the new process, ``ok`` from the window once it has taken them.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

if TYPE_CHECKING:
    from .jobs import JobController
    from .main_window import MainWindow

__all__ = ["InstanceServer", "hand_over", "server_name"]

log = logging.getLogger(__name__)

#: The window's answer once it has taken the files.
REPLY = b"ok\n"
#: The longest request read: thousands of paths fit; more is not a request of ours.
MAX_REQUEST = 1 << 20
#: How long a later start waits for the open window to connect, and to answer.
CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        # No login name in the environment and no passwd entry (a container's
        # odd uid): the library folder alone still tells libraries apart.
        return ""


def server_name(folder: Path) -> str:
    """The local server name of the window open on *folder*, for this user."""
    key = f"{_user()}\0{folder.resolve()}"
    # Hashed: a folder's path may be longer than a socket path may be (108 bytes).
    return f"readinglist-{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()[:24]}"


def hand_over(folder: Path, files: Sequence[Path]) -> bool:
    """Give *files* to the window open on *folder* (and bring it to the front).

    True once that window has taken them; False when no window answers (none
    is open, or only a crashed one's socket file is left), so the caller
    opens the library itself.  An empty *files* only brings the window up.
    """
    socket = QLocalSocket()
    socket.connectToServer(server_name(folder))
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    request = json.dumps({"files": [str(Path(p).absolute()) for p in files]})
    socket.write(request.encode("utf-8", "surrogateescape") + b"\n")
    deadline = time.monotonic() + REPLY_TIMEOUT_MS / 1000
    reply = b""
    while b"\n" not in reply:
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0 or not socket.waitForReadyRead(left):
            # Connected but no answer: a window too busy to take them, or one
            # closing.  Told by the caller when it cannot open the library either.
            log.warning("the open window did not answer: %s", socket.errorString())
            socket.abort()
            return False
        reply += socket.readAll().data()
    socket.disconnectFromServer()
    return reply == REPLY


def _parse(request: bytes) -> list[Path] | None:
    """The files of a request, or None when it is not one of ours."""
    try:
        message = json.loads(request.decode("utf-8", "surrogateescape"))
    except ValueError:
        return None
    files = message.get("files") if isinstance(message, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        return None
    return [Path(f) for f in files]


def bring_to_front(window: MainWindow) -> None:
    """Show *window* un-minimised, raised and active (as far as the window manager lets it)."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class InstanceServer(QObject):
    """Listens for later starts on the library and imports the files they hand over.

    *window* returns the window open now (restoring a backup replaces it).
    Handed-over files are imported through the window's
    :meth:`~.transfer.TransferController.import_paths`, as a drop is; while
    another import, export or rebuild runs they wait for it to end, where a
    drop would be refused.
    """

    #: A later start handed these files over (a list of Path; the window is up).
    received = Signal(object)

    def __init__(
        self, folder: Path, window: Callable[[], MainWindow], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.name = server_name(folder)
        self._window = window
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._pending: list[Path] = []
        # The job controller whose end the pending files wait for (connected once).
        self._waiting_on: JobController | None = None

    def listen(self) -> bool:
        """Start listening; False (logged) when the socket cannot be made.

        The caller holds the library's lock, so no live window owns the name:
        a socket file left by a crashed process is removed first.  Without a
        socket the app works as before; later starts just cannot hand over.
        """
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        log.warning("later starts cannot hand files over: %s", self._server.errorString())
        return False

    def is_listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening (the socket file goes); safe twice."""
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is not None:
                self._serve(socket)

    def _serve(self, socket: QLocalSocket) -> None:
        received = bytearray()

        def read() -> None:
            received.extend(socket.readAll().data())
            if b"\n" not in received:
                if len(received) > MAX_REQUEST:
                    log.warning("hand-over request too long: dropped")
                    socket.abort()
                return
            socket.readyRead.disconnect(read)
            files = _parse(bytes(received[: received.index(b"\n")]))
            if files is None:
                log.warning("hand-over request not understood: dropped")
                socket.abort()
                return
            socket.write(REPLY)
            socket.flush()
            socket.disconnectFromServer()
            self.open_files(files)

        socket.disconnected.connect(socket.deleteLater)
        socket.readyRead.connect(read)
        # A client that connects and says nothing is not kept waiting for.
        QTimer.singleShot(REPLY_TIMEOUT_MS, socket, socket.abort)
        if socket.bytesAvailable():
            read()

    def open_files(self, files: Sequence[Path]) -> None:
        """Bring the window to the front and import *files* (at once, or after the running job)."""
        window = self._window()
        bring_to_front(window)
        self.received.emit(list(files))
        self._pending.extend(files)
        self._import_pending()

    def _import_pending(self) -> None:
        if not self._pending:
            return
        window = self._window()
        jobs = window.jobs
        if jobs.closing:
            log.info("the window is closing: %d handed-over files not imported", len(self._pending))
            self._pending.clear()
            return
        if jobs.busy():
            if self._waiting_on is not jobs:
                self._waiting_on = jobs
                jobs.busyChanged.connect(self._job_changed)
            return
        files, self._pending = self._pending, []
        window.transfer.import_paths(files)

    def _job_changed(self, busy: bool) -> None:
        if not busy:
            # busyChanged(False) comes before the ended job's outcome is
            # delivered: the next import starts after it.
            QTimer.singleShot(0, self, self._import_pending)
