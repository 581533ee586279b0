"""Tests of the Qt models: lazy paper table and sidebar tree."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from readinglist.core.query import Query
from readinglist.gui.main_window import MainWindow
from readinglist.gui.models import (
    COL_ADDED,
    COL_AUTHORS,
    COL_STAR,
    COL_TAGS,
    COL_TITLE,
    COL_YEAR,
    COLUMN_COUNT,
    COUNT_ROLE,
    FILTER_ROLE,
    IDS_MIME_TYPE,
    ITEM_KIND_ROLE,
    KEY_ROLE,
    PAPER_ID_ROLE,
    PAPER_ROLE,
    SORT_ROLE,
    TAG_CHIPS_ROLE,
    VALUE_ROLE,
    PaperTableModel,
    SidebarModel,
    TagChipDelegate,
    chip_colours,
    format_authors,
)
from readinglist.library import Library, normalise_title
from readinglist.records import PaperData

from .conftest import SAMPLE, SYNTHETIC_COUNT

DISPLAY = Qt.ItemDataRole.DisplayRole

# The offscreen platform cannot do this window-system thing and says so.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


class GetSpy:
    """Wraps ``Library.get`` to count calls and rows fetched."""

    def __init__(self, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[int]] = []
        real: Callable[..., list[PaperData]] = lib.get

        def spy(ids: Sequence[int], **kw: Any) -> list[PaperData]:
            self.calls.append(list(ids))
            return real(ids, **kw)

        monkeypatch.setattr(lib, "get", spy)

    @property
    def rows(self) -> int:
        return sum(len(c) for c in self.calls)


def make_model(lib: Library, query: Query | None = None) -> PaperTableModel:
    model = PaperTableModel(lib)
    model.set_query(query or Query(sort="added"))
    return model


def titles(model: PaperTableModel) -> list[str]:
    return [model.index(r, COL_TITLE).data() for r in range(model.rowCount())]


# --- PaperTableModel: Qt contract ----------------------------------------------------


def test_modeltester_with_data(lib: Library, qtmodeltester: ModelTester) -> None:
    model = make_model(lib)
    assert model.rowCount() == 101
    assert model.columnCount() == COLUMN_COUNT == 6
    qtmodeltester.check(model)


def test_modeltester_across_resort_invalidate_and_remove(
    lib: Library, qtmodeltester: ModelTester
) -> None:
    model = PaperTableModel(lib)
    # The tester is attached first so it watches every signal emitted below.
    qtmodeltester.check(model)
    model.set_query(Query(sort="added"))
    # A re-sort arrives as the same ids in a new order (a layout change).
    for sort, descending in (("title", False), ("year", True)):
        query = Query(sort=sort, descending=descending)
        ids, hits = lib.query(query)
        model.set_ids(ids, hits, query=query)
        assert model.ids() == ids
    first, second = model.id_at(3), model.id_at(7)
    lib.set_starred([first])
    model.invalidate_ids([first, second])
    model.remove_ids([second, model.id_at(0), model.id_at(1)])
    assert model.rowCount() == 98
    model.set_query(Query(starred=True))
    assert model.rowCount() == 1
    model.clear()
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_headers_and_flags(lib: Library) -> None:
    model = make_model(lib)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(COLUMN_COUNT)]
    assert headers == ["★", "Title", "Authors", "Year", "Tags", "Added"]
    flags = model.flags(model.index(0, COL_TITLE))
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert flags & Qt.ItemFlag.ItemIsEnabled
    assert flags & Qt.ItemFlag.ItemIsDragEnabled
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


# --- lazy loading ---------------------------------------------------------------------


def test_set_query_loads_ids_only(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = GetSpy(lib, monkeypatch)
    model = make_model(lib)
    assert model.rowCount() == 101
    assert spy.calls == []
    # The id needs no fetch either: it is what the model holds.
    assert model.index(50, COL_TITLE).data(PAPER_ID_ROLE) == model.id_at(50)
    assert spy.calls == []


def test_first_data_call_fetches_one_page(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model(lib)
    spy = GetSpy(lib, monkeypatch)
    assert model.index(0, COL_TITLE).data()
    assert len(spy.calls) == 1
    assert spy.calls[0] == model.ids()  # 101 rows fit in one page of 200.
    for row in range(model.rowCount()):
        for col in range(COLUMN_COUNT):
            model.index(row, col).data()
            model.index(row, col).data(Qt.ItemDataRole.ToolTipRole)
    assert len(spy.calls) == 1  # Everything else is served from the cache.


def test_only_the_visited_page_is_loaded(big_lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model(big_lib, Query(sort="title", descending=False))
    assert model.rowCount() == SYNTHETIC_COUNT
    spy = GetSpy(big_lib, monkeypatch)
    row = 1234
    paper = model.index(row, COL_TITLE).data(PAPER_ROLE)
    assert isinstance(paper, PaperData)
    assert paper.id == model.id_at(row)
    page = PaperTableModel.PAGE_SIZE
    start = row // page * page
    assert spy.calls == [model.ids()[start : start + page]]
    assert model.cached_count() == page
    # Another row of the same page: no query.
    model.index(start + page - 1, COL_AUTHORS).data()
    assert len(spy.calls) == 1
    # A row of the next page: exactly one more page.
    model.index(start + page, COL_TITLE).data()
    assert len(spy.calls) == 2
    assert spy.rows == 2 * page


def test_far_pages_are_evicted(big_lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PaperTableModel, "MAX_CACHED", 600)
    model = make_model(big_lib)
    page = PaperTableModel.PAGE_SIZE
    for n in range(8):
        model.index(n * page, COL_TITLE).data()
        assert model.cached_count() <= 600
    spy = GetSpy(big_lib, monkeypatch)
    # The page just visited is still cached; the first one was dropped.
    model.index(7 * page + 5, COL_TITLE).data()
    assert spy.calls == []
    model.index(0, COL_TITLE).data()
    assert len(spy.calls) == 1


def test_a_hundred_thousand_ids_open_without_fetching(
    lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = PaperTableModel(lib)
    spy = GetSpy(lib, monkeypatch)
    ids = list(range(1, 100_001))
    model.set_ids(ids)
    assert model.rowCount() == 100_000
    assert spy.calls == []
    assert model.index(99_999, COL_TITLE).data(PAPER_ID_ROLE) == 100_000
    assert spy.calls == []
    # Rows beyond the library's papers come back empty, and the miss is
    # remembered so repaints do not query again.
    assert model.index(60_000, COL_TITLE).data() is None
    assert model.index(60_001, COL_TITLE).data() is None
    assert len(spy.calls) == 1 and len(spy.calls[0]) == PaperTableModel.PAGE_SIZE
    # Ids 1..101 exist: the first page shows them.
    assert model.index(0, COL_TITLE).data()


def test_refresh_drops_the_cache(
    lib: Library, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(lib)
    model.index(0, COL_TITLE).data()
    pid = model.id_at(0)
    lib.update_paper(pid, title="A Renamed Paper")
    assert model.index(0, COL_TITLE).data() != "A Renamed Paper"  # Cached.
    with qtbot.waitSignal(model.dataChanged):
        model.refresh()
    assert model.index(model.row_of(pid) or 0, COL_TITLE).data() == "A Renamed Paper"


# --- rows in the database's order -----------------------------------------------------
#
# The model never sorts: header clicks go through the window's search state
# (tests/gui/test_main_window.py and test_search.py); here the order comes
# from the query the model is given.


def expected_title_order(lib: Library) -> list[str]:
    papers = lib.get(lib.query_ids(Query()))
    return [p.title for p in sorted(papers, key=lambda p: (normalise_title(p.title), p.id))]


def test_sort_by_title_on_many_papers(big_lib: Library) -> None:
    model = make_model(big_lib, Query(sort="title", descending=False))
    shown = [model.index(r, COL_TITLE).data() for r in range(0, SYNTHETIC_COUNT, 97)]
    everything = sorted((f"Paper {i}" for i in range(SYNTHETIC_COUNT)), key=normalise_title)
    assert shown == everything[::97]


def test_sort_by_year_uses_native_sort_role(lib: Library) -> None:
    ids = lib.query_ids(Query())
    for n, pid in enumerate(ids[:5]):
        lib.update_paper(pid, year=2000 + n)
    model = make_model(lib, Query(sort="year", descending=True))
    years = [model.index(r, COL_YEAR).data(SORT_ROLE) for r in range(5)]
    assert years == [2004, 2003, 2002, 2001, 2000]
    assert model.index(0, COL_YEAR).data() == "2004"


def test_resort_keeps_persistent_indexes_on_their_papers(lib: Library) -> None:
    model = make_model(lib)
    pid = model.id_at(10)
    persistent = QPersistentModelIndex(model.index(10, COL_AUTHORS))
    model.set_query(Query(sort="title", descending=False))
    assert titles(model) == expected_title_order(lib)  # Really reordered, in place.
    assert persistent.isValid()
    assert persistent.row() == model.row_of(pid)
    assert persistent.column() == COL_AUTHORS
    assert persistent.data(PAPER_ID_ROLE) == pid


def test_sort_key_column_mapping() -> None:
    assert PaperTableModel.sort_key_for_column(COL_STAR) == "starred"
    assert PaperTableModel.sort_key_for_column(COL_AUTHORS) == "authors"
    assert PaperTableModel.sort_key_for_column(COL_TAGS) is None
    assert PaperTableModel.column_for_sort_key("added") == COL_ADDED
    assert PaperTableModel.column_for_sort_key("relevance") is None


# --- display --------------------------------------------------------------------------


def test_display_values(lib: Library) -> None:
    model = make_model(lib)
    pid = model.id_at(0)
    lib.update_paper(pid, authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Kurt Gödel"])
    lib.add_tags([pid], ["to-read", "mamba"])
    lib.set_starred([pid])
    model.invalidate_ids([pid])
    paper = lib.paper(pid)

    def cell(col: int, role: int = DISPLAY) -> Any:
        return model.index(0, col).data(role)

    assert cell(COL_STAR) == "★"
    assert cell(COL_STAR, Qt.ItemDataRole.ToolTipRole) == "Starred"
    assert cell(COL_TITLE) == paper.title
    assert cell(COL_TITLE, Qt.ItemDataRole.ToolTipRole) == paper.title
    assert cell(COL_AUTHORS) == "Ada Lovelace, Alan Turing, Grace Hopper et al."
    assert "Kurt Gödel" in cell(COL_AUTHORS, Qt.ItemDataRole.ToolTipRole)
    assert cell(COL_TAGS) == "mamba, to-read"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell(COL_ADDED))
    assert paper.added_at is not None
    added = paper.added_at
    if added.tzinfo is None:  # SQLite returns the stored UTC time naive.
        added = added.replace(tzinfo=UTC)
    assert cell(COL_ADDED) == added.astimezone().strftime("%Y-%m-%d")
    assert cell(COL_YEAR) == ""
    assert cell(COL_TITLE, PAPER_ROLE) == paper
    other = model.index(1, COL_STAR)
    assert other.data() == "☆"
    assert model.index(1, COL_AUTHORS).data() == "—"


def test_authors_formatting() -> None:
    assert format_authors([]) == "—"
    assert format_authors(["A"]) == "A"
    assert format_authors(["A", "B", "C"]) == "A, B, C"
    assert format_authors(["A", "B", "C", "D"]) == "A, B, C et al."


def test_unread_titles_are_bold(lib: Library) -> None:
    model = make_model(lib)
    pid = model.id_at(0)
    font = model.index(0, COL_TITLE).data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    lib.set_read([pid])
    model.invalidate_ids([pid])
    font = model.index(0, COL_TITLE).data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and not font.bold()
    assert model.index(0, COL_AUTHORS).data(Qt.ItemDataRole.FontRole) is None


def test_titles_are_plain_text(lib: Library) -> None:
    model = make_model(lib)
    pid = model.id_at(0)
    lib.update_paper(pid, title="<b>Bold</b> & <i>claims</i>")
    model.invalidate_ids([pid])
    assert model.index(0, COL_TITLE).data() == "<b>Bold</b> & <i>claims</i>"


# --- invalidation -----------------------------------------------------------------------


def test_invalidate_ids_emits_data_changed_for_that_row_only(
    lib: Library, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(lib)
    row = 5
    pid = model.id_at(row)
    assert model.index(row, COL_STAR).data() == "☆"
    lib.set_starred([pid])
    emitted: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _roles=(): emitted.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    spy = GetSpy(lib, monkeypatch)
    model.invalidate_ids([pid, 999_999])  # An id not on display is ignored.
    assert emitted == [(row, 0, row, COLUMN_COUNT - 1)]
    assert resets == []
    assert model.index(row, COL_STAR).data() == "★"
    # Only the invalidated row was fetched again.
    assert spy.calls == [[pid]]


def test_invalidate_groups_adjacent_rows(lib: Library) -> None:
    model = make_model(lib)
    emitted: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): emitted.append((tl.row(), br.row())))
    model.invalidate_ids([model.id_at(r) for r in (9, 3, 4, 5)])
    assert emitted == [(3, 5), (9, 9)]


def test_remove_ids(lib: Library, qtbot: QtBot) -> None:
    model = make_model(lib)
    gone = [model.id_at(2), model.id_at(3), model.id_at(40)]
    keep = model.id_at(41)
    with qtbot.waitSignal(model.rowsRemoved):
        model.remove_ids(gone)
    assert model.rowCount() == 98
    assert all(model.row_of(pid) is None for pid in gone)
    assert model.row_of(keep) == 38
    assert model.index(38, COL_TITLE).data(PAPER_ID_ROLE) == keep


# --- drag out as BibTeX -------------------------------------------------------------------


def test_mime_data_is_bibtex(lib: Library) -> None:
    model = make_model(lib)
    indexes = [model.index(r, c) for r in (0, 1) for c in (COL_STAR, COL_TITLE)]
    mime = model.mimeData(indexes)
    text = mime.text()
    entries = re.findall(r"^@\w+\{([^,]+),", text, flags=re.MULTILINE)
    papers = lib.get([model.id_at(0), model.id_at(1)])
    assert entries == [p.citekey for p in papers]
    assert "title" in text
    assert json.loads(bytes(mime.data(IDS_MIME_TYPE).data()).decode()) == [p.id for p in papers]
    assert "text/plain" in model.mimeTypes()
    assert model.supportedDragActions() == Qt.DropAction.CopyAction


def test_mime_data_parses_as_bibtex(lib: Library) -> None:
    from pybtex.database import parse_string

    model = make_model(lib)
    mime = model.mimeData([model.index(r, COL_TITLE) for r in range(model.rowCount())])
    parsed = parse_string(mime.text(), "bibtex")
    assert len(parsed.entries) == 101


# --- SidebarModel ---------------------------------------------------------------------------


def leaf_keys(model: SidebarModel) -> list[str]:
    return model.keys()


def test_sidebar_modeltester(lib: Library, qtmodeltester: ModelTester) -> None:
    lib.add_tags(lib.query_ids(Query())[:3], ["mamba", "to-read"])
    lib.save_search("Mamba papers", Query(text="mamba"))
    model = SidebarModel(lib)
    qtmodeltester.check(model)
    lib.add_tags(lib.query_ids(Query())[:1], ["new"])
    model.reload()
    qtmodeltester.check(model)


def test_sidebar_sections_and_keys(lib: Library) -> None:
    ids = lib.query_ids(Query())
    lib.add_tags(ids[:3], ["mamba"])
    lib.set_tag_colour("mamba", "#e74c3c")
    lib.add_tags(ids[:1], ["to-read"])
    sid = lib.save_search("Mamba papers", Query(text="mamba"))
    batch = lib.batches()[0]
    model = SidebarModel(lib)
    sections = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert sections == ["Library", "Saved searches", "Tags", "Imports"]
    assert leaf_keys(model) == [
        "all",
        "starred",
        "unread",
        "recent",
        "trash",
        f"saved:{sid}",
        "tag:mamba",
        "tag:to-read",
        f"batch:{batch.id}",
    ]
    for r in range(model.rowCount()):
        section = model.index(r, 0)
        assert section.data(ITEM_KIND_ROLE) == "section"
        assert not model.flags(section) & Qt.ItemFlag.ItemIsSelectable
        assert model.flags(section) & Qt.ItemFlag.ItemIsEnabled
        assert section.data(FILTER_ROLE) is None

    tag = model.index_for_key("tag:mamba")
    assert tag.data() == "mamba  (3)"
    assert tag.data(COUNT_ROLE) == 3
    assert tag.data(VALUE_ROLE) == "mamba"
    assert tag.data(ITEM_KIND_ROLE) == "tag"
    assert tag.data(FILTER_ROLE) == Query(tags=("mamba",))
    assert not tag.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.flags(tag) & Qt.ItemFlag.ItemIsSelectable
    assert not model.flags(tag) & Qt.ItemFlag.ItemIsEditable

    imp = model.index_for_key(f"batch:{batch.id}")
    assert imp.data() == f"Mar 11 — hf-trending-mar11.txt ({batch.count})"
    assert imp.data(FILTER_ROLE) == Query(batch_id=batch.id)
    assert imp.data(ITEM_KIND_ROLE) == "batch"

    saved = model.index_for_key(f"saved:{sid}")
    assert saved.data() == "Mamba papers"
    assert saved.data(FILTER_ROLE) == Query(text="mamba")
    assert saved.data(ITEM_KIND_ROLE) == "saved"

    assert model.index_for_key("tag:nonexistent").isValid() is False


def test_sidebar_builtin_filters(lib: Library) -> None:
    ids = lib.query_ids(Query())
    lib.set_starred(ids[:2])
    lib.set_read(ids[:5])
    lib.trash(ids[-1:])
    model = SidebarModel(lib)

    def count(key: str) -> int:
        query = model.index_for_key(key).data(FILTER_ROLE)
        assert isinstance(query, Query)
        return lib.count(query)

    assert count("all") == 100
    assert count("starred") == 2
    assert count("unread") == 101 - 5 - 1  # Less the read ones and the trashed one.
    assert count("recent") == 100
    assert count("trash") == 1
    for key in ("all", "starred", "unread", "recent", "trash"):
        item = model.index_for_key(key)
        assert item.data(ITEM_KIND_ROLE) == "builtin"
        assert item.data(KEY_ROLE) == key
    recent = model.index_for_key("recent").data(FILTER_ROLE)
    assert recent.added_since is not None
    expected = lib.recent_cutoff()
    assert abs(recent.added_since - expected) < timedelta(minutes=1)


def test_sidebar_leaves_out_empty_sections(tmp_path: Any) -> None:
    with Library(tmp_path / "empty") as empty:
        model = SidebarModel(empty)
        assert model.rowCount() == 1
        assert leaf_keys(model) == ["all", "starred", "unread", "recent", "trash"]


def test_sidebar_uncoloured_and_bad_colours_get_a_swatch(lib: Library) -> None:
    ids = lib.query_ids(Query())
    lib.add_tags(ids[:1], ["plain", "odd"])
    lib.set_tag_colour("odd", "not-a-colour")  # Must not log a Qt warning.
    model = SidebarModel(lib)
    for key in ("tag:plain", "tag:odd"):
        assert not model.index_for_key(key).data(Qt.ItemDataRole.DecorationRole).isNull()


def test_sidebar_reload_follows_the_library(lib: Library) -> None:
    model = SidebarModel(lib)
    assert "tag:fresh" not in leaf_keys(model)
    lib.add_tags(lib.query_ids(Query())[:2], ["fresh"])
    model.reload()
    assert model.index_for_key("tag:fresh").data() == "fresh  (2)"
    lib.delete_tag("fresh")
    model.reload()
    assert not model.index_for_key("tag:fresh").isValid()


# --- the default order: the feed position -------------------------------------------


def test_the_window_lists_a_page_in_its_order_newest_import_first(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path
) -> None:
    from readinglist.importers import parse_file

    page = [p.title for p in parse_file(SAMPLE).papers]
    # The page's first paper is listed first, not last.
    assert titles(window.model) == page
    assert window.act.sort_actions["feed"].isChecked()
    assert window.act.sort_actions["feed"].text().replace("&", "") == "Feed position"
    newer = tmp_path / "newer.txt"
    newer.write_text("Mar 12\n\nZeta first paper\n\nOne.\n\nAlpha second paper\n\nTwo.\n")
    with qtbot.waitSignal(window.importFinished, timeout=20_000):
        window.transfer.import_paths([newer])
    qtbot.waitUntil(lambda: window.model.rowCount() == 103, timeout=10_000)
    # The newer import comes first, each import in its file's order.
    assert titles(window.model) == ["Zeta first paper", "Alpha second paper", *page]
    # Other columns still sort; the menu brings the feed position back.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.table.horizontalHeader().sectionClicked.emit(COL_TITLE)
    shown = titles(window.model)
    assert shown == sorted(shown, key=normalise_title) and shown[0] != "Zeta first paper"
    assert window.act.sort_actions["title"].isChecked()
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.act.sort_actions["feed"].trigger()
    assert titles(window.model)[:3] == ["Zeta first paper", "Alpha second paper", page[0]]


# --- the Tags column's chips ------------------------------------------------------------


def _chip_model(lib: Library) -> tuple[PaperTableModel, int]:
    ids = lib.query_ids(Query())
    lib.add_tags(ids[:1], ["to-read", "plain"])
    model = make_model(lib, Query())
    return model, model.row_of(ids[0]) or 0


def test_tag_chips_carry_the_tags_colours(lib: Library, qtbot: QtBot) -> None:
    model, row = _chip_model(lib)
    index = model.index(row, COL_TAGS)
    assert index.data(DISPLAY) == "plain, to-read"
    assert index.data(TAG_CHIPS_ROLE) == (("plain", ""), ("to-read", ""))
    assert model.index(row, COL_TITLE).data(TAG_CHIPS_ROLE) is None
    # A colour change repaints the Tags column (and only when a colour changed).
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.set_tag_colours({"To-Read": "#2e86de", "plain": ""})
    first, last, roles = blocker.args
    assert first.column() == last.column() == COL_TAGS and roles == [TAG_CHIPS_ROLE]
    assert last.row() == model.rowCount() - 1
    # The coloured tag comes first: a narrow column shows the first chips only.
    assert index.data(TAG_CHIPS_ROLE) == (("to-read", "#2e86de"), ("plain", ""))
    with qtbot.assertNotEmitted(model.dataChanged):
        model.set_tag_colours({"to-read": "#2e86de"})


def test_chip_text_is_black_or_white_whichever_reads_better() -> None:
    fill, text, _rim = chip_colours("#fff3a0", dark=False)  # pale yellow
    assert fill == QColor("#fff3a0") and text == QColor("#000000")
    fill, text, _rim = chip_colours("#1a237e", dark=False)  # navy
    assert fill == QColor("#1a237e") and text == QColor("#ffffff")
    # No colour (or a broken one): a neutral grey, dark text on light, light on dark.
    for colour in ("", "nonsense"):
        light_fill, light_text, _ = chip_colours(colour, dark=False)
        dark_fill, dark_text, _ = chip_colours(colour, dark=True)
        assert light_fill.saturation() == dark_fill.saturation() == 0
        assert light_text.lightness() < light_fill.lightness()
        assert dark_text.lightness() > dark_fill.lightness()


def _colours_in(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name()
        for x in range(0, image.width())
        for y in range(0, image.height(), 2)
    }


def _paint_chips(model: PaperTableModel, row: int, width: int) -> QImage:
    image = QImage(260, 28, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, width, 28)
    painter = QPainter(image)
    try:
        TagChipDelegate().paint(painter, option, model.index(row, COL_TAGS))
    finally:
        painter.end()
    return image


def test_the_delegate_paints_each_chip_in_its_tags_colour(lib: Library) -> None:
    model, row = _chip_model(lib)
    model.set_tag_colours({"to-read": "#e67e22"})
    colours = _colours_in(_paint_chips(model, row, 260))
    assert "#e67e22" in colours  # the coloured tag's chip
    assert chip_colours("", dark=False)[0].name() in colours  # the uncoloured one, grey
    # The size asked for holds both chips.
    option = QStyleOptionViewItem()
    hint = TagChipDelegate().sizeHint(option, model.index(row, COL_TAGS))
    assert hint.width() > 90
    # Too narrow for both: the coloured chip comes first, then "+1" (the
    # grey one is left out), and nothing is drawn outside the cell.
    narrow = _paint_chips(model, row, 90)
    assert "#e67e22" in _colours_in(narrow)
    assert chip_colours("", dark=False)[0].name() not in _colours_in(narrow)
    assert _colours_in(narrow.copy(90, 0, 170, 28)) == {"#ffffff"}


def test_the_table_redraws_chips_when_a_tag_colour_changes(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    pid = window.model.id_at(0)
    gui_lib.add_tags([pid], ["to-read"])
    qtbot.waitUntil(lambda: window.model.index(0, COL_TAGS).data() == "to-read", timeout=10_000)
    gui_lib.set_tag_colour("to-read", "#27ae60")
    qtbot.waitUntil(lambda: window.model.tag_colour("to-read") == "#27ae60", timeout=10_000)
    assert window.model.index(0, COL_TAGS).data(TAG_CHIPS_ROLE) == (("to-read", "#27ae60"),)
    window.table.scrollToTop()
    cell = window.table.visualRect(window.model.index(0, COL_TAGS))
    assert cell.isValid()
    image = window.table.viewport().grab(cell).toImage()
    assert "#27ae60" in _colours_in(image)
