"""Every piece of background work the main window starts, and its status-bar display.

Owns: :class:`JobController`, through which the window starts *all* its
background tasks (queries, the start-up index check, imports, exports, index
rebuilds), so that closing the window can cancel and wait for every one of
them and no thread is left writing to a library about to be closed; the
status-bar widgets (stage label, progress bar, Cancel) of the one long,
user-visible *job* allowed at a time; and :class:`IndexJobs`, the start-up
index check and the "Rebuild search index" command.

Progress text comes from the core's :meth:`Progress.describe`, so the status
bar and the command line word a stage the same way.  A job's failure is told
as :func:`readinglist.gui.errors.classify` decides, the same rule as the
app's exception hook: the environment's faults in one line, bugs with their
traceback.  A job whose work returns although Cancel was pressed (too late:
past an import's commit) is delivered as done, with
:attr:`JobController.cancel_requested` set so its caller can say so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QStatusBar, QToolButton, QWidget

from .. import APP_NAME
from ..core.progress import Cancelled, Progress
from ..library import Library
from ..search import IndexCheck
from .errors import classify
from .workers import ProgressCallback, TaskHandle, run_in_background

__all__ = ["ErrorReporter", "IndexJobs", "JobController"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# How the window tells the user something failed: message, optional exception.
ErrorReporter = Callable[[str, BaseException | None], None]

CANCELLED_MESSAGE = "Cancelled: nothing was changed."


class JobController(QObject):
    """Starts and tracks the window's background tasks; shows the running job.

    :meth:`start` runs any task (a query, the index check) and remembers it
    until its outcome is delivered.  :meth:`run` runs a *job*: a long task
    the user sees in the status bar with a progress bar and a Cancel button;
    one at a time, since two imports racing for the write lock would only
    confuse.  :meth:`shutdown` cancels and waits for everything started here.
    """

    #: The status text of the running job changed (already shown in the status bar).
    progressed = Signal(str)
    #: A job started (True) or ended (False).
    busyChanged = Signal(bool)

    def __init__(
        self,
        status_bar: QStatusBar,
        report_error: ErrorReporter,
        parent: QWidget,
        *,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        # The library's folder, named by messages about the environment's faults.
        self._folder = folder
        self._status_bar = status_bar
        self._report_error = report_error
        # Keyed by id(): what is tracked is the handle itself, whatever its equality.
        self._tasks: dict[int, TaskHandle] = {}
        self._job: TaskHandle | None = None
        self._closing = False
        # A GUI-side copy of the job's progress, only for its describe().
        self._shown = Progress()
        self._prefix = ""
        self._describe: Callable[[Progress], str] | None = None
        # Set while a job's on_done runs if Cancel was pressed for it (see cancel_requested).
        self._cancel_requested = False
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.bar.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.label, self.bar, self.cancel_button):
            status_bar.addPermanentWidget(widget)

    # --- any task ------------------------------------------------------------------

    @property
    def closing(self) -> bool:
        """True once :meth:`shutdown` began: results are no longer shown."""
        return self._closing

    def start(
        self,
        fn: Callable[[Progress], T],
        *,
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> TaskHandle | None:
        """Run ``fn(progress)`` in the background and track it; None once closing."""
        if self._closing:
            return None
        handle = run_in_background(
            fn,
            on_success=on_success,
            on_failure=on_failure,
            on_cancelled=on_cancelled,
            on_progress=on_progress,
        )
        key = id(handle)
        self._tasks[key] = handle
        handle.finished.connect(lambda: self._tasks.pop(key, None))
        return handle

    def tasks(self) -> list[TaskHandle]:
        """The tasks started here whose outcome has not been delivered yet."""
        return list(self._tasks.values())

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel every tracked task and wait for all of them; False on timeout.

        Their outcomes are delivered here (callbacks see :attr:`closing`).
        Cancelling rolls back an import that has not committed yet; one that
        has committed finishes its indexing first, which is why this waits.
        """
        self._closing = True
        tasks = self.tasks()
        for task in tasks:
            task.cancel()
        ok = True
        for task in tasks:
            if not task.wait(timeout_ms):
                log.warning("a background task did not stop within %d ms", timeout_ms)
                ok = False
        return ok

    # --- the one visible job -----------------------------------------------------------

    def busy(self) -> bool:
        """True while a job (import, export, rebuild) runs."""
        return self._job is not None and self._job.is_running()

    def run(
        self,
        title: str,
        work: Callable[[Progress], T],
        on_done: Callable[[T], None],
        *,
        prefix: str = "",
        cancelled_message: str = CANCELLED_MESSAGE,
        describe: Callable[[Progress], str] | None = None,
        on_error: Callable[[BaseException], str | None] | None = None,
    ) -> bool:
        """Run *work* as the visible job; False (after telling the user) if one runs.

        *title* shows until the first progress report; then the label reads
        ``"<prefix> <progress.describe()>"`` (or ``describe(progress)``).
        *on_done* gets the result on the GUI thread.  *on_error* may turn a
        failure the caller expects into the one line to show (no traceback);
        it returns None for anything else, which :meth:`_failed` reports.
        """
        if self._closing:
            return False
        if self.busy():
            QMessageBox.information(
                self._window, APP_NAME, "Another import, export or rebuild is still running."
            )
            return False
        self._shown = Progress()
        self._prefix = prefix
        self._describe = describe
        self.label.setText(title)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)

        def done(value: T) -> None:
            # self._job is this job's handle: the next cannot start before this is delivered.
            asked = self._job is not None and self._job.is_cancel_requested()
            self._end()
            self._cancel_requested = asked
            try:
                on_done(value)
            finally:
                self._cancel_requested = False

        def cancelled() -> None:
            self._end()
            self._status_bar.showMessage(cancelled_message, 6000)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                cancelled()
                return
            self._end()
            message = on_error(exc) if on_error is not None else None
            if message is None:
                self._failed(exc)
            else:
                log.warning("%s", message)
                self._report_error(message, None)

        self._job = self.start(
            work, on_success=done, on_failure=failed, on_cancelled=cancelled, on_progress=self._show
        )
        self.busyChanged.emit(True)
        return True

    @property
    def cancel_requested(self) -> bool:
        """True while a job's *on_done* runs if Cancel was pressed for that job.

        The work returned normally all the same: it had passed its point of
        no return (an import's commit) or had already finished when the
        cancel came, or it stopped early and returned what it had done.
        *on_done* tells which and says so, rather than the Cancel being
        silently ignored.  False at any other time.
        """
        return self._cancel_requested

    def cancel(self) -> None:
        """Ask the running job to stop at its next safe point."""
        if self._job is not None and self._job.is_running():
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def _show(self, stage: str, done: int, total: int) -> None:
        self._shown.report(stage, done, total)
        if self._describe is not None:
            text = self._describe(self._shown)
        else:
            text = f"{self._prefix} {self._shown.describe()}".strip()
        if self._job is None or not self._job.is_cancel_requested():
            # Once cancelled, "Cancelling…" stays up rather than a stage being abandoned.
            self.label.setText(text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        self.progressed.emit(text)

    def _end(self) -> None:
        self.bar.hide()
        self.cancel_button.hide()
        self.label.clear()
        self.busyChanged.emit(False)

    def _failed(self, exc: BaseException) -> None:
        # The same rule as the app's exception hook (errors.classify): a full
        # disk or a read-only folder is one line, only a bug shows a traceback.
        failure = classify(exc, self._folder)
        if not failure.bug:
            log.warning("background job: %s", failure.message)
            self._report_error(failure.message, None)
            return
        log.error("background job failed", exc_info=exc)
        self._report_error(f"The operation failed: {failure.message}", exc)


class IndexJobs:
    """The search index's upkeep: the start-up check and the Rebuild command.

    The library is opened without checking its index (so the window shows at
    once); :meth:`check` does it in the background, tracked like any task so
    closing the window cancels it instead of leaving it writing.
    """

    def __init__(
        self,
        lib: Library,
        jobs: JobController,
        status_bar: QStatusBar,
        on_repaired: Callable[[], Any],
    ) -> None:
        self._lib = lib
        self._jobs = jobs
        self._status_bar = status_bar
        self._on_repaired = on_repaired
        self.check_task: TaskHandle | None = None

    def check(self) -> None:
        """Bring the index in step with the database in the background."""
        lib = self._lib

        def done(check: IndexCheck) -> None:
            if self._jobs.closing:
                return
            if not check.ok or lib.index.repairs:
                self._status_bar.showMessage("Search index repaired.", 5000)
                self._on_repaired()

        self.check_task = self._jobs.start(
            lib.sync_index,
            on_success=done,
            on_failure=lambda exc: log.error("index check: %s", exc),
        )

    def rebuild(self) -> bool:
        """Drop the index and refill it from the database, as the visible job."""
        lib = self._lib

        def work(progress: Progress) -> int:
            written = lib.rebuild_index(progress)
            # A cancelled rebuild returns early rather than raising: say so.
            progress.check()
            return written

        def done(written: int) -> None:
            self._status_bar.showMessage(f"Search index rebuilt ({written} papers).", 6000)
            self._on_repaired()

        return self._jobs.run(
            "Rebuilding the search index…",
            work,
            done,
            prefix="Search index:",
            cancelled_message="Rebuild cancelled: the index is completed at the next start.",
        )
