"""The main window driven as a user would: search, drops, bulk edits, undo, settings."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QTextDocument
from PySide6.QtWidgets import QMenu, QTextBrowser
from pytestqt.qtbot import QtBot

from readinglist.core.exports import ExportScope
from readinglist.core.query import Query, as_you_type
from readinglist.gui import app as app_module
from readinglist.gui.main_window import MainWindow
from readinglist.gui.models import (
    COL_TAGS,
    COL_TITLE,
    COL_YEAR,
    KEY_ROLE,
    PAPER_ID_ROLE,
)
from readinglist.gui.workers import running_tasks
from readinglist.library import ImportPlanner, ImportReport, Library
from readinglist.search import IndexDoc

from .conftest import open_window
from .test_detail import hit_ranges

SAMPLE = Path(__file__).parents[1] / "data" / "hf-trending-mar11.txt"

# The offscreen platform cannot do these window-system things and says so.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def _select_rows(window: MainWindow, rows: list[int]) -> list[int]:
    window.table.clearSelection()
    from PySide6.QtCore import QItemSelectionModel

    sel = window.table.selectionModel()
    for row in rows:
        sel.select(
            window.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    return [int(window.model.index(r, 0).data(PAPER_ID_ROLE)) for r in rows]


def _drop(window: MainWindow, mime: QMimeData) -> None:
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(
        QPoint(int(pos.x()), int(pos.y())),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    assert window.overlay.isVisible()
    drop = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert not window.overlay.isVisible()


def test_title_and_rows(window: MainWindow, gui_lib: Library) -> None:
    # Not the usual library folder: the title names it.
    assert window.windowTitle() == f"Reading List — {gui_lib.name}"
    assert window.model.rowCount() == 101
    assert "101 papers" in window.count_label.text()


def test_search_as_you_type(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, "title:mamba")
    titles = [window.model.index(r, COL_TITLE).data() for r in range(window.model.rowCount())]
    assert titles and all("mamba" in t.lower() for t in titles)
    assert f"{len(titles)} paper" in window.count_label.text()
    # The detail pane highlights hits of the current search.
    window.table.selectRow(0)
    assert window.detail.current_id() == window.model.index(0, 0).data(PAPER_ID_ROLE)


def test_bad_query_shows_inline_hint(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, "bogus:thing")
    assert window.search_hint.isVisible()
    assert "unknown field" in window.search_hint.text()
    assert window.model.rowCount() == 101  # the previous result stays
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search_edit.clear()
    assert not window.search_hint.isVisible()


def test_quick_filters_combine_with_sidebar(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    ids = gui_lib.query_ids(Query())[:3]
    gui_lib.set_starred(ids[:2])
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.act.only_starred.trigger()
    assert sorted(window.model.ids()) == sorted(ids[:2])
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.act.only_starred.trigger()
    assert window.model.rowCount() == 101


def test_drop_files_and_folder(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "dropped"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "refs.bib").write_text(
        "@article{a1, title={Dropped Paper One}, author={Ada Lovelace}, journal={J}, year=2020}\n"
        "@misc{a2, title={Dropped Paper Two}}\n@misc{bad, title={broken\n",
        "utf-8",
    )
    (folder / "empty.txt").write_bytes(b"")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(SAMPLE))])
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        _drop(window, mime)
    reports: list[ImportReport] = blocker.args[0]
    by_name = {r.file_name: r for r in reports}
    assert len(by_name["refs.bib"].added) == 2
    assert by_name["refs.bib"].problems and by_name["refs.bib"].problems[0].line == 3
    assert "empty" in by_name["empty.txt"].error
    assert len(by_name[SAMPLE.name].duplicates) == 101
    assert window.transfer.last_summary is not None
    assert "2 added" in window.transfer.last_summary.headline.text()
    qtbot.waitUntil(lambda: window.model.rowCount() == 103, timeout=10_000)
    window.transfer.last_summary.close()


def test_drop_text_imports_it(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    mime = QMimeData()
    abstract = "Otters are studied at length here, with field data from three rivers. " * 6
    mime.setText(f"Mar 12\n\nA Pasted Paper About Otters\n\n{abstract}\n")
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        _drop(window, mime)
    report = blocker.args[0][0]
    assert report.file_name == "pasted text" and len(report.added) == 1
    assert gui_lib.query_ids(Query(text="otters")) == report.added


def test_paste_imports_clipboard_text(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    abstract = "Beavers build dams, and we study how they choose where to build them. " * 6
    QGuiApplication.clipboard().setText(f"Mar 13\n\nClipboard Paper On Beavers\n\n{abstract}\n")
    with qtbot.waitSignal(window.importFinished, timeout=20_000):
        window.transfer.paste()
    assert len(gui_lib.query_ids(Query(text="beavers"))) == 1


def test_bulk_star_and_tag_with_undo(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    ids = _select_rows(window, [0, 1, 2, 3])
    window.act.star.trigger()
    assert set(gui_lib.query_ids(Query(starred=True))) == set(ids)
    window.act.undo.trigger()
    assert gui_lib.query_ids(Query(starred=True)) == []
    window.act.redo.trigger()
    assert set(gui_lib.query_ids(Query(starred=True))) == set(ids)

    window.edits.add_tags(ids, ["to-read"])
    assert set(gui_lib.query_ids(Query(tags=("to-read",)))) == set(ids)
    window.act.undo.trigger()
    assert gui_lib.query_ids(Query(tags=("to-read",))) == []

    window.act.read.trigger()
    assert set(gui_lib.query_ids(Query(read=True))) == set(ids)
    window.act.undo.trigger()
    assert gui_lib.query_ids(Query(read=True)) == []
    # The table follows the library (after its debounce), without a model reset.
    qtbot.waitUntil(
        lambda: all(p.starred for p in (window.model.paper_at(r) for r in range(4)) if p),
        timeout=5000,
    )


def test_undo_and_redo_by_keyboard(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    # Real key events through the window: a shortcut registered twice is
    # "ambiguous" to Qt, which then fires nothing (Ctrl+Shift+Z on Linux did that).
    ids = _select_rows(window, [0, 1])
    window.act.star.trigger()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert gui_lib.query_ids(Query(starred=True)) == []
    qtbot.keyClick(
        window.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert set(gui_lib.query_ids(Query(starred=True))) == set(ids)
    # Leave no modifier down for the next test (the simulated state outlives this one).
    qtbot.keyRelease(window.table, Qt.Key.Key_Shift)
    qtbot.keyRelease(window.table, Qt.Key.Key_Control)
    shortcuts = [k.toString() for k in window.act.redo.shortcuts()]
    assert len(shortcuts) == len(set(shortcuts)) and "Ctrl+Shift+Z" in shortcuts


def test_delete_to_trash_and_undo(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    ids = _select_rows(window, [0, 1])
    window.act.delete.trigger()
    assert gui_lib.count() == 99 and set(gui_lib.query_ids(Query(trashed=True))) == set(ids)
    qtbot.waitUntil(lambda: window.model.rowCount() == 99, timeout=5000)
    window.act.undo.trigger()
    assert gui_lib.count() == 101
    qtbot.waitUntil(lambda: window.model.rowCount() == 101, timeout=5000)


def test_note_edit_undo(window: MainWindow, gui_lib: Library) -> None:
    pid = gui_lib.query_ids(Query())[0]
    window.detail.noteChanged.emit(pid, "first")
    window.detail.noteChanged.emit(pid, "first and more")
    assert gui_lib.paper(pid).note == "first and more"
    window.act.undo.trigger()  # successive autosaves are one undo step
    assert gui_lib.paper(pid).note == ""


def test_single_keys_act_only_in_table(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    window.table.setFocus()
    window.table.selectRow(0)
    pid = window.model.index(0, 0).data(PAPER_ID_ROLE)
    window.activateWindow()
    qtbot.waitUntil(window.table.hasFocus, timeout=5000)
    qtbot.keyClick(window.table, Qt.Key.Key_S)
    assert gui_lib.paper(pid).starred
    window.search_edit.setFocus()
    qtbot.waitUntil(window.search_edit.hasFocus, timeout=5000)
    qtbot.keyClicks(window.search_edit, "s")
    assert gui_lib.paper(pid).starred  # typing "s" did not toggle it back


class _Gate:
    """Blocks an import inside its transaction until the test says go."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        real = ImportPlanner.row_for

        def slow(planner: ImportPlanner, *args: Any, **kwargs: Any) -> dict[str, Any]:
            self.started.set()
            self.release.wait(20)
            return real(planner, *args, **kwargs)

        monkeypatch.setattr(ImportPlanner, "row_for", slow)


