"""Backups from the window: File → Back up now / Restore from backup…, and the daily one.

Owns :class:`BackupController`:

* :meth:`~BackupController.back_up_now` takes a snapshot as the visible job
  (progress in the status bar);
* :meth:`~BackupController.daily` takes the daily snapshot behind the window
  once it is shown (~3 s at 100,000 papers, so never on the GUI thread);
* :meth:`~BackupController.run_guarded` runs a bulk destructive operation
  (empty the trash, merge or delete a tag) after a snapshot, both in the
  background; when no snapshot can be taken the operation is not done;
* :meth:`~BackupController.restore_dialog` lists the snapshots
  (:class:`RestoreDialog`) and, once the user confirms, hands the chosen one
  to :attr:`~BackupController.restore_handler`: replacing the database needs
  the library closed, which only the owner of the window and the library
  (:class:`readinglist.gui.session.Session`) can do.

The snapshots themselves are the core's (:mod:`readinglist.core.backups`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QStatusBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.backups import BackupError, Snapshot
from ..core.progress import Progress
from ..library import Library
from .errors import classify
from .jobs import JobController
from .recovery import progress_text, snapshot_label
from .widgets import confirm

__all__ = ["BackupController", "RestoreDialog", "describe_reason"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def describe_reason(reason: str) -> str:
    """``"before-empty-trash"`` → ``"before empty trash"``: why a snapshot was taken."""
    return reason.replace("-", " ")


def _describe_backup(progress: Progress) -> str:
    return f"Backing up: {progress_text(progress)}".rstrip(": ")


class RestoreDialog(QDialog):
    """Lists the library's snapshots (date, papers, reason, size) to choose one."""

    def __init__(self, snapshots: Sequence[Snapshot], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle("Restore from backup")
        self.setMinimumSize(620, 360)
        self.snapshots = list(snapshots)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Choose the backup to put in place of the library. The current database "
            "is kept aside in the library folder, not deleted."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QTreeWidget()
        self.list.setObjectName("snapshots")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Taken", "Papers", "Reason", "Size"])
        for snapshot in self.snapshots:
            papers = "?" if snapshot.papers is None else f"{snapshot.papers:,}"
            item = QTreeWidgetItem(
                [
                    snapshot.taken.astimezone().strftime("%Y-%m-%d %H:%M"),
                    papers,
                    describe_reason(snapshot.reason),
                    f"{snapshot.size / 1e6:.1f} MB",
                ]
            )
            for column in (1, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            item.setToolTip(0, str(snapshot.path))
            self.list.addTopLevelItem(item)
        header = self.list.header()
        header.setStretchLastSection(False)
        for column in range(4):
            self.list.resizeColumnToContents(column)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # The reason takes the spare width; numbers stay right-aligned next to it.
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header_item = self.list.headerItem()
        for column in (1, 3):
            header_item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
        self.list.itemDoubleClicked.connect(lambda *_: self.accept())
        layout.addWidget(self.list)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = box.addButton("Restore…", QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.list.currentItemChanged.connect(
            lambda item, _old: self.restore_button.setEnabled(item is not None)
        )
        newest = self.list.topLevelItem(0)
        if newest is not None:
            self.list.setCurrentItem(newest)
        self.restore_button.setEnabled(bool(self.snapshots))

    def chosen(self) -> Snapshot | None:
        """The snapshot picked in the list."""
        item = self.list.currentItem()
        if item is None:
            return None
        return self.snapshots[self.list.indexOfTopLevelItem(item)]


class BackupController(QObject):
    """The window's backup commands, the daily snapshot and guarded bulk deletions."""

    #: A snapshot was taken with File → Back up now (carries the Snapshot).
    backedUp = Signal(object)

    def __init__(
        self, lib: Library, jobs: JobController, window: QWidget, status_bar: QStatusBar
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._jobs = jobs
        self._window = window
        self._status_bar = status_bar
        #: Replaces the library with a snapshot (closing and reopening it); set by the session.
        self.restore_handler: Callable[[Snapshot], object] | None = None
        #: The last restore dialog shown (for tests).
        self.last_dialog: RestoreDialog | None = None

    # --- taking ----------------------------------------------------------------------

    def back_up_now(self) -> bool:
        """Take a snapshot as the visible job; False when it could not start."""
        lib = self._lib

        def done(snapshot: Snapshot) -> None:
            what = "the library" if snapshot.papers is None else f"{snapshot.papers:,} papers"
            self._status_bar.showMessage(f"Backed up {what} to {snapshot.path}", 10_000)
            self.backedUp.emit(snapshot)

        def work(progress: Progress) -> Snapshot:
            def relay(stage: str, done: int, total: int) -> None:
                # Raising here stops the copy; the core removes its partial files.
                progress.check()
                progress.report(stage, done, total)

            return lib.backup(Progress(relay))

        return self._jobs.run(
            "Backing up the library…",
            work,
            done,
            describe=_describe_backup,
            cancelled_message="Backup cancelled.",
        )

    def daily(self) -> None:
        """Take the daily snapshot in the background when one is due."""
        lib = self._lib

        def done(snapshot: Snapshot | None) -> None:
            if snapshot is not None:
                log.info("daily backup: %s", snapshot.path)

        def failed(exc: BaseException) -> None:
            failure = classify(exc, lib.folder)
            if failure.bug:
                log.error("daily backup failed", exc_info=exc)
            else:
                log.warning("no daily backup: %s", failure.message)
            if not self._jobs.closing:
                # Not a dialog at every start of a read-only library; the status bar says it.
                self._status_bar.showMessage(f"No daily backup: {failure.message}", 20_000)

        self._jobs.start(lambda _progress: lib.backup_if_due(), on_success=done, on_failure=failed)

    def run_guarded(
        self,
        operation: str,
        title: str,
        apply: Callable[[], T],
        on_done: Callable[[Snapshot, T], None],
        *,
        refused: str,
    ) -> bool:
        """Snapshot the library, then ``apply()``: both as the visible job.

        *operation* names the snapshot (``before-<operation>``); *refused*
        begins the message when no snapshot could be taken ("The trash was
        not emptied"), in which case *apply* never runs.  A Cancel during
        the snapshot stops before anything is deleted.  ``ValueError`` and
        ``KeyError`` from *apply* (a tag that is gone) are shown as they are.
        """
        lib = self._lib

        def work(progress: Progress) -> tuple[Snapshot, T]:
            progress.report("backing up the library")
            snapshot = lib.snapshot_before(operation)
            progress.check()
            progress.report(title.rstrip("…").lower())
            # The Library method takes its snapshot again: the one just taken
            # is reused unless something changed meanwhile.
            return snapshot, apply()

        def expected(exc: BaseException) -> str | None:
            if isinstance(exc, BackupError):
                return f"{refused}: no backup could be taken first. {exc}"
            if isinstance(exc, ValueError | KeyError):
                return str(exc.args[0] if exc.args else exc)
            return None

        return self._jobs.run(
            title,
            work,
            lambda result: on_done(*result),
            on_error=expected,
            cancelled_message="Cancelled: nothing was deleted.",
        )

    # --- restoring ---------------------------------------------------------------------

    def restore_dialog(self) -> None:
        """List the snapshots; restore the chosen one after the user confirms."""
        window = self._window
        if self._jobs.busy():
            QMessageBox.information(
                window,
                "Restore from backup",
                "An import, export or other job is still running; restore when it has finished.",
            )
            return
        snapshots = self._lib.backups.snapshots()
        if not snapshots:
            QMessageBox.information(
                window,
                "Restore from backup",
                "There are no backups of this library yet. File → Back up now makes one.",
            )
            return
        dialog = RestoreDialog(snapshots, window)
        self.last_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        snapshot = dialog.chosen()
        if snapshot is None or self.restore_handler is None:
            return
        when = snapshot.taken.astimezone().strftime("%Y-%m-%d %H:%M")
        if not confirm(
            window,
            "Restore from backup",
            f"Replace the library with the backup from {snapshot_label(snapshot)}?\n\n"
            f"Changes made after {when} will not be in the restored library. The current "
            "database is not deleted: it is kept as library.sqlite3.replaced-… in "
            f"{self._lib.folder}.",
        ):
            return
        self.restore_handler(snapshot)
