"""Issue 8 in the window: a damaged library at start, backups and restores from the File
menu, guarded bulk deletions, faults as one line, notes that survive every way out,
and file: links that open only when confirmed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import SIGNAL, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QSessionManager
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

from readinglist.core import backups as core_backups
from readinglist.core.backups import BackupError, Snapshot, state_of
from readinglist.core.query import Query
from readinglist.gui import app as app_module
from readinglist.gui import backups as backups_module
from readinglist.gui import recovery
from readinglist.gui import sidebar as sidebar_module
from readinglist.gui.backups import RestoreDialog
from readinglist.gui.detail import DetailPane
from readinglist.gui.main_window import MainWindow
from readinglist.gui.recovery import Choice, LibraryProblemDialog
from readinglist.gui.session import Session
from readinglist.library import Library
from readinglist.records import PaperData

from .conftest import open_window

SAMPLE = Path(__file__).parents[1] / "data" / "hf-trending-mar11.txt"

# The offscreen platform cannot do these window-system things and says so.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


# --- helpers ----------------------------------------------------------------------------


def _make_library(folder: Path, *, backup: bool = True) -> None:
    with Library(folder) as lib:
        lib.import_file(SAMPLE)
        if backup:
            lib.backup()


def _damage(folder: Path) -> Path:
    db = folder / "library.sqlite3"
    os.truncate(db, db.stat().st_size // 2)
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Answers:
    """Stands in for the user at the library-problem dialog: records it, clicks a button."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *choices: Choice) -> None:
        self.choices = list(choices)
        self.seen: list[tuple[str, dict[Choice, str]]] = []

        def fake_exec(dialog: LibraryProblemDialog) -> int:
            texts = {choice: button.text() for choice, button in dialog.buttons.items()}
            self.seen.append((dialog.problem.text(), texts))
            dialog.buttons[self.choices.pop(0)].click()
            return dialog.result()

        monkeypatch.setattr(LibraryProblemDialog, "exec", fake_exec)


