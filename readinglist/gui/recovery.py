"""Opening a library folder, and the user's way out when its database is not whole.

Owns:

* :func:`acquire_lock`: one window per library folder;
* :func:`run_modal`: long work (restoring a backup, salvaging a database) in
  a worker thread behind a modal progress dialog, so the window keeps
  painting while the user cannot start anything else;
* :class:`LibraryProblemDialog`: the one dialog shown when the database is
  missing, empty or damaged (or cannot be opened at all), naming the file and
  what is wrong, with the choices the core offers
  (:meth:`readinglist.core.health.Health.choices`): restore the newest
  backup, salvage what can be read, open another library, quit;
* :func:`open_library`: opens a folder and walks the user through those
  choices until a library is open or they quit.

Nothing is overwritten until the user picks a button: restoring and
salvaging both keep the replaced file aside.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QLockFile, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QCommandLinkButton,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core.backups import Restored, Snapshot
from ..core.health import Health, LibraryDamaged, Salvaged, State
from ..core.progress import Cancelled, Progress
from ..library import Library, restore_backup, salvage_library
from .errors import classify
from .workers import run_in_background

__all__ = [
    "Choice",
    "LibraryProblemDialog",
    "Opened",
    "acquire_lock",
    "open_library",
    "progress_text",
    "restored_text",
    "run_modal",
    "salvage_text",
    "snapshot_label",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Exit statuses of the app when no library could be opened (as the command line's).
EXIT_ENVIRONMENT = 3
EXIT_DAMAGED = 4


def acquire_lock(folder: Path) -> QLockFile | None:
    """Lock the library folder for this process; None when another instance holds it.

    Raises OSError when the folder cannot be made or its lock file cannot be
    written (a read-only folder is not "open in another window").
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "readinglist.lock"
    if not os.access(folder, os.W_OK):
        # A read-only library can still be browsed: lock it in the temporary
        # folder instead, still one window per library.
        digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"readinglist-{digest}.lock"
    lock = QLockFile(str(path))
    # A lock left by a crashed process is taken over after Qt finds it stale.
    lock.setStaleLockTime(0)
    if lock.tryLock(200):
        return lock
    if lock.error() == QLockFile.LockError.PermissionError:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    return None


def snapshot_label(snapshot: Snapshot) -> str:
    """``"2025-03-02 14:05 (1,234 papers)"``: when a snapshot was taken and what it holds."""
    when = snapshot.taken.astimezone().strftime("%Y-%m-%d %H:%M")
    if snapshot.papers is None:
        return when
    return f"{when} ({snapshot.papers:,} paper{'s' if snapshot.papers != 1 else ''})"


# --- long work behind a modal dialog ---------------------------------------------------

# What the core's backup and restore stages mean to a user.
_STAGE_WORDS = {"backup": "copying", "compress": "compressing", "unpack": "unpacking"}


def progress_text(progress: Progress) -> str:
    """A backup or restore stage in words: ``"compressing 36%"``.

    Pages, then bytes: a percentage says more than either count.  Once a
    backup is unpacked the core checks it (unreported, a moment at 100,000
    papers), so the line says that rather than sitting at 100%.
    """
    stage, done, total = progress.stage, progress.done, progress.total
    if stage == "unpack" and total > 0 and done >= total:
        return "checking the backup…"
    word = _STAGE_WORDS.get(stage)
    if word is None:
        return progress.describe()
    return f"{word} {100 * done // total}%" if total > 0 else word


class _BusyDialog(QProgressDialog):
    """A progress dialog without Cancel that cannot be closed: the work must not stop halfway."""

    def __init__(self, title: str, label: str, parent: QWidget | None) -> None:
        super().__init__(label, "", 0, 0, parent)
        self.setObjectName("busyDialog")
        self.setWindowTitle(title)
        self.setCancelButton(None)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumWidth(420)
        self._label = label

    def show_progress(self, progress: Progress) -> None:
        self.setLabelText(f"{self._label}\n{progress_text(progress)}".strip())
        if progress.total > 0:
            self.setRange(0, progress.total)
            self.setValue(min(progress.done, progress.total))

    def reject(self) -> None:
        pass  # Escape: the work goes on, and so does the dialog.

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()


def run_modal(parent: QWidget | None, title: str, label: str, work: Callable[[Progress], T]) -> T:
    """Run ``work(progress)`` in a worker thread behind a modal progress dialog.

    Returns its value or raises its exception, on the GUI thread.  The event
    loop keeps running meanwhile (the dialog's bar moves, windows repaint),
    but the dialog is application-modal, so nothing else can be started.
    """
    dialog = _BusyDialog(title, label, parent)
    shown = Progress()
    outcome: dict[str, Any] = {}
    loop = QEventLoop()

    def progressed(stage: str, done: int, total: int) -> None:
        shown.report(stage, done, total)
        dialog.show_progress(shown)

    handle = run_in_background(
        work,
        on_success=lambda value: outcome.setdefault("value", value),
        on_failure=lambda exc: outcome.setdefault("error", exc),
        on_cancelled=lambda: outcome.setdefault("error", Cancelled()),
        on_progress=progressed,
    )
    handle.finished.connect(loop.quit)
    QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    dialog.show()
    try:
        if handle.is_running():
            loop.exec()
        # The app may quit while we wait (a signal asks it to): the work must
        # still end before anyone touches the library again.
        if handle.is_running():
            handle.wait(600_000)
    finally:
        QApplication.restoreOverrideCursor()
        dialog.hide()
        dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


