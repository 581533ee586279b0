"""Tests of the background-work helper: outcomes, progress, cancel, teardown."""

from __future__ import annotations

import gc
import threading
import time

from PySide6.QtCore import QCoreApplication, QThread, QThreadPool
from pytestqt.qtbot import QtBot

from readinglist.gui import workers
from readinglist.gui.workers import Progress, TaskState, run_in_background, running_tasks
from readinglist.library import Cancelled


def gui_thread() -> QThread:
    app = QCoreApplication.instance()
    assert app is not None
    return app.thread()


class Recorder:
    """Collects callbacks and the thread each one ran on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.threads: list[QThread] = []

    def _note(self, name: str, value: object) -> None:
        self.calls.append((name, value))
        self.threads.append(QThread.currentThread())

    def success(self, value: object) -> None:
        self._note("success", value)

    def failure(self, exc: BaseException) -> None:
        self._note("failure", exc)

    def cancelled(self) -> None:
        self._note("cancelled", None)

    def progress(self, stage: str, done: int, total: int) -> None:
        self._note("progress", (stage, done, total))

    def kinds(self) -> list[str]:
        return [name for name, _ in self.calls]

    def all_on_gui_thread(self) -> bool:
        return all(t is gui_thread() for t in self.threads)


def start(fn: workers.Callable[[Progress], object], rec: Recorder) -> workers.TaskHandle:
    return run_in_background(
        fn,
        on_success=rec.success,
        on_failure=rec.failure,
        on_cancelled=rec.cancelled,
        on_progress=rec.progress,
    )


def test_success_value_arrives_on_gui_thread(qtbot: QtBot) -> None:
    rec = Recorder()
    ran_in: list[QThread] = []

    def fn(progress: Progress) -> int:
        ran_in.append(QThread.currentThread())
        return 42

    handle = start(fn, rec)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert rec.calls == [("success", 42)]
    assert rec.all_on_gui_thread()
    assert ran_in and ran_in[0] is not gui_thread()
    assert not handle.is_running()
    assert handle.state == TaskState.SUCCEEDED
    assert handle not in running_tasks()


def test_failure_delivers_the_exception(qtbot: QtBot) -> None:
    rec = Recorder()

    def fn(progress: Progress) -> None:
        raise ValueError("broken file")

    handle = start(fn, rec)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert rec.kinds() == ["failure"]
    exc = rec.calls[0][1]
    assert isinstance(exc, ValueError) and str(exc) == "broken file"
    assert exc.__traceback__ is not None  # Kept for the error dialog's details.
    assert rec.all_on_gui_thread()
    assert handle.state == TaskState.FAILED


def test_unhandled_failure_reaches_excepthook(qtbot: QtBot) -> None:
    def fn(progress: Progress) -> None:
        raise RuntimeError("nobody listens")

    with qtbot.captureExceptions() as caught:
        handle = run_in_background(fn, on_success=lambda _v: None)
        with qtbot.waitSignal(handle.finished, timeout=5000):
            pass
    assert len(caught) == 1
    assert isinstance(caught[0][1], RuntimeError)


def test_progress_reports_arrive_on_gui_thread(qtbot: QtBot) -> None:
    rec = Recorder()

    def fn(progress: Progress) -> str:
        progress.report("parse", 0, 3)
        progress.report("parse", 3, 3)
        progress.report("index", 0, 0)
        return "done"

    handle = start(fn, rec)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    # A new stage and a stage's last step always get through the throttle.
    assert rec.calls == [
        ("progress", ("parse", 0, 3)),
        ("progress", ("parse", 3, 3)),
        ("progress", ("index", 0, 0)),
        ("success", "done"),
    ]
    assert rec.all_on_gui_thread()


def test_progress_is_throttled(qtbot: QtBot) -> None:
    rec = Recorder()
    elapsed: list[float] = []

    def fn(progress: Progress) -> None:
        t0 = time.monotonic()
        for i in range(20_000):
            progress.report("work", i, 100_000)
        elapsed.append(time.monotonic() - t0)

    handle = start(fn, rec)
    with qtbot.waitSignal(handle.finished, timeout=10_000):
        pass
    reports = rec.kinds().count("progress")
    allowed = 1 + elapsed[0] * workers.MAX_PROGRESS_RATE + 1
    assert 1 <= reports <= allowed


def test_cancel_leads_to_on_cancelled(qtbot: QtBot) -> None:
    rec = Recorder()
    started = threading.Event()
    loops: list[int] = []

    def fn(progress: Progress) -> str:
        n = 0
        started.set()
        while not progress.cancelled():
            n += 1
        loops.append(n)
        raise Cancelled()

    handle = start(fn, rec)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert handle.is_running()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        handle.cancel()
    assert rec.kinds() == ["cancelled"]
    assert rec.all_on_gui_thread()
    assert handle.state == TaskState.CANCELLED
    assert loops  # The function saw the flag and stopped by itself.


def test_check_raises_cancelled(qtbot: QtBot) -> None:
    rec = Recorder()
    started = threading.Event()

    def fn(progress: Progress) -> None:
        started.set()
        while True:
            progress.check()

    handle = start(fn, rec)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        handle.cancel()
    assert rec.kinds() == ["cancelled"]


def test_cancelled_before_start_never_runs(qtbot: QtBot) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    release = threading.Event()
    ran: list[str] = []
    rec = Recorder()
    blocker = run_in_background(lambda _p: release.wait(5), on_success=lambda _v: None, pool=pool)
    queued = run_in_background(
        lambda _p: ran.append("ran"),
        on_success=rec.success,
        on_cancelled=rec.cancelled,
        pool=pool,
    )
    queued.cancel()
    release.set()
    with qtbot.waitSignal(queued.finished, timeout=5000):
        pass
    assert ran == []
    assert rec.kinds() == ["cancelled"]
    assert blocker.wait(5000)
    pool.waitForDone(5000)


def test_finishing_despite_cancel_counts_as_success(qtbot: QtBot) -> None:
    rec = Recorder()
    started = threading.Event()
    go = threading.Event()

    def fn(progress: Progress) -> str:
        started.set()
        go.wait(5)
        return "committed"  # Ignores the flag: its work was done, so success.

    handle = start(fn, rec)
    qtbot.waitUntil(started.is_set, timeout=5000)
    handle.cancel()
    assert handle.is_cancel_requested()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        go.set()
    assert rec.calls == [("success", "committed")]


def test_wait_blocks_then_delivers_once(qtbot: QtBot) -> None:
    rec = Recorder()
    go = threading.Event()
    handle = start(lambda _p: go.wait(5) and "value", rec)
    assert handle.wait(10) is False  # Still blocked: times out.
    assert handle.is_running()
    go.set()
    assert handle.wait(5000) is True
    # Delivered synchronously by wait(): no event loop turn needed.
    assert rec.calls == [("success", "value")]
    assert not handle.is_running()
    # The queued notification that follows must not deliver a second time.
    assert QThreadPool.globalInstance().waitForDone(5000)
    QCoreApplication.processEvents()
    assert rec.calls == [("success", "value")]


def test_dropped_handle_still_delivers(qtbot: QtBot) -> None:
    results: list[object] = []
    run_in_background(lambda _p: "kept alive", on_success=results.append)
    gc.collect()
    qtbot.waitUntil(lambda: results == ["kept alive"], timeout=5000)
    assert running_tasks() == []


def test_wait_for_all_cancels_and_waits(qtbot: QtBot) -> None:
    rec = Recorder()
    started = threading.Event()

    def fn(progress: Progress) -> None:
        started.set()
        while not progress.cancelled():
            pass
        raise Cancelled()

    start(fn, rec)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert workers.wait_for_all(5000)
    assert rec.kinds() == ["cancelled"]
    assert running_tasks() == []


def test_installed_pyside_does_not_leak_true_on_emit(qtbot: QtBot) -> None:
    """PySide6 6.12.0 leaks a reference to True per emit (excluded in pyproject.toml)."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal(int)

    emitter = Emitter()
    got: list[int] = []
    emitter.ping.connect(got.append)
    emitter.ping.emit(0)
    before = sys.getrefcount(True)
    for i in range(2000):
        emitter.ping.emit(i)
    assert sys.getrefcount(True) >= before
    assert len(got) == 2001


def test_library_long_operation_with_progress_and_cancel(qtbot: QtBot, lib: object) -> None:
    """The library's long operations take the worker's Progress as it is."""
    from readinglist.library import Library

    assert isinstance(lib, Library)
    rec = Recorder()
    handle = start(lib.rebuild_index, rec)
    with qtbot.waitSignal(handle.finished, timeout=30_000):
        pass
    assert rec.kinds()[-1] == "success"
    assert rec.calls[-1][1] == lib.count()