def _page(n: int, word: str) -> str:
    lines = ["Mar 14", ""]
    for i in range(n):
        lines += [f"A {word} study number {i}", "", f"We look at {word} {i} closely. " * 5, ""]
    return "\n".join(lines)


def test_import_progress_then_cancel(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = tmp_path / "many.txt"
    page.write_text(_page(1500, "walrus"), "utf-8")
    seen: list[str] = []
    window.jobs.progressed.connect(seen.append)
    gate = _Gate(monkeypatch)
    window.transfer.import_paths([page])
    assert window.jobs.bar.isVisible() and window.jobs.cancel_button.isVisible()
    qtbot.waitUntil(gate.started.is_set, timeout=10_000)
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.jobs.cancel()
        gate.release.set()
    assert "cancelled" in blocker.args[0][0].error
    assert gui_lib.count() == 101 and len(gui_lib.batches()) == 1
    assert not window.jobs.bar.isVisible()
    assert any(text.startswith("Importing many.txt") for text in seen)


def test_import_completes_with_progress(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    page = tmp_path / "many.txt"
    page.write_text(_page(1500, "narwhal"), "utf-8")
    totals: list[int] = []
    window.jobs.bar.valueChanged.connect(totals.append)
    with qtbot.waitSignal(window.importFinished, timeout=60_000):
        window.transfer.import_paths([page])
    assert gui_lib.count() == 1601
    assert totals  # the bar moved
    assert window.transfer.last_summary is not None
    window.transfer.last_summary.close()


def test_unexpected_worker_error_is_shown(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: Any, **_k: Any) -> ImportReport:
        raise RuntimeError("disk exploded")

    monkeypatch.setattr(gui_lib, "import_paths", boom)
    window.transfer.import_paths([SAMPLE])
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert window.last_error is not None
    assert "disk exploded" in window.last_error.text()
    assert not window.jobs.bar.isVisible()
    window.last_error.close()
    assert gui_lib.count() == 101


def test_quit_during_import_cancels_cleanly(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, gui_lib, tmp_path / "s.ini")
    page = tmp_path / "many.txt"
    page.write_text(_page(1200, "puffin"), "utf-8")
    gate = _Gate(monkeypatch)
    window.transfer.import_paths([page])
    qtbot.waitUntil(gate.started.is_set, timeout=10_000)
    timer = threading.Timer(0.3, gate.release.set)
    timer.start()
    window.close()
    timer.join()
    assert gui_lib.count() == 101 and len(gui_lib.batches()) == 1


def test_settings_restored_across_restart(qtbot: QtBot, gui_lib: Library, tmp_path: Path) -> None:
    ini = tmp_path / "restart.ini"
    first = open_window(qtbot, gui_lib, ini)
    first.resize(720, 540)
    first.splitter.setSizes([150, 330, 240])
    sizes = first.splitter.sizes()
    # Tags: the sample has no authors, so that column is hidden by default.
    first.table.setColumnWidth(COL_TAGS, 211)
    first.search.sort_by("title")
    starred = first.sidebar.model.index_for_key("starred")
    first.sidebar.view.setCurrentIndex(starred)
    first.close()
    second = open_window(qtbot, gui_lib, ini)
    assert (second.width(), second.height()) == (720, 540)
    assert second.splitter.sizes() == sizes
    assert second.table.columnWidth(COL_TAGS) == 211
    assert second.sidebar.view.currentIndex().data(KEY_ROLE) == "starred"
    assert second.search.state.view.starred is True
    assert (second.search.state.sort, second.search.state.descending) == ("title", False)
    assert second.table.horizontalHeader().sortIndicatorSection() == COL_TITLE
    second.close()


def test_welcome_panel_and_sample(qtbot: QtBot, tmp_path: Path) -> None:
    lib = Library(tmp_path / "empty", background_index=True)
    try:
        window = open_window(qtbot, lib, tmp_path / "w.ini")
        assert window.centre.currentWidget() is window.welcome
        with qtbot.waitSignal(window.importFinished, timeout=20_000):
            window.welcome.sample_button.click()
        qtbot.waitUntil(lambda: window.centre.currentWidget() is window.table, timeout=5000)
        qtbot.waitUntil(lambda: window.model.rowCount() == 101, timeout=5000)
        assert window.transfer.last_summary is not None
        window.transfer.last_summary.close()
        window.close()
    finally:
        lib.close()


def test_second_instance_is_refused(tmp_path: Path) -> None:
    first = app_module.acquire_lock(tmp_path / "lib")
    assert first is not None
    assert app_module.acquire_lock(tmp_path / "lib") is None
    first.unlock()
    again = app_module.acquire_lock(tmp_path / "lib")
    assert again is not None
    again.unlock()


def test_excepthook_logs_and_keeps_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    log_path = app_module.setup_logging()
    app_module.install_excepthook(log_path)
    try:
        raise ValueError("slot went wrong")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert shown == ["Something went wrong: slot went wrong"]
    assert "slot went wrong" in log_path.read_text("utf-8")


def test_tag_quick_filter(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    ids = gui_lib.query_ids(Query())[:2]
    window.edits.add_tags(ids, ["to-read"])
    qtbot.waitUntil(lambda: window.tag_filter.findData("to-read") > 0, timeout=5000)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.tag_filter.setCurrentIndex(window.tag_filter.findData("to-read"))
    assert sorted(window.model.ids()) == sorted(ids)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, "nosuchwordanywhere")
    assert window.model.rowCount() == 0


def test_markup_in_labels_is_shown_literally() -> None:
    from PySide6.QtGui import QTextDocument

    from readinglist.gui.widgets import as_label

    assert as_label("plain tag") == "plain tag"
    doc = QTextDocument()
    doc.setHtml(as_label("Rename “<b>x</b>”:"))
    assert doc.toPlainText() == "Rename “<b>x</b>”:"


# --- sorting by the header ---------------------------------------------------------------


def _click_header(qtbot: QtBot, window: MainWindow, column: int) -> None:
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def _indicator(window: MainWindow) -> tuple[int, Qt.SortOrder]:
    header = window.table.horizontalHeader()
    return header.sortIndicatorSection(), header.sortIndicatorOrder()


def test_header_clicks_sort_through_the_search_state(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    assert window.search.state.sort is None  # No choice yet: the feed position.
    assert _indicator(window)[0] == -1  # No column claims it.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _click_header(qtbot, window, COL_TITLE)
    assert window.model.ids() == gui_lib.query_ids(Query(sort="title", descending=False))
    assert (window.search.state.sort, window.search.state.descending) == ("title", False)
    assert _indicator(window) == (COL_TITLE, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _click_header(qtbot, window, COL_TITLE)
    assert window.model.ids() == gui_lib.query_ids(Query(sort="title", descending=True))
    assert _indicator(window) == (COL_TITLE, Qt.SortOrder.DescendingOrder)
    # Tags have no order: a click changes nothing, and the indicator does not lie.
    with qtbot.assertNotEmitted(window.search.stateChanged, wait=300):
        _click_header(qtbot, window, COL_TAGS)
    assert _indicator(window) == (COL_TITLE, Qt.SortOrder.DescendingOrder)
    # A chosen column stays while searching; without a choice, best matches come first.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("mamba", debounce=False)
    assert window.search_edit.text() == "mamba"
    assert window.search.query().sort == "title"
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_sort(None)
    assert window.search.query().sort == "relevance"
    assert _indicator(window)[0] == -1
    assert window.model.ids() == gui_lib.query_ids(Query(text="mamba"))


# --- search as you type, and relevance as a sort choice -------------------------------------

# "reinfor" is no word of the sample, only the start of "reinforcement".
PARTIAL, WHOLE = "reinfor", "reinforcement"


def _hit_words(document: QTextDocument) -> set[str]:
    """The words of *document* marked as search hits."""
    text = document.toPlainText()
    return {text[start:end].lower() for start, end in hit_ranges(document)}


def test_a_partial_word_finds_what_the_whole_word_finds(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    assert gui_lib.query_ids(Query(text=PARTIAL)) == []  # Taken as a word it finds nothing.
    whole = gui_lib.query_ids(Query(text=WHOLE))
    assert len(whole) > 1
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, PARTIAL)
    assert window.search.query().text == PARTIAL + "*"
    shown = window.model.ids()
    assert set(whole) <= set(shown)
    assert shown == gui_lib.query_ids(Query(text=PARTIAL + "*"))
    assert f"{len(shown)} papers match the search" in window.count_label.text()
    # The detail pane marks the words the prefix matched.
    window.table.selectRow(shown.index(whole[0]))
    assert window.detail.current_id() == whole[0]
    marked: set[str] = set()
    for name in ("title", "abstract"):
        browser = window.detail.findChild(QTextBrowser, name)
        assert isinstance(browser, QTextBrowser)
        marked |= _hit_words(browser.document())
    assert marked and all(word.startswith(PARTIAL) for word in marked)
    # Typing on to the whole word keeps every paper found.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, WHOLE[len(PARTIAL) :])
    assert set(whole) <= set(window.model.ids())


def _sort_menu(window: MainWindow) -> QMenu:
    """View → Sort by, found through the menu bar."""
    (view,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    assert isinstance(view, QMenu)
    (sort_by,) = [a.menu() for a in view.actions() if a.text() == "Sort &by"]
    assert isinstance(sort_by, QMenu)
    return sort_by


def _sort_menu_action(window: MainWindow, text: str) -> QAction:
    """The View → Sort by entry reading *text*."""
    (action,) = [a for a in _sort_menu(window).actions() if a.text().replace("&", "") == text]
    return action


def _checked(window: MainWindow) -> list[str]:
    """The Sort by entries that are checked (the order and the direction)."""
    return [a.text().replace("&", "") for a in _sort_menu(window).actions() if a.isChecked()]


def _choose_in_menu(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Click the Sort by entry *text* with the mouse, its menu popped up."""
    menu, action = _sort_menu(window), _sort_menu_action(window, text)
    menu.popup(window.mapToGlobal(QPoint(100, 100)))
    qtbot.waitExposed(menu)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    assert not menu.isVisible()


def test_relevance_can_be_chosen_again_after_a_column(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    relevance = _sort_menu_action(window, "Relevance")
    assert not relevance.isEnabled()  # Nothing to rank yet.
    assert _checked(window) == ["Feed position", "Descending"]
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, WHOLE)
    assert relevance.isEnabled() and _checked(window) == ["Relevance", "Descending"]
    ranked = gui_lib.query_ids(Query(text=as_you_type(WHOLE), sort="relevance"))
    assert len(ranked) > 1 and window.model.ids() == ranked
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _click_header(qtbot, window, COL_TITLE)
    by_title = gui_lib.query_ids(Query(text=as_you_type(WHOLE), sort="title", descending=False))
    assert window.model.ids() == by_title != ranked
    assert sorted(by_title) == sorted(ranked)  # The whole hit set, in another order.
    assert _checked(window) == ["Title", "Ascending"]
    # Back to best match first, from the menu.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _choose_in_menu(qtbot, window, "Relevance")
    assert window.model.ids() == ranked
    assert window.search.state.sort is None
    assert _indicator(window)[0] == -1  # No column claims the order.
    assert _checked(window) == ["Relevance", "Descending"]
    assert not _sort_menu_action(window, "Ascending").isEnabled()
    # Clearing the search leaves nothing to rank: the feed position, Relevance greyed out.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search_edit.clear()
    assert window.model.ids() == gui_lib.query_ids(Query())
    assert not relevance.isEnabled() and _checked(window) == ["Feed position", "Descending"]


def test_the_sort_menu_follows_the_header_and_sets_it(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    # The sample has no years, so its Year column is hidden until the user shows it.
    window.table.choose_column(COL_YEAR, True)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _click_header(qtbot, window, COL_YEAR)
    assert _checked(window) == ["Year", "Descending"]
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _click_header(qtbot, window, COL_YEAR)
    assert _checked(window) == ["Year", "Ascending"]
    # The menu sets the header's indicator in turn, and keeps the direction shown.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _choose_in_menu(qtbot, window, "Title")
    assert _indicator(window) == (COL_TITLE, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _choose_in_menu(qtbot, window, "Descending")
    assert _indicator(window) == (COL_TITLE, Qt.SortOrder.DescendingOrder)
    assert window.model.ids() == gui_lib.query_ids(Query(sort="title", descending=True))
    # Read has no column: the menu alone shows it.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        _choose_in_menu(qtbot, window, "Read")
    assert _checked(window) == ["Read", "Ascending"]
    assert _indicator(window)[0] == -1
    assert window.model.ids() == gui_lib.query_ids(Query(sort="read", descending=False))


# --- the controllers, driven without dialogs -----------------------------------------------


def test_controllers_drive_a_session_headlessly(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "refs.bib").write_text(
        "@article{k1, title={Headless Import One}, year=2021}\n"
        "@misc{k2, title={Headless Import Two}}\n",
        "utf-8",
    )
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as imported:
        assert window.transfer.import_paths([folder, SAMPLE])
    reports: list[ImportReport] = imported.args[0]
    assert [r.file_name for r in reports] == ["refs.bib", SAMPLE.name]
    assert window.transfer.last_summary is not None
    window.transfer.last_summary.close()

    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("headless", debounce=False)
    assert window.search_edit.text() == "headless"
    ids = window.model.ids()
    assert sorted(ids) == sorted(reports[0].added)

    window.edits.add_tags(ids, ["from-gui, checked"])
    assert set(gui_lib.query_ids(Query(tags=("from-gui", "checked")))) == set(ids)
    assert window.undo_stack.count() == 1
    # Tagging re-indexes the papers in the background, and equal-score hits are
    # ordered by their place in the index: let both exports below see one index.
    gui_lib.flush_index()

    target = tmp_path / "view.bib"
    with qtbot.waitSignal(window.exportFinished, timeout=10_000) as exported:
        assert window.transfer.export(target, ExportScope.VIEW)
    assert exported.args[0] == (target, 2)
    expected = tmp_path / "expected.bib"
    shown = gui_lib.export_ids(ExportScope.VIEW, view=window.search.query())
    gui_lib.export_to_file(shown, expected)
    assert target.read_text("utf-8") == expected.read_text("utf-8")
    assert not target.with_name("view.bib.part").exists()

    chosen = tmp_path / "chosen.bib"
    with qtbot.waitSignal(window.exportFinished, timeout=10_000) as exported:
        assert window.transfer.export(chosen, ExportScope.SELECTION, ids=ids[:1])
    assert exported.args[0] == (chosen, 1)


# --- closing waits for every background task --------------------------------------------------


class _IndexGate:
    """Holds the next index write, its writer open, until the test says go."""

    def __init__(self, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        real = lib.sync._docs

        def slow(ids: Sequence[int]) -> Iterator[IndexDoc]:
            self.started.set()
            self.release.wait(20)
            yield from real(ids)

        monkeypatch.setattr(lib.sync, "_docs", slow)

    def close_while_held(self, window: MainWindow) -> None:
        # The release comes while close() waits: the worker must see the cancel first.
        timer = threading.Timer(0.3, self.release.set)
        timer.start()
        window.close()
        timer.join()


def _repairs_cleanly(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cancelled write left the index behind, not broken: the next check mends it."""
    assert lib.doctor().database_problems == []
    assert lib.count() == 101 and not lib.index_in_step()
    monkeypatch.undo()
    # Would time out on Whoosh's write lock if a writer had been left open.
    lib.sync_index()
    assert lib.check_index().ok
    assert lib.query_ids(Query(text="mamba"))


def test_closing_during_the_start_up_index_check_waits_for_it(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "lib"
    with Library(folder) as setup:
        setup.import_file(SAMPLE)
        setup.index.clear()  # Lost: the start-up check has the whole index to refill.
    lib = Library(folder, sync_index=False, background_index=True)  # As the app opens it.
    try:
        gate = _IndexGate(lib, monkeypatch)
        window = open_window(qtbot, lib, tmp_path / "s.ini")
        qtbot.waitUntil(gate.started.is_set, timeout=10_000)
        check = window.index_jobs.check_task
        assert check is not None and check in window.jobs.tasks()
        gate.close_while_held(window)
        assert running_tasks() == [] and window.jobs.tasks() == []
        assert check.is_cancel_requested() and not check.is_running()
        _repairs_cleanly(lib, monkeypatch)
    finally:
        lib.close()


def test_closing_during_a_rebuild_cancels_it(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, gui_lib, tmp_path / "s.ini")
    qtbot.waitUntil(
        lambda: (
            window.index_jobs.check_task is not None
            and not window.index_jobs.check_task.is_running()
        ),
        timeout=10_000,
    )
    gate = _IndexGate(gui_lib, monkeypatch)
    assert window.index_jobs.rebuild()
    qtbot.waitUntil(gate.started.is_set, timeout=10_000)
    assert window.jobs.busy() and window.jobs.cancel_button.isVisible()
    gate.close_while_held(window)
    assert running_tasks() == [] and not window.jobs.busy()
    _repairs_cleanly(gui_lib, monkeypatch)


def test_the_first_screen_shows_a_page_then_the_whole_list(
    qtbot: QtBot, big_lib: Library, tmp_path: Path
) -> None:
    from readinglist.gui.search import FIRST_PAGE

    from .conftest import SYNTHETIC_COUNT

    settings = QSettings(str(tmp_path / "first.ini"), QSettings.Format.IniFormat)
    window = MainWindow(big_lib, settings)
    qtbot.addWidget(window)
    pages: list[tuple[list[int], int, int, str]] = []
    window.search.firstPageReady.connect(
        lambda ids, total: pages.append(
            (ids, total, window.model.rowCount(), window.count_label.text())
        )
    )
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.show()
    everything = big_lib.query_ids(Query())
    assert len(pages) == 1
    ids, total, rows, label = pages[0]
    # The page was on screen, with the whole list's count, before the rest arrived.
    assert ids == everything[:FIRST_PAGE] and total == SYNTHETIC_COUNT
    assert rows == FIRST_PAGE and label == f"{SYNTHETIC_COUNT:,} papers"
    assert window.model.ids() == everything
    window.close()


def test_a_failed_index_update_is_shown(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.search import SearchIndex

    def full_disk(*_args: Any, **_kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SearchIndex, "index", full_disk)
    pid = window.model.ids()[0]
    window.edits.add_tags([pid], ["arctic"])
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert window.last_error is not None
    text = window.last_error.text()
    assert "search index could not be updated" in text and "No space left" in text
    assert gui_lib.paper(pid).tags == ("arctic",)  # the change itself is kept
    window.last_error.close()
    monkeypatch.undo()


def test_escape_clears_the_search_and_down_moves_into_the_results(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.activateWindow()
    window.search_edit.setFocus()
    qtbot.waitUntil(window.search_edit.hasFocus, timeout=5000)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClicks(window.search_edit, "mamba")
    found = window.model.rowCount()
    assert 0 < found < 101
    qtbot.keyClick(window.search_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(window.table.hasFocus, timeout=5000)
    assert window.table.currentIndex().row() == 0
    assert window.selected_ids() == [window.model.index(0, 0).data(PAPER_ID_ROLE)]
    window.search_edit.setFocus()
    qtbot.waitUntil(window.search_edit.hasFocus, timeout=5000)
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.keyClick(window.search_edit, Qt.Key.Key_Escape)
    assert window.search_edit.text() == ""
    qtbot.waitUntil(lambda: window.model.rowCount() == 101, timeout=5000)


def test_the_usual_library_goes_unnamed_in_the_title(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINGLIST_LIBRARY", str(tmp_path / "usual"))
    lib = Library(tmp_path / "usual")
    try:
        window = MainWindow(lib)
        qtbot.addWidget(window)
        assert window.windowTitle() == "Reading List"
        window.shutdown()
    finally:
        lib.close()