# --- the dialog --------------------------------------------------------------------------


class Choice(Enum):
    """What the user chose in :class:`LibraryProblemDialog`."""

    RESTORE = "restore"
    SALVAGE = "salvage"
    OTHER = "other"
    QUIT = "quit"


_HEADLINES = {
    State.MISSING: "The library database is missing",
    State.EMPTY: "The library database is empty",
    State.DAMAGED: "The library database is damaged",
}


_REASONS = {
    State.MISSING: "the file is gone, though this folder holds a library "
    "(its search index or backups are still here)",
    State.EMPTY: "the file is empty (0 bytes)",
}


class LibraryProblemDialog(QDialog):
    """Names the library file and what is wrong with it, and asks what to do.

    One button per way out: restore the newest backup (when there is one),
    salvage (when the file is damaged, not missing), open another library,
    quit.  :meth:`ask` returns the :class:`Choice`; closing the dialog quits.
    """

    def __init__(
        self,
        headline: str,
        problem: str,
        *,
        path: Path | None = None,
        backup: Snapshot | None = None,
        salvage: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("libraryProblem")
        self.setWindowTitle(APP_NAME)
        self.setModal(True)
        self.setMinimumWidth(560)
        self.choice = Choice.QUIT
        layout = QVBoxLayout(self)
        layout.setSpacing(10)

        top = QHBoxLayout()
        art = QLabel()
        art.setPixmap(
            self.style()
            .standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning, None, self)
            .pixmap(48, 48)
        )
        art.setAlignment(Qt.AlignmentFlag.AlignTop)
        top.addWidget(art)
        words = QVBoxLayout()
        title = QLabel(headline)
        title.setObjectName("headline")
        title.setTextFormat(Qt.TextFormat.PlainText)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        words.addWidget(title)
        # The path and the reason come from the disk: plain text, selectable to copy.
        self.problem = QLabel(f"File: {path}\nProblem: {problem}" if path else problem)
        self.problem.setObjectName("problem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words.addWidget(self.problem)
        calm = QLabel("Nothing has been changed. What would you like to do?")
        calm.setTextFormat(Qt.TextFormat.PlainText)
        words.addWidget(calm)
        top.addLayout(words, 1)
        layout.addLayout(top)

        self.buttons: dict[Choice, QPushButton] = {}
        if backup is not None:
            self._command(
                Choice.RESTORE,
                f"Restore backup from {snapshot_label(backup)}",
                "Put this backup in place of the database. The current file is kept "
                "aside, not deleted; changes made after the backup are not in it.",
                layout,
            )
        if salvage:
            self._command(
                Choice.SALVAGE,
                "Salvage",
                "Copy every paper, tag and note that can still be read into a new "
                "database. The damaged file is kept aside.",
                layout,
            )
        self._command(
            Choice.OTHER,
            "Open another library…",
            "Choose another folder. Nothing in this one is changed.",
            layout,
        )
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        quit_button = QPushButton("Quit")
        quit_button.setObjectName("quit")
        quit_button.clicked.connect(lambda: self._choose(Choice.QUIT))
        # The safe answer is the default: Enter never replaces anything.
        quit_button.setDefault(True)
        self.buttons[Choice.QUIT] = quit_button
        bottom.addWidget(quit_button)
        layout.addLayout(bottom)

    @classmethod
    def for_health(cls, health: Health, parent: QWidget | None = None) -> LibraryProblemDialog:
        """The dialog for a library :func:`~readinglist.core.health.examine` found unusable."""
        # The file and what is wrong with it on lines of their own (problem() joins them).
        reason = _REASONS.get(health.state) or health.detail or health.problem()
        return cls(
            _HEADLINES.get(health.state, "The library cannot be opened"),
            reason,
            path=health.db_path,
            backup=health.newest_backup,
            salvage=health.state is State.DAMAGED,
            parent=parent,
        )

    def _command(self, choice: Choice, text: str, description: str, layout: QVBoxLayout) -> None:
        button = QCommandLinkButton(text, description)
        button.setObjectName(choice.value)
        button.setAutoDefault(False)
        button.clicked.connect(lambda: self._choose(choice))
        self.buttons[choice] = button
        layout.addWidget(button)

    def _choose(self, choice: Choice) -> None:
        self.choice = choice
        self.accept()

    def reject(self) -> None:
        self.choice = Choice.QUIT
        super().reject()

    def ask(self) -> Choice:
        """Show the dialog and return what the user chose."""
        self.choice = Choice.QUIT
        self.exec()
        return self.choice


# --- opening -------------------------------------------------------------------------------


@dataclass
class Opened:
    """A library opened by :func:`open_library`, the folder and the lock it holds."""

    lib: Library
    folder: Path
    lock: QLockFile
    #: What recovery did on the way (the window shows it), or "".
    message: str = ""


def _message(parent: QWidget | None, icon: QMessageBox.Icon, text: str) -> None:
    box = QMessageBox(icon, APP_NAME, text, parent=parent)
    box.setObjectName("recoveryMessage")
    # Paths and SQLite's words come from outside: never markup.
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def open_library(folder: Path, lock: QLockFile, parent: QWidget | None = None) -> Opened | int:
    """Open the library in *folder* (locked by *lock*), recovering it with the user if needed.

    While the database is missing, empty or damaged the user is asked what to
    do (:class:`LibraryProblemDialog`); restoring and salvaging run behind a
    modal progress dialog.  Returns the opened library, or the exit status
    when the user quits; then every lock taken here has been released (the
    caller's *lock* is owned by this function from the start).
    """
    message = ""
    while True:
        try:
            lib = Library(folder, sync_index=False, background_index=True)
            return Opened(lib, folder, lock, message)
        except LibraryDamaged as exc:
            health = exc.health
            log.warning("cannot open the library: %s", health.problem())
            dialog = LibraryProblemDialog.for_health(health, parent)
            offered = health.newest_backup
            status = EXIT_DAMAGED
        except Exception as exc:  # the environment's faults; a bug goes on to the hook
            failure = classify(exc, folder)
            if failure.bug:
                lock.unlock()
                raise
            log.warning("cannot open the library: %s", failure.message)
            dialog = LibraryProblemDialog("The library cannot be opened", failure.message)
            offered = None
            status = EXIT_ENVIRONMENT
        choice = dialog.ask()
        dialog.deleteLater()
        if choice is Choice.QUIT:
            lock.unlock()
            return status
        if choice is Choice.OTHER:
            switched = _choose_other(folder, parent)
            if switched is not None:
                lock.unlock()
                folder, lock = switched
                message = ""
            continue
        try:
            message = _recover(choice, folder, offered, parent)
        except Exception as exc:
            failure = classify(exc, folder)
            if failure.bug:
                lock.unlock()
                raise
            # The backup itself is damaged, the disk is full...: say so and ask again.
            log.warning("recovery failed: %s", failure.message)
            _message(parent, QMessageBox.Icon.Warning, failure.message)


def _recover(choice: Choice, folder: Path, offered: Snapshot | None, parent: QWidget | None) -> str:
    """Restore (the *offered* snapshot) or salvage *folder*'s database; say what was done."""
    # This process holds the folder's lock; nobody else has the library open.
    me = os.getpid()
    if choice is Choice.RESTORE:
        # The snapshot the button named, even if a newer one appeared meanwhile.
        name = offered.name if offered is not None else None
        restored = run_modal(
            parent,
            "Restoring a backup",
            "Restoring the backup…",
            lambda progress: restore_backup(folder, name, progress, allow_pid=me),
        )
        text = restored_text(restored)
        log.info("%s", text)
        return text
    salvaged = run_modal(
        parent,
        "Salvaging the library",
        "Copying what can still be read into a new database…",
        lambda _progress: salvage_library(folder, allow_pid=me),
    )
    log.info("%s", salvaged.describe())
    return salvage_text(salvaged)


def restored_text(restored: Restored) -> str:
    """What a restore did, for the user."""
    text = f"Restored the backup from {snapshot_label(restored.snapshot)}."
    aside = restored.set_aside
    if aside is not None:
        text += f"\n\nThe replaced database is kept as {aside.name} in {aside.parent}."
    return text


def salvage_text(salvaged: Salvaged) -> str:
    """What a salvage recovered, for the user (the core's describe() names tables)."""
    rows = salvaged.rows
    counts = ", ".join(
        f"{rows.get(table, 0):,} {word}"
        for table, word in (("papers", "papers"), ("tags", "tags"), ("notes", "notes"))
    )
    lines = [f"Salvaged {counts} from the damaged database."]
    if salvaged.lost or salvaged.dropped:
        lines.append(
            "Some of it could not be read: what was stored there is lost, unless a backup has it."
        )
    aside = salvaged.set_aside
    lines.append(f"The damaged file is kept as {aside.name} in {aside.parent}.")
    return "\n\n".join(lines)


def _choose_other(folder: Path, parent: QWidget | None) -> tuple[Path, QLockFile] | None:
    """Ask for another library folder and lock it; None when cancelled or locked."""
    name = QFileDialog.getExistingDirectory(parent, "Open another library", str(folder.parent))
    if not name:
        return None
    other = Path(name)
    if other.resolve() == folder.resolve():
        return None  # The same folder: look at it again.
    try:
        lock = acquire_lock(other)
    except OSError as exc:
        _message(parent, QMessageBox.Icon.Warning, classify(exc, other).message)
        return None
    if lock is None:
        _message(
            parent,
            QMessageBox.Icon.Warning,
            f"The library at {other} is already open in another Reading List window.",
        )
        return None
    return other, lock
