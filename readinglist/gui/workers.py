"""The one helper for background work in the GUI (after Anki's ``QueryOp``).

:func:`run_in_background` runs a function in a :class:`QThreadPool` thread
and delivers its outcome back on the GUI thread:

* ``on_success(value)`` when the function returns,
* ``on_failure(exc)`` when it raises,
* ``on_cancelled()`` when it raises :class:`readinglist.core.progress.Cancelled`
  (the core's way of saying "stopped early, nothing changed"),
* ``on_progress(stage, done, total)`` while it runs, throttled.

The background function receives the core's
:class:`~readinglist.core.progress.Progress` (the same object the library's
long operations take) and nothing else from Qt.  **It must never touch
widgets, models or any other QObject owned by the GUI thread**: read what it
needs before starting, return plain data, and let the callbacks (which
always run on the GUI thread) update the interface.

Cancellation is cooperative: :meth:`TaskHandle.cancel` only sets a flag that
the function polls with :meth:`Progress.cancelled` or :meth:`Progress.check`
(the library's long operations do so when handed the progress).  A function that
finishes its work despite a cancel request still counts as a success, because
its changes were made.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool, Signal

from readinglist.core.progress import Cancelled, Progress

__all__ = [
    "Progress",
    "ProgressCallback",
    "TaskHandle",
    "TaskState",
    "run_in_background",
    "running_tasks",
    "wait_for_all",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

ProgressCallback = Callable[[str, int, int], None]

# At most this many progress signals per second reach the GUI thread: a loop
# reporting every item would otherwise flood the event queue and make the
# window *slower* than the work it is reporting on.
MAX_PROGRESS_RATE = 20.0


# --- tasks -------------------------------------------------------------------------


class TaskState:
    """The life stages of a task, as plain strings (handy in logs and tests)."""

    PENDING = "pending"  # queued or running in the pool
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class _Job:
    """The part of a task the worker thread sees: plain Python, no QObject.

    Keeping Qt objects out of the worker's hands means the last reference to
    a :class:`TaskHandle` is always dropped on the GUI thread; a QObject
    freed by a pool thread (its runnable releasing the last reference) would
    be deleted from the wrong thread.
    """

    def __init__(
        self, task_id: int, fn: Callable[[Progress], Any], dispatcher: _Dispatcher
    ) -> None:
        self.task_id = task_id
        # Long-lived and never deleted, so safe to post to from any thread.
        self.dispatcher = dispatcher
        self.fn: Callable[[Progress], Any] | None = fn
        self.cancel_event = threading.Event()
        # Set once *fn* has returned or raised, after the outcome is stored.
        self.returned = threading.Event()
        self.state = TaskState.PENDING
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        """Body run in the pool thread."""
        try:
            if self.cancel_event.is_set() or self.fn is None:
                # Cancelled while still queued: never start the work.
                raise Cancelled()
            progress = Progress(
                self._post_progress,
                min_interval=1.0 / MAX_PROGRESS_RATE,
                cancel_event=self.cancel_event,
            )
            self.value = self.fn(progress)
            self.state = TaskState.SUCCEEDED
        except Cancelled:
            self.state = TaskState.CANCELLED
        except BaseException as exc:  # Delivered to the GUI thread, never lost.
            self.error = exc
            self.state = TaskState.FAILED
        finally:
            # The outcome is stored before this is set: wait() may deliver it
            # from the GUI thread as soon as it sees the event.
            self.returned.set()
            QCoreApplication.postEvent(self.dispatcher, _TaskEvent(self.task_id, None))

    def _post_progress(self, stage: str, done: int, total: int) -> None:
        QCoreApplication.postEvent(self.dispatcher, _TaskEvent(self.task_id, (stage, done, total)))


# The worker reaches the GUI thread by posting events to one long-lived
# dispatcher rather than emitting signals: posting is thread-safe, needs no
# connection type to be right, and (unlike emit on PySide6 6.12.0) leaks
# nothing.  The dispatcher finds the handle by id, on the GUI thread.
_TASK_EVENT = QEvent.Type(QEvent.registerEventType())


class _TaskEvent(QEvent):
    def __init__(self, task_id: int, progress: tuple[str, int, int] | None) -> None:
        super().__init__(_TASK_EVENT)
        self.task_id = task_id
        # None means "the function has returned".
        self.progress = progress


class _Dispatcher(QObject):
    def event(self, event: QEvent) -> bool:
        if not isinstance(event, _TaskEvent):
            return super().event(event)
        handle = _IN_FLIGHT.get(event.task_id)
        if handle is not None:  # None: already delivered by wait().
            if event.progress is None:
                handle._deliver()
            else:
                handle._relay_progress(*event.progress)
        return True


_dispatcher: _Dispatcher | None = None


def _get_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
        app = QCoreApplication.instance()
        if app is not None:
            # Callbacks belong on the GUI thread even if the first task
            # happened to be started from elsewhere.
            _dispatcher.moveToThread(app.thread())
    return _dispatcher


# Handles whose outcome has not been delivered yet, by task id.  Holding them
# here keeps a handle (and the callbacks it carries) alive when the caller
# drops it, so a fire-and-forget task still reports back.
_IN_FLIGHT: dict[int, TaskHandle] = {}
_task_ids = itertools.count(1)


class TaskHandle(QObject):
    """A running background task: cancel it, ask whether it runs, wait for it.

    Not generic on purpose: callers store handles in attributes, and the
    result type only matters to the callbacks, which :func:`run_in_background`
    checks.

    ``finished`` is emitted on the GUI thread once, after the outcome callback
    (success, failure or cancelled) has run.
    """

    finished = Signal()

    def __init__(
        self,
        job: _Job,
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None] | None,
        on_cancelled: Callable[[], None] | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        super().__init__()
        self._job = job
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_cancelled = on_cancelled
        self._on_progress = on_progress
        self._delivered = False

    @property
    def state(self) -> str:
        """One of the :class:`TaskState` strings, as seen by the GUI thread."""
        return self._job.state if self._delivered else TaskState.PENDING

    def cancel(self) -> None:
        """Ask the task to stop; harmless after it finished.

        A task still waiting in the pool is skipped and reported as cancelled.
        """
        self._job.cancel_event.set()

    def is_cancel_requested(self) -> bool:
        return self._job.cancel_event.is_set()

    def is_running(self) -> bool:
        """True until the outcome has been delivered on the GUI thread."""
        return not self._delivered

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the function returns, then deliver its outcome at once.

        Meant for teardown (closing the window, ending a test) so nothing
        still runs against a library about to be closed.  Returns False on
        timeout.  Call it from the GUI thread only.
        """
        if not self._job.returned.wait(max(timeout_ms, 0) / 1000):
            return False
        # The "returned" event may still be queued; delivering now makes the
        # state final, and the dispatcher ignores the late event.
        self._deliver()
        return True

    def _relay_progress(self, stage: str, done: int, total: int) -> None:
        if self._on_progress is not None and not self._delivered:
            self._on_progress(stage, done, total)

    def _deliver(self) -> None:
        job = self._job
        if self._delivered or not job.returned.is_set():
            return
        self._delivered = True
        _IN_FLIGHT.pop(job.task_id, None)
        value, error = job.value, job.error
        # Drop the function and its result so what they captured can be freed.
        job.fn = None
        job.value = job.error = None
        try:
            if job.state == TaskState.SUCCEEDED:
                self._on_success(value)
            elif job.state == TaskState.CANCELLED:
                if self._on_cancelled is not None:
                    self._on_cancelled()
            elif error is not None:
                if self._on_failure is not None:
                    self._on_failure(error)
                else:
                    # Nobody handles it: hand it to the global hook, where the
                    # app shows its error dialog (and pytest-qt fails the test).
                    sys.excepthook(type(error), error, error.__traceback__)
        finally:
            self.finished.emit()