class _Boxes:
    """Records every QMessageBox shown with exec() and answers with *button_text* (or closes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, button_text: str | None = None) -> None:
        self.shown: list[QMessageBox] = []
        self.texts: list[str] = []

        def fake_exec(box: QMessageBox) -> int:
            self.shown.append(box)
            self.texts.append(box.text())
            for button in box.buttons():
                if button_text is not None and button.text() == button_text:
                    button.click()
                    break
            return 0

        monkeypatch.setattr(QMessageBox, "exec", fake_exec)


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Session]]:
    """Sessions started by the test through app.start(), closed at the end.

    The app's exception hook stays pytest-qt's (so a slot's exception fails
    the test), the process-wide GC tuning is left alone, and a message box
    the test does not expect fails it.
    """
    monkeypatch.setattr(app_module, "install_excepthook", lambda _path: None)
    monkeypatch.setattr(app_module, "tune_gc", lambda: None)

    def unexpected(box: QMessageBox) -> int:
        # A modal box nobody answers would hang the test: fail it instead.
        raise AssertionError(f"unexpected message: {box.text()}")

    monkeypatch.setattr(QMessageBox, "exec", unexpected)
    started: list[Session] = []
    yield started
    for session in started:
        session.window.close()
        session.close()


def _start(folder: Path, sessions: list[Session]) -> Session | int:
    result = app_module.start(str(folder))
    if isinstance(result, Session):
        sessions.append(result)
    return result


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _record_threads(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Wrap ``owner.name`` to record, per call, whether it ran on the GUI thread."""
    real = getattr(owner, name)
    calls: list[bool] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(_on_gui_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


# --- 1. a damaged library at start ---------------------------------------------------------


def test_a_damaged_library_is_named_and_restored_from_its_backup(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder)
    db = _damage(folder)
    answers = _Answers(monkeypatch, Choice.RESTORE)
    # The restore runs in a worker while the GUI thread keeps turning: a timer
    # on the GUI thread must fire (and see the progress dialog) while it runs.
    real_restore = recovery.restore_backup
    gate = threading.Event()
    seen_busy: list[bool] = []
    threads = []

    def slow_restore(*args: Any, **kwargs: Any) -> Any:
        threads.append(_on_gui_thread())
        assert gate.wait(10), "the GUI thread was blocked during the restore"
        return real_restore(*args, **kwargs)

    def on_gui_thread() -> None:
        seen_busy.append(
            any(
                w.objectName() == "busyDialog" and w.isVisible()
                for w in QApplication.topLevelWidgets()
            )
        )
        gate.set()

    monkeypatch.setattr(recovery, "restore_backup", slow_restore)
    QTimer.singleShot(100, on_gui_thread)

    session = _start(folder, sessions)

    assert isinstance(session, Session)
    [(problem, buttons)] = answers.seen
    assert problem.startswith(f"File: {db}\nProblem: it is truncated (")
    assert set(buttons) == {Choice.RESTORE, Choice.SALVAGE, Choice.OTHER, Choice.QUIT}
    assert buttons[Choice.RESTORE].startswith("Restore backup from ")
    assert "101 papers" in buttons[Choice.RESTORE]
    assert (buttons[Choice.SALVAGE], buttons[Choice.OTHER], buttons[Choice.QUIT]) == (
        "Salvage",
        "Open another library…",
        "Quit",
    )
    assert threads == [False] and seen_busy == [True]
    assert session.lib.count() == 101
    assert session.window.isVisible()
    assert session.window.last_info is not None
    told = session.window.last_info.text()
    assert told.startswith("Restored the backup from ") and "replaced-" in told
    session.window.last_info.close()
    # The damaged file was put aside, not deleted.
    assert list(folder.glob("library.sqlite3.replaced-*"))


def test_quit_leaves_a_damaged_library_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder)
    db = _damage(folder)
    before = sorted(p.name for p in folder.iterdir())
    digest = _digest(db)
    _Answers(monkeypatch, Choice.QUIT)
    assert _start(folder, sessions) == recovery.EXIT_DAMAGED
    assert _digest(db) == digest
    assert sorted(p.name for p in folder.iterdir()) == before
    # The lock was released: another start may take it.
    lock = recovery.acquire_lock(folder)
    assert lock is not None
    lock.unlock()


def test_salvage_shows_what_it_saved_then_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder, backup=False)
    _damage(folder)
    answers = _Answers(monkeypatch, Choice.SALVAGE)
    threads = _record_threads(monkeypatch, recovery, "salvage_library")
    session = _start(folder, sessions)
    assert isinstance(session, Session)
    # No backup: no restore button; the file is damaged: salvage is offered.
    assert set(answers.seen[0][1]) == {Choice.SALVAGE, Choice.OTHER, Choice.QUIT}
    assert threads == [False]
    assert session.window.last_info is not None
    told = session.window.last_info.text()
    session.window.last_info.close()
    assert told.startswith("Salvaged ") and " papers, " in told
    assert "library.sqlite3.damaged-" in told and str(folder) in told
    assert 0 < session.lib.count() <= 101
    assert list(folder.glob("library.sqlite3.damaged-*"))


def test_a_missing_database_offers_restore_but_not_salvage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder)
    (folder / "library.sqlite3").unlink()
    answers = _Answers(monkeypatch, Choice.RESTORE)
    session = _start(folder, sessions)
    assert isinstance(session, Session)
    problem, buttons = answers.seen[0]
    assert "the file is gone" in problem
    assert set(buttons) == {Choice.RESTORE, Choice.OTHER, Choice.QUIT}
    assert session.lib.count() == 101


