"""The window's selection, what the detail pane shows, opening papers, and the table's columns.

Driven through the real window: the drop highlight floats over the panes
without becoming one; the detail pane shows the selected row (scrolled into
view) after an import, a search and a deletion, and several papers when
several rows are selected; Enter and a double-click open the paper's best
link; the header's menu chooses the columns, remembered across restarts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QByteArray,
    QDataStream,
    QIODevice,
    QItemSelectionModel,
    QMimeData,
    QSettings,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDragLeaveEvent,
    QHelpEvent,
    QImage,
)
from PySide6.QtWidgets import (
    QApplication,
    QPlainTextEdit,
    QStyleOptionViewItem,
    QToolTip,
)
from pytestqt.qtbot import QtBot

from readinglist.gui.main_window import MainWindow
from readinglist.gui.models import (
    COL_AUTHORS,
    COL_TAGS,
    COL_TITLE,
    COL_YEAR,
)
from readinglist.library import Library
from readinglist.people import Person
from readinglist.records import ParsedPaper, ParseResult

from .conftest import open_window

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "hf-trending-mar11.txt"

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def _add(lib: Library, *papers: ParsedPaper) -> list[int]:
    report = lib.import_records(ParseResult(format="test", papers=list(papers)), "test papers")
    assert not report.error, report.error
    return list(report.added)


def _select(window: MainWindow, qtbot: QtBot, ids: list[int]) -> None:
    """Select the rows of *ids* as a click and shift/ctrl-clicks would, the first current."""
    qtbot.waitUntil(lambda: all(window.model.row_of(i) is not None for i in ids), timeout=10_000)
    selection = window.table.selectionModel()
    rows = [window.model.row_of(i) or 0 for i in ids]
    flags = QItemSelectionModel.SelectionFlag.Rows
    selection.setCurrentIndex(
        window.model.index(rows[0], 0), flags | QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    for row in rows[1:]:
        selection.select(
            window.model.index(row, 0), flags | QItemSelectionModel.SelectionFlag.Select
        )
    assert window.table.selected_ids() == sorted(ids, key=lambda i: window.model.row_of(i) or 0)


def _row_in_view(window: MainWindow, row: int) -> bool:
    rect = window.table.visualRect(window.model.index(row, COL_TITLE))
    viewport = window.table.viewport().rect()
    return rect.isValid() and viewport.contains(rect.center())


def _shown_row(window: MainWindow) -> int | None:
    """The row of the paper the detail pane shows, checked to be the one selected row."""
    pid = window.detail.current_id()
    if pid is None:
        return None
    assert window.table.selected_ids() == [pid]
    return window.model.row_of(pid)


def _splitter_sizes(state: QByteArray) -> list[int]:
    """The pane sizes in a QSplitter.saveState() (marker, version, then the list of sizes)."""
    stream = QDataStream(state, QIODevice.OpenModeFlag.ReadOnly)
    marker, version, count = stream.readInt32(), stream.readInt32(), stream.readInt32()
    assert marker == 0xFF and version >= 0
    return [stream.readInt32() for _ in range(count)]


# --- 1. the drop highlight --------------------------------------------------------------------


def test_the_drop_overlay_floats_over_the_panes(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.resize(1200, 800)
    qtbot.waitUntil(lambda: window.splitter.width() > 1000)
    sizes = window.splitter.sizes()
    assert window.splitter.count() == 3
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "refs.bib"))])
    centre = window.splitter.geometry().center()
    enter = QDragEnterEvent(
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted() and window.overlay.isVisible()
    QApplication.processEvents()
    # Not a fourth pane: the three keep their sizes and the overlay covers them all.
    assert window.splitter.count() == 3
    assert window.overlay.parentWidget() is window
    assert window.splitter.sizes() == sizes
    area = window.splitter.geometry()
    assert window.overlay.geometry() == area.adjusted(8, 8, -8, -8)
    window.dragLeaveEvent(QDragLeaveEvent())
    assert not window.overlay.isVisible()
    window.save_settings()
    state = window.settings.value("window/splitter")
    assert isinstance(state, QByteArray)
    assert len(_splitter_sizes(state)) == 3


# --- 2. the detail pane shows the selected row, in view --------------------------------------


@pytest.fixture
def empty_lib(tmp_path: Path) -> Iterator[Library]:
    library = Library(tmp_path / "empty", background_index=True)
    yield library
    library.close()


def test_loading_papers_into_an_empty_library_selects_and_shows_one(
    qtbot: QtBot, empty_lib: Library, tmp_path: Path
) -> None:
    window = open_window(qtbot, empty_lib, tmp_path / "empty.ini")
    assert window.detail.current_id() is None
    # A to Z: the page's first paper is far down the list, out of view.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.sort_by("title")
    with qtbot.waitSignal(window.importFinished, timeout=20_000):
        window.transfer.import_paths([SAMPLE])
    qtbot.waitUntil(lambda: window.detail.current_id() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 101, timeout=10_000)
    row = _shown_row(window)
    assert row is not None and _row_in_view(window, row)
    assert window.centre.currentWidget() is window.table
    window.close()


def test_an_import_selects_a_new_paper_far_down_and_scrolls_to_it(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.sort_by("title")  # A to Z: "Zz…" goes to the end of a long list.
    assert window.table.verticalScrollBar().value() == 0
    bib = tmp_path / "late.bib"
    bib.write_text("@misc{z, title={Zzz The Last Paper Of The List}, year=2021}\n", "utf-8")
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.import_paths([bib])
    [added] = [i for r in blocker.args[0] for i in r.added]
    qtbot.waitUntil(lambda: window.detail.current_id() == added, timeout=10_000)
    row = _shown_row(window)
    assert row == window.model.rowCount() - 1
    assert _row_in_view(window, row)


def test_a_new_search_keeps_the_current_paper_only_if_found(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    window.resize(1200, 600)
    ids = window.model.ids()
    far = ids[80]
    _select(window, qtbot, [far])
    window.table.reveal_row(80)
    assert window.detail.current_id() == far
    title = gui_lib.paper(far).title
    # Found again: still selected, shown, and in view.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text(f'"{title}"', debounce=False)
    assert far in window.model.ids()
    row = _shown_row(window)
    assert row == window.model.row_of(far) and _row_in_view(window, row)
    # Not found: nothing selected, nothing shown, the list from the top.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("language", debounce=False)
    found = window.model.ids()
    assert len(found) > 20
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("", debounce=False)
    missing = [i for i in ids if i not in found][-1]
    _select(window, qtbot, [missing])
    window.table.scrollToBottom()
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("language", debounce=False)
    assert window.model.ids() == found
    assert window.table.selected_ids() == []
    assert window.detail.current_id() is None
    assert window.table.verticalScrollBar().value() == 0


def test_a_re_run_after_an_edit_keeps_the_selection(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    ids = window.model.ids()[3:6]
    _select(window, qtbot, ids)
    gui_lib.set_starred(ids[:1])
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        pass
    assert window.table.selected_ids() == ids


def test_delete_selects_the_next_paper_or_the_previous_at_the_end(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    ids = window.model.ids()
    _select(window, qtbot, [ids[5]])
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert gui_lib.paper(ids[5]).trashed
    assert window.detail.current_id() == ids[6]
    assert _shown_row(window) == 5
    # Still so once the library's change has come back as a new result.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        pass
    assert window.detail.current_id() == ids[6] and ids[5] not in window.model.ids()
    # Two at the end of the list: the one before them.
    _select(window, qtbot, ids[-2:])
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.detail.current_id() == ids[-3]
    row = _shown_row(window)
    assert row == window.model.rowCount() - 1 and _row_in_view(window, row)
    # Undo brings them back; the selection stays where it is.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.undo_stack.undo()
    assert window.detail.current_id() == ids[-3]


def test_restore_in_the_trash_selects_the_next_paper(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    trashed = window.model.ids()[:3]
    gui_lib.trash(trashed)
    trash = window.sidebar.model.index_for_key("trash")
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.sidebar.view.setCurrentIndex(trash)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    first = window.model.ids()[0]
    _select(window, qtbot, [first])
    window.act.restore.trigger()
    assert not gui_lib.paper(first).trashed
    assert window.detail.current_id() == window.model.ids()[0] != first


def test_several_selected_papers_are_shown_together(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[list[int]] = []
    real = window.detail.show_selection

    def record(papers: object) -> None:
        shown.append([p.id for p in papers])  # type: ignore[attr-defined]
        real(papers)  # type: ignore[arg-type]

    monkeypatch.setattr(window.detail, "show_selection", record)
    ids = window.model.ids()
    _select(window, qtbot, [ids[0]])
    assert window.detail.current_id() == ids[0]
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyRelease(window.table, Qt.Key.Key_Shift)
    assert window.table.selected_ids() == ids[:3]
    # All three, not the last one alone (whose fields would then be edited).
    assert shown[-1] == ids[:3]
    assert window.detail.current_id() is None
    # Back to one: that paper.
    qtbot.keyClick(window.table, Qt.Key.Key_Up)
    assert window.table.selected_ids() == [ids[1]]
    assert window.detail.current_id() == ids[1]


def test_selecting_thousands_reads_them_in_the_background(
    qtbot: QtBot, big_lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, big_lib, tmp_path / "big.ini")
    qtbot.waitUntil(lambda: window.model.rowCount() == 3000, timeout=10_000)
    shown: list[int] = []
    monkeypatch.setattr(window.detail, "show_selection", lambda papers: shown.append(len(papers)))
    window.table.setFocus()
    window.act.select_all.trigger()
    # Not read on the GUI thread: nothing yet, and no single paper shown meanwhile.
    assert shown == [] and window.detail.current_id() is None
    qtbot.waitUntil(lambda: shown == [3000], timeout=10_000)
    window.close()


def test_the_count_of_one_match_is_singular(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.set_text("title:mobilemamba", debounce=False)
    assert window.model.rowCount() == 1
    assert window.count_label.text() == "1 paper matches the search"


def test_nothing_selected_shows_nothing(window: MainWindow, qtbot: QtBot) -> None:
    ids = window.model.ids()
    _select(window, qtbot, [ids[2]])
    assert window.detail.current_id() == ids[2]
    # Ctrl+click on the selected row un-selects it; the current row stays there.
    rect = window.table.visualRect(window.model.index(2, COL_TITLE))
    qtbot.mouseClick(
        window.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rect.center(),
    )
    assert window.table.selected_ids() == []
    assert window.detail.current_id() is None


# --- 3. opening a paper ------------------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    """The URLs handed to the desktop, instead of opening them."""
    urls: list[QUrl] = []

    def fake_open(url: QUrl) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    return urls


@pytest.fixture
def kinds(gui_lib: Library, tmp_path: Path) -> dict[str, int]:
    """Papers with a PDF (and everything else), arXiv, a DOI, only a URL, and nothing."""
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    ids = _add(
        gui_lib,
        ParsedPaper(
            title="Has a PDF",
            pdf_path=str(pdf),
            arxiv_id="2401.00001",
            doi="10.1/pdf",
            url="https://example.org/pdf",
        ),
        ParsedPaper(title="Has arXiv", arxiv_id="2401.00002", doi="10.1/ax"),
        ParsedPaper(title="Has a DOI", doi="10.1145/3292500.3330701", url="https://ex.org/d"),
        ParsedPaper(title="Has a URL", url="https://example.org/only-url"),
        ParsedPaper(title="Has nothing"),
    )
    return dict(zip(("pdf", "arxiv", "doi", "url", "none"), ids, strict=True))


EXPECTED = {
    "arxiv": "https://arxiv.org/abs/2401.00002",
    "doi": "https://doi.org/10.1145/3292500.3330701",
    "url": "https://example.org/only-url",
}


def _expected(kind: str, tmp_path: Path) -> str:
    return (
        QUrl.fromLocalFile(str(tmp_path / "paper.pdf")).toString()
        if kind == "pdf"
        else (EXPECTED[kind])
    )


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_enter_opens_the_best_link(
    window: MainWindow,
    qtbot: QtBot,
    kinds: dict[str, int],
    opened: list[QUrl],
    tmp_path: Path,
    key: Qt.Key,
) -> None:
    window.table.setFocus()
    for kind in ("pdf", "arxiv", "doi", "url"):
        _select(window, qtbot, [kinds[kind]])
        qtbot.keyClick(window.table, key)
        assert opened[-1].toString() == _expected(kind, tmp_path), kind
    assert len(opened) == 4
    # Nothing to open: nothing opened, and the status bar says why.
    _select(window, qtbot, [kinds["none"]])
    qtbot.keyClick(window.table, key)
    assert len(opened) == 4
    assert "no PDF, arXiv id, DOI or web address" in window.statusBar().currentMessage()
    # Enter in the search field searches; it opens nothing.
    qtbot.keyClick(window.search_edit, key)
    assert len(opened) == 4


def test_a_double_click_opens_the_best_link(
    window: MainWindow, qtbot: QtBot, kinds: dict[str, int], opened: list[QUrl], tmp_path: Path
) -> None:
    for kind in ("pdf", "arxiv", "doi", "url"):
        _select(window, qtbot, [kinds[kind]])
        row = window.model.row_of(kinds[kind])
        assert row is not None
        window.table.reveal_row(row)
        rect = window.table.visualRect(window.model.index(row, COL_TITLE))
        # A real double-click: a click, then the second press that is the double-click.
        qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert opened[-1].toString() == _expected(kind, tmp_path), kind
    assert len(opened) == 4
    # The note is no longer what a double-click edits.
    assert not window.detail.findChild(QPlainTextEdit, "noteEdit").hasFocus()


def test_the_open_commands_follow_the_current_paper(
    window: MainWindow, qtbot: QtBot, kinds: dict[str, int], opened: list[QUrl]
) -> None:
    act = window.act
    every = [act.open_pdf, act.open_arxiv, act.open_doi, act.open_web]
    paper_menu = next(
        m
        for m in window.menuBar().findChildren(type(window.act.table_menu(False)))
        if m.title() == "&Paper"
    )
    assert all(a in paper_menu.actions() for a in [act.open_best, *every])

    _select(window, qtbot, [kinds["pdf"]])
    assert all(a.isEnabled() for a in every)
    _select(window, qtbot, [kinds["doi"]])
    assert [a.isEnabled() for a in every] == [False, False, True, True]
    menu = window.act.table_menu(in_trash=False)
    # The context menu lists only what this paper has.
    assert act.open_best in menu.actions() and act.open_doi in menu.actions()
    assert act.open_web in menu.actions() and act.open_pdf not in menu.actions()
    assert act.open_arxiv not in menu.actions()
    act.open_web.trigger()
    assert opened[-1].toString() == "https://ex.org/d"
    act.open_doi.trigger()
    assert opened[-1].toString() == "https://doi.org/10.1145/3292500.3330701"
    # Nothing to open: Open still answers (the status bar says why), the others are off.
    _select(window, qtbot, [kinds["none"]])
    assert act.open_best.isEnabled() and not any(a.isEnabled() for a in every)
    assert act.open_best not in window.act.table_menu(in_trash=False).actions()


def test_the_note_has_its_own_key(window: MainWindow, qtbot: QtBot, opened: list[QUrl]) -> None:
    window.activateWindow()
    ids = window.model.ids()
    _select(window, qtbot, [ids[0]])
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus)
    assert window.act.note.shortcut().toString() == "N"
    qtbot.keyClick(window.table, Qt.Key.Key_N)
    note = window.detail.findChild(QPlainTextEdit, "noteEdit")
    assert isinstance(note, QPlainTextEdit)
    qtbot.waitUntil(note.hasFocus)
    assert opened == []


# --- 4. the table's columns ----------------------------------------------------------------


def _column_action(window: MainWindow, column: int) -> object:
    menu = window.table.header_menu()
    return next(a for a in menu.actions() if a.data() == column)


def test_a_feed_only_library_hides_authors_and_year_until_shown(
    qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    ini = tmp_path / "columns.ini"
    first = open_window(qtbot, gui_lib, ini)
    table = first.table
    # The sample page has neither authors nor years: two columns of dashes.
    assert table.isColumnHidden(COL_AUTHORS) and table.isColumnHidden(COL_YEAR)
    assert not table.isColumnHidden(COL_TITLE) and not table.isColumnHidden(COL_TAGS)
    # The title column takes the room that is left.
    header = table.horizontalHeader()
    assert header.sectionResizeMode(COL_TITLE) == header.ResizeMode.Stretch
    # The header's menu: Year shown, Tags hidden; Title cannot be hidden.
    menu = table.header_menu()
    by_column = {a.data(): a for a in menu.actions()}
    assert not by_column[COL_YEAR].isChecked() and by_column[COL_TAGS].isChecked()
    assert not by_column[COL_TITLE].isEnabled()
    by_column[COL_YEAR].trigger()
    by_column[COL_TAGS].trigger()
    assert not table.isColumnHidden(COL_YEAR) and table.isColumnHidden(COL_TAGS)
    assert table.isColumnHidden(COL_AUTHORS)  # untouched: still the default
    first.close()
    # Remembered across a restart.
    second = open_window(qtbot, gui_lib, ini)
    assert not second.table.isColumnHidden(COL_YEAR)
    assert second.table.isColumnHidden(COL_TAGS) and second.table.isColumnHidden(COL_AUTHORS)
    # Papers with authors arrive: the default follows (the user chose nothing for it).
    with qtbot.waitSignal(second.importFinished, timeout=20_000):
        second.transfer.import_paths([DATA / "bib" / "dblp.bib"])
    qtbot.waitUntil(lambda: not second.table.isColumnHidden(COL_AUTHORS), timeout=10_000)
    assert second.table.isColumnHidden(COL_TAGS)
    second.close()
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    assert "year" in str(settings.value("table/columns"))


def test_a_library_with_authors_shows_every_column(
    qtbot: QtBot, empty_lib: Library, tmp_path: Path
) -> None:
    _add(empty_lib, ParsedPaper(title="A", authors=[Person(family="Lovelace")], year=1843))
    window = open_window(qtbot, empty_lib, tmp_path / "bib.ini")
    assert not any(window.table.isColumnHidden(c) for c in range(window.model.columnCount()))
    window.close()


def test_the_title_tooltip_is_the_whole_title_as_text(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    long = "A " + "very " * 40 + "long title"
    markup = "<b>Bold</b> claims about <img src='x.png'> images"
    ids = _add(gui_lib, ParsedPaper(title=long), ParsedPaper(title=markup))
    qtbot.waitUntil(lambda: all(window.model.row_of(i) is not None for i in ids), timeout=10_000)
    for pid, text in zip(ids, (long, markup), strict=True):
        row = window.model.row_of(pid)
        assert row is not None
        window.table.reveal_row(row)
        rect = window.table.visualRect(window.model.index(row, COL_TITLE))
        viewport = window.table.viewport()
        event = QHelpEvent(
            QHelpEvent.Type.ToolTip, rect.center(), viewport.mapToGlobal(rect.center())
        )
        QApplication.sendEvent(viewport, event)
        shown = QToolTip.text()
        assert shown, text
        # Markup in a title is shown as its characters, never rendered.
        plain = shown.replace("&lt;", "<").replace("&gt;", ">").replace("\xa0", " ")
        assert text in plain.replace("&#39;", "'").replace("&quot;", '"')
        if text == markup:
            assert "<b>" not in shown
        QToolTip.hideText()


def _text_pixels(image: QImage) -> set[tuple[int, int]]:
    """Where a cell image has dark (text) pixels."""
    return {
        (x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).lightness() < 110
    }


def test_long_titles_are_elided_in_the_middle(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    # "Aaa": near the top in A-to-Z order, so both rows are in view.
    common = "Aaa Scaling Laws for Neural Language Models and Everything After Them " * 2
    ids = _add(
        gui_lib,
        ParsedPaper(title=common + "Part One", arxiv_id="2401.00011"),
        ParsedPaper(title=common + "Part Two", arxiv_id="2401.00012"),
    )
    assert len(ids) == 2
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.search.sort_by("title")
    qtbot.waitUntil(lambda: all(window.model.row_of(i) is not None for i in ids), timeout=10_000)
    rows = [window.model.row_of(i) or 0 for i in ids]
    table = window.table
    delegate = table.itemDelegateForColumn(COL_TITLE)
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, window.model.index(rows[0], COL_TITLE))
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    # Drawn: the two rows (both unread, so both bold) differ where the titles differ.
    table.setColumnWidth(COL_TITLE, 260)
    window.resize(1000, 600)
    QApplication.processEvents()
    images = []
    for row in rows:
        table.reveal_row(row)
        rect = table.visualRect(window.model.index(row, COL_TITLE))
        assert rect.width() < table.fontMetrics().horizontalAdvance(common)
        images.append(table.viewport().grab(rect).toImage())
    assert _text_pixels(images[0]) != _text_pixels(images[1])