def run_in_background(
    fn: Callable[[Progress], T],
    *,
    on_success: Callable[[T], None],
    on_failure: Callable[[BaseException], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_progress: ProgressCallback | None = None,
    pool: QThreadPool | None = None,
) -> TaskHandle:
    """Run ``fn(progress)`` in a pool thread; call back on the GUI thread.

    *fn* must not touch any widget or GUI-owned QObject: it gets a
    :class:`Progress` and returns a value.  Call this from the GUI thread of
    a running Qt application; every callback then runs there.  Without
    *on_failure*, an exception is passed to :data:`sys.excepthook`.  Without
    *on_cancelled*, a cancelled task just ends quietly.
    """
    job = _Job(next(_task_ids), fn, _get_dispatcher())
    handle = TaskHandle(job, on_success, on_failure, on_cancelled, on_progress)
    _IN_FLIGHT[job.task_id] = handle
    # The pool wraps the bound method in a runnable it owns and deletes; the
    # runnable holds only the plain _Job, never the handle.
    (pool or QThreadPool.globalInstance()).start(job.run)
    return handle


def running_tasks() -> list[TaskHandle]:
    """Tasks whose outcome has not been delivered yet."""
    return list(_IN_FLIGHT.values())


def wait_for_all(timeout_ms: int = 30_000, *, cancel: bool = True) -> bool:
    """Cancel (by default) and wait for every task; for shutdown and tests.

    Returns False if some task was still running when *timeout_ms* ran out.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    tasks = running_tasks()
    if cancel:
        for task in tasks:
            task.cancel()
    ok = True
    for task in tasks:
        left = int((deadline - time.monotonic()) * 1000)
        if not task.wait(max(left, 0)):
            log.warning("background task still running after %d ms", timeout_ms)
            ok = False
    return ok