def test_open_another_library_from_the_dialog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder, other = tmp_path / "lib", tmp_path / "other"
    _make_library(folder)
    _make_library(other, backup=False)
    db = _damage(folder)
    digest = _digest(db)
    _Answers(monkeypatch, Choice.OTHER)
    asked: list[str] = []

    def choose(_parent: object, caption: str, _dir: str) -> str:
        asked.append(caption)
        return str(other)

    monkeypatch.setattr(recovery.QFileDialog, "getExistingDirectory", choose)
    session = _start(folder, sessions)
    assert isinstance(session, Session)
    assert asked == ["Open another library"]
    assert session.folder == other and session.lib.count() == 101
    assert _digest(db) == digest
    # The damaged library's lock was given up for the other one.
    lock = recovery.acquire_lock(folder)
    assert lock is not None
    lock.unlock()


def test_a_failed_restore_is_told_and_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder)
    db = _damage(folder)
    digest = _digest(db)
    [snap] = folder.glob("backups/*.sqlite3.gz")
    snap.write_bytes(b"not gzip at all")
    answers = _Answers(monkeypatch, Choice.RESTORE, Choice.QUIT)
    boxes = _Boxes(monkeypatch)
    assert _start(folder, sessions) == recovery.EXIT_DAMAGED
    assert len(answers.seen) == 2
    [told] = boxes.texts
    assert "the backup is damaged" in told and "nothing was changed" in told
    assert _digest(db) == digest


def test_a_library_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text) or 0)
    assert _start(blocker / "lib", sessions) == recovery.EXIT_ENVIRONMENT
    assert warned == [
        f"{blocker / 'lib'}: a part of the path is a file, not a folder (nothing was changed)."
    ]


# --- 2. File → Back up now / Restore from backup… -------------------------------------------


def test_back_up_now_runs_as_a_background_job(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _record_threads(monkeypatch, gui_lib, "backup")
    shown: list[str] = []
    window.jobs.progressed.connect(shown.append)
    with qtbot.waitSignal(window.backups.backedUp, timeout=20_000) as taken:
        window.act.backup_now.trigger()
        assert window.jobs.busy()  # it runs behind the window
    snapshot = taken.args[0]
    assert isinstance(snapshot, Snapshot)
    assert snapshot.reason == "manual" and snapshot.papers == 101
    assert threads == [False]
    assert shown and all(text.startswith("Backing up") for text in shown)
    assert "Backed up 101 papers" in window.statusBar().currentMessage()
    assert window.act.backup_now in window.menuBar().actions()[0].menu().actions()


def test_back_up_now_can_be_cancelled_and_leaves_nothing_behind(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.waitUntil(lambda: not window.jobs.tasks(), timeout=20_000)  # the daily backup
    before = gui_lib.backups.snapshots()
    # The copy waits before compressing until the user has pressed Cancel.
    pressed = threading.Event()
    real_gzip = core_backups._gzip

    def gzip_after_cancel(*args: Any) -> None:
        assert pressed.wait(10)
        real_gzip(*args)

    monkeypatch.setattr(core_backups, "_gzip", gzip_after_cancel)

    def cancel_once(_text: str) -> None:
        if not pressed.is_set():
            window.jobs.cancel()
            pressed.set()

    window.jobs.progressed.connect(cancel_once)
    with qtbot.assertNotEmitted(window.backups.backedUp, wait=0):
        window.act.backup_now.trigger()
        qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=20_000)
    assert pressed.is_set()
    assert window.statusBar().currentMessage() == "Backup cancelled."
    assert gui_lib.backups.snapshots() == before
    assert not list(gui_lib.backups.dir.glob(".*.part"))


def test_the_daily_backup_runs_behind_the_window(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _record_threads(monkeypatch, gui_lib, "backup_if_due")
    assert gui_lib.backups.snapshots() == []
    window = open_window(qtbot, gui_lib, tmp_path / "s.ini")
    qtbot.waitUntil(lambda: bool(gui_lib.backups.snapshots()), timeout=20_000)
    assert [s.reason for s in gui_lib.backups.snapshots()] == ["daily"]
    assert threads == [False]
    window.close()


def test_restore_from_the_menu_reopens_the_library_in_a_new_window(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Session]
) -> None:
    folder = tmp_path / "lib"
    _make_library(folder)
    session = _start(folder, sessions)
    assert isinstance(session, Session)
    old_window, old_lib = session.window, session.lib
    qtbot.waitUntil(lambda: old_window.model.rowCount() == 101, timeout=10_000)
    ids = old_lib.query_ids(Query())
    old_lib.trash(ids[:10])
    old_lib.purge(ids[:10])
    assert old_lib.count() == 91

    listed: list[list[str]] = []

    def pick_newest(dialog: RestoreDialog) -> int:
        item = dialog.list.topLevelItem(0)
        assert item is not None
        listed.append([item.text(c) for c in range(dialog.list.columnCount())])
        return int(RestoreDialog.DialogCode.Accepted.value)

    asked: list[str] = []
    monkeypatch.setattr(RestoreDialog, "exec", pick_newest)
    monkeypatch.setattr(
        backups_module, "confirm", lambda _w, _title, text: asked.append(text) or True
    )
    threads = _record_threads(monkeypatch, sys.modules["readinglist.gui.session"], "restore_backup")

    old_window.act.restore_backup.trigger()

    [row] = listed
    assert row[1:3] == ["101", "manual"] and row[3].endswith(" MB")
    assert "101 papers" in asked[0] and "not deleted" in asked[0]
    assert threads == [False]
    assert session.window is not old_window and not old_window.isVisible()
    assert session.lib is not old_lib and session.lib.count() == 101
    qtbot.waitUntil(lambda: session.window.model.rowCount() == 101, timeout=10_000)
    assert session.window.last_info is not None
    assert session.window.last_info.text().startswith("Restored the backup from ")
    session.window.last_info.close()
    assert list(folder.glob("library.sqlite3.replaced-*"))


def test_restore_with_no_backups_says_so(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A library nothing was done to: not even the daily backup is taken.
    with Library(tmp_path / "empty", background_index=True) as lib:
        window = open_window(qtbot, lib, tmp_path / "s.ini")
        boxes: list[str] = []
        monkeypatch.setattr(
            QMessageBox, "information", lambda _parent, _title, text: boxes.append(text) or 0
        )
        window.act.restore_backup.trigger()
        assert boxes and "no backups" in boxes[0]
        window.close()


# --- 2b. bulk deletions back up first, in the background ----------------------------------------


def test_empty_trash_backs_up_first_off_the_gui_thread(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = gui_lib.query_ids(Query())[:3]
    gui_lib.trash(ids)
    threads = _record_threads(monkeypatch, gui_lib, "snapshot_before")
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    before = state_of(gui_lib.db.path)
    assert window.edits.empty_trash()
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=20_000)
    assert gui_lib.count(Query(trashed=True)) == 0
    assert threads and not any(threads)
    # A snapshot holds the library as it was just before (the daily one may be reused).
    assert gui_lib.backups.snapshots()[0].state == before


def test_empty_trash_is_not_done_when_no_backup_can_be_taken(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    gui_lib.trash(gui_lib.query_ids(Query())[:3])

    def no_room(_operation: str) -> Snapshot:
        raise BackupError("/x/backups: cannot write the backup (No space left on device)")

    monkeypatch.setattr(gui_lib, "snapshot_before", no_room)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    window.edits.empty_trash()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20_000)
    assert window.last_error is not None
    text = window.last_error.text()
    assert text.startswith("The trash was not emptied: no backup could be taken first.")
    assert "No space left" in text and window.last_error.detailedText() == ""
    assert gui_lib.count(Query(trashed=True)) == 3
    window.last_error.close()


def test_merge_and_delete_tag_back_up_first_off_the_gui_thread(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = gui_lib.query_ids(Query())[:4]
    gui_lib.add_tags(ids[:2], ["alpha"])
    gui_lib.add_tags(ids[2:], ["beta"])
    threads = _record_threads(monkeypatch, gui_lib, "snapshot_before")
    monkeypatch.setattr(QInputDialog, "getItem", lambda *_a, **_k: ("beta", True))
    window.sidebar.merge_tag("alpha")
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=20_000)
    assert [t.name for t in gui_lib.tags()] == ["beta"]
    monkeypatch.setattr(sidebar_module, "confirm", lambda *_a: True)
    assert window.sidebar.delete_tag("beta")
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=20_000)
    assert gui_lib.tags() == []
    assert threads and not any(threads)
    reasons = {s.reason for s in gui_lib.backups.snapshots()}
    assert {"before-merge-tags", "before-delete-tag"} <= reasons


def test_delete_tag_is_not_done_when_no_backup_can_be_taken(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    gui_lib.add_tags(gui_lib.query_ids(Query())[:2], ["keep"])

    def refused(_operation: str) -> Snapshot:
        raise BackupError("/x/backups: cannot write the backup (Read-only file system)")

    monkeypatch.setattr(gui_lib, "snapshot_before", refused)
    monkeypatch.setattr(sidebar_module, "confirm", lambda *_a: True)
    window.sidebar.delete_tag("keep")
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20_000)
    assert window.last_error is not None
    assert "The tag “keep” was not deleted" in window.last_error.text()
    assert [t.name for t in gui_lib.tags()] == ["keep"]
    window.last_error.close()


# --- 3. the environment's faults are one line, not a traceback --------------------------------


def test_the_excepthook_shows_an_environment_fault_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes = _Boxes(monkeypatch)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    log_path = app_module.setup_logging()
    app_module.install_excepthook(log_path)
    try:
        raise sqlite3.OperationalError("attempt to write a readonly database")
    except sqlite3.OperationalError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    [box] = boxes.shown
    assert "read-only" in box.text() and "Something went wrong" not in box.text()
    assert box.icon() == QMessageBox.Icon.Warning and box.detailedText() == ""
    assert "read-only" in log_path.read_text("utf-8")


def test_job_failures_are_one_line_for_the_environment_and_a_traceback_for_a_bug(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def shown_for(exc: BaseException) -> tuple[str, str]:
        def fail(*_a: Any, **_k: Any) -> Any:
            raise exc

        monkeypatch.setattr(gui_lib, "import_paths", fail)
        window.last_error = None
        window.transfer.import_paths([SAMPLE])
        qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
        assert window.last_error is not None
        box = window.last_error
        box.close()
        return box.text(), box.detailedText()

    text, details = shown_for(sqlite3.OperationalError("database or disk is full"))
    assert "the disk is full" in text and "The operation failed" not in text
    assert details == ""
    text, details = shown_for(OSError(errno.ETXTBSY, "Text file busy", "/x/file.bib"))
    assert (text, details) == ("/x/file.bib: Text file busy", "")
    text, details = shown_for(ZeroDivisionError("division by zero"))
    assert text == "The operation failed: division by zero"
    assert "ZeroDivisionError" in details
    assert gui_lib.count() == 101


# --- 4. notes are never lost -------------------------------------------------------------------


def _type_note(window: MainWindow, qtbot: QtBot, text: str) -> int:
    window.table.selectRow(0)
    pid = window.detail.current_id()
    assert pid is not None
    window.detail.focus_note()
    note = window.detail.findChild(QPlainTextEdit, "noteEdit")
    assert isinstance(note, QPlainTextEdit)
    qtbot.keyClicks(note, text)
    return pid


def test_a_note_typed_just_before_closing_the_window_is_saved(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    pid = _type_note(window, qtbot, "closing now")
    window.close()
    assert gui_lib.paper(pid).note.endswith("closing now")


def test_a_note_is_saved_when_the_app_is_about_to_quit(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    closed = open_window(qtbot, gui_lib, tmp_path / "closed.ini")
    closed.close()  # nothing may reach a closed window when the app quits later
    window = open_window(qtbot, gui_lib, tmp_path / "s.ini")
    pid = _type_note(window, qtbot, "quitting now")
    app.aboutToQuit.emit()
    assert gui_lib.paper(pid).note.endswith("quitting now")
    window.close()


def test_a_note_is_saved_when_the_desktop_session_ends(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    # QSessionManager cannot be made outside Qt, nor the signal emitted from
    # Python without one: check the connection, then call what it calls.
    signature = SIGNAL("commitDataRequest(QSessionManager&)")
    before = app.receivers(signature)
    window = open_window(qtbot, gui_lib, tmp_path / "s.ini")
    assert app.receivers(signature) == before + 1
    pid = _type_note(window, qtbot, "logging out")
    window._commit_data(cast(QSessionManager, None))
    assert gui_lib.paper(pid).note.endswith("logging out")
    window.close()
    assert app.receivers(signature) == before


def test_a_note_is_saved_when_the_editor_loses_focus(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    qtbot.waitExposed(window)
    window.activateWindow()
    pid = _type_note(window, qtbot, "moving on")
    window.detail.focus_note()
    window.search_edit.setFocus()
    qtbot.waitUntil(lambda: gui_lib.paper(pid).note.endswith("moving on"), timeout=500)


_DRIVER = textwrap.dedent(
    """
    import sys

    from readinglist.gui import detail

    # Far beyond any test: only the signal can save the note now.
    detail.NOTE_SAVE_DELAY_MS = 3_600_000

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QPlainTextEdit

    from readinglist.gui import app

    session = app.start(sys.argv[1])
    assert not isinstance(session, int), session
    window = session.window
    typed = []

    def type_note():
        if typed or window.model.rowCount() == 0:
            return
        typed.append(True)
        window.table.selectRow(0)
        window.detail.focus_note()
        QTest.keyClicks(window.detail.findChild(QPlainTextEdit, "noteEdit"), sys.argv[2])
        print(window.detail.current_id(), flush=True)

    window.queryFinished.connect(type_note)
    sys.exit(app.run(session))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_saves_the_note_and_quits_cleanly(tmp_path: Path, signum: int) -> None:
    folder = tmp_path / "lib"
    _make_library(folder, backup=False)
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER, "utf-8")
    text = f"typed before signal {signum}"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "READINGLIST_NO_ERROR_DIALOG": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(folder), text],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=60), "the app did not start"
        pid = int(proc.stdout.readline())
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    with Library(folder) as lib:
        assert lib.paper(pid).note.endswith(text)
    # The window shut down cleanly: its lock is gone.
    assert not (folder / "readinglist.lock").exists()


# --- 5. file: links are confirmed ----------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def fake_open(url: QUrl) -> bool:
        urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    return urls


def _pane_with(qtbot: QtBot, url: str) -> DetailPane:
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_paper(PaperData(id=1, title="A paper", url=url))
    return pane


def _activate(pane: DetailPane, url: str) -> None:
    from PySide6.QtWidgets import QLabel

    links = pane.findChild(QLabel, "links")
    assert isinstance(links, QLabel)
    assert 'href="' in links.text()  # shown as a link
    links.linkActivated.emit(url)


def test_a_file_link_opens_only_after_the_user_confirms(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, opened: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "run me.sh"
    url = bytes(QUrl.fromLocalFile(str(target)).toEncoded().data()).decode()
    assert "%20" in url  # the dialog shows the path, decoded
    web = "https://arxiv.org/abs/2411.15941"
    unasked = _Boxes(monkeypatch)
    _activate(_pane_with(qtbot, web), web)
    assert opened == [web] and unasked.shown == []  # the web opens at once
    opened.clear()

    pane = _pane_with(qtbot, url)
    declined = _Boxes(monkeypatch, "Cancel")
    _activate(pane, url)
    assert opened == []
    [box] = declined.shown
    assert str(target) in box.text() and box.objectName() == "confirmFileLink"

    accepted = _Boxes(monkeypatch, "Open File")
    _activate(pane, url)
    assert len(accepted.shown) == 1
    assert opened == [QUrl(url).toString()]
