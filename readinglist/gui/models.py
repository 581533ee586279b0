"""Qt item models over the library: the paper table and the sidebar tree.

:class:`PaperTableModel` holds only the ids a query returned, in the order
the database sorted them (as Anki's card browser does); a row's data is read
with :meth:`Library.get` the first time the view asks for any row of its page,
and cached.  Opening 100,000 papers therefore costs one list of ints, and
``data()`` never runs SQL except on a cache miss for a whole page.

:class:`SidebarModel` lists what the table can show: built-in views, saved
searches, tags and import batches.  Each leaf carries the :class:`Query` it
stands for, so the window never has to know what a sidebar entry means.

:class:`TagChipDelegate` draws the table's Tags column as chips in the tags'
colours (:data:`TAG_CHIPS_ROLE` gives each tag with its colour), as the
sidebar's dots and the detail pane's chips show them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from readinglist.core.query import DEFAULT_SORT, Query
from readinglist.core.views import BUILTIN_VIEWS, view_query
from readinglist.core.wording import counted
from readinglist.library import BatchInfo, Library, SavedSearchInfo, TagInfo
from readinglist.records import PaperData
from readinglist.search import SearchResult

__all__ = [
    "COLUMN_COUNT",
    "COL_ADDED",
    "COL_AUTHORS",
    "COL_STAR",
    "COL_TAGS",
    "COL_TITLE",
    "COL_YEAR",
    "COUNT_ROLE",
    "FILTER_ROLE",
    "IDS_MIME_TYPE",
    "ITEM_KIND_ROLE",
    "KEY_ROLE",
    "PAPER_ID_ROLE",
    "PAPER_ROLE",
    "SORT_ROLE",
    "TAG_CHIPS_ROLE",
    "VALUE_ROLE",
    "PaperTableModel",
    "SidebarModel",
    "TagChipDelegate",
    "chip_colours",
    "format_added",
    "format_authors",
]

_AnyIndex = QModelIndex | QPersistentModelIndex

# --- the paper table ---------------------------------------------------------

COL_STAR: Final = 0
COL_TITLE: Final = 1
COL_AUTHORS: Final = 2
COL_YEAR: Final = 3
COL_TAGS: Final = 4
COL_ADDED: Final = 5
COLUMN_COUNT: Final = 6

_HEADERS: Final = {
    COL_STAR: "★",
    COL_TITLE: "Title",
    COL_AUTHORS: "Authors",
    COL_YEAR: "Year",
    COL_TAGS: "Tags",
    COL_ADDED: "Added",
}
_HEADER_TIPS: Final = {
    COL_STAR: "Starred",
    COL_TAGS: "Tags (not sortable)",
    COL_ADDED: "Date the paper was added",
}

# Column -> Query.sort key.  Tags have no sensible database order (a paper has
# several), so that column is absent and a click on it changes nothing.
SORT_KEYS: Final[dict[int, str]] = {
    COL_STAR: "starred",
    COL_TITLE: "title",
    COL_AUTHORS: "authors",
    COL_YEAR: "year",
    COL_ADDED: "added",
}
_COLUMN_OF_SORT: Final = {key: col for col, key in SORT_KEYS.items()}

_USER: Final = int(Qt.ItemDataRole.UserRole)
#: The paper's id (int); survives proxies and resets, unlike a row number.
PAPER_ID_ROLE: Final = _USER + 1
#: The whole :class:`PaperData` snapshot (or None if the paper vanished).
PAPER_ROLE: Final = _USER + 2
#: The column's native value (bool, str, tuple, int, datetime) for sorting.
SORT_ROLE: Final = _USER + 3
#: The Tags column's chips: a tuple of (tag name, colour "#rrggbb" or "" for none).
TAG_CHIPS_ROLE: Final = _USER + 4

#: Private drag format: a JSON list of paper ids (e.g. dropped onto a tag).
IDS_MIME_TYPE: Final = "application/x-readinglist-paper-ids"

STAR_ON: Final = "★"
STAR_OFF: Final = "☆"
NO_AUTHORS: Final = "—"
MAX_AUTHORS_SHOWN: Final = 3


def format_authors(authors: Sequence[str]) -> str:
    """Return "A, B, C et al." beyond three names, "—" for none."""
    if not authors:
        return NO_AUTHORS
    shown = ", ".join(authors[:MAX_AUTHORS_SHOWN])
    return f"{shown} et al." if len(authors) > MAX_AUTHORS_SHOWN else shown


def _local(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive; the library always stores UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


def format_added(moment: datetime | None) -> str:
    """Return the local calendar date, e.g. "2026-11-24" ("" when unknown)."""
    return _local(moment).strftime("%Y-%m-%d") if moment is not None else ""


class PaperTableModel(QAbstractTableModel):
    """The papers a :class:`Query` selects, as a lazily filled table.

    The model neither filters nor sorts: the database does, and the window's
    search state (:mod:`readinglist.gui.search`) decides the query, header
    clicks included.  Two ways to load ids:

    * :meth:`set_query` runs the query synchronously (fine for small
      libraries and tests);
    * the window runs ``library.query(q)`` in a worker and hands the result
      to :meth:`set_ids`, keeping the GUI responsive on large libraries.

    Titles are plain text: nothing here is ever interpreted as HTML.
    """

    #: Rows fetched together on a cache miss.
    PAGE_SIZE: ClassVar[int] = 200
    #: Cached rows beyond which the pages farthest from the view are dropped.
    MAX_CACHED: ClassVar[int] = 5000

    #: A new id list was installed (after a reset or re-sort).
    idsChanged = Signal()

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._query = Query(sort=DEFAULT_SORT, descending=True)
        self._ids: list[int] = []
        self._search: SearchResult | None = None
        # id -> snapshot; None marks a paper that vanished since the query,
        # so a missing row does not trigger SQL on every repaint.
        self._cache: dict[int, PaperData | None] = {}
        # Built on first use: set_ids must stay O(1) beyond copying the list.
        self._row_of: dict[int, int] | None = None
        self._fonts: tuple[QFont, QFont] | None = None
        # Tag colours by casefolded name; tags without one are absent.
        self._tag_colours: dict[str, str] = {}

    # --- loading -------------------------------------------------------------

    @property
    def library(self) -> Library:
        return self._library

    def query(self) -> Query:
        """The query the current rows came from (or will come from)."""
        return self._query

    def search_result(self) -> SearchResult | None:
        """The full-text result behind the rows, for highlighting; None without text."""
        return self._search

    def set_query(self, q: Query) -> None:
        """Run *q* now (in this thread) and show its rows.

        Raises :class:`readinglist.search.QuerySyntaxError` for bad search
        text, leaving the model unchanged.
        """
        ids, result = self._library.query(q)
        self.set_ids(ids, result, query=q)

    def refresh(self) -> None:
        """Re-run the current query and show fresh rows."""
        self.set_query(self._query)

    def set_ids(
        self,
        ids: Sequence[int],
        search_result: SearchResult | None = None,
        *,
        query: Query | None = None,
    ) -> None:
        """Show *ids* (already filtered and sorted by the database).

        When the new list holds exactly the same papers (a re-sort, or a
        re-run after an edit), the change is a layout change plus
        ``dataChanged``, so selection and current row follow their papers;
        otherwise the model is reset.  Cached rows are dropped either way:
        a new list usually follows a change in the library, and refetching
        the visible page costs one query.
        """
        new_ids = list(ids)
        if query is not None:
            self._query = query
        self._search = search_result
        same_papers = len(new_ids) == len(self._ids) and set(new_ids) == set(self._ids)
        if same_papers and self._ids:
            if new_ids != self._ids:
                self._reorder(new_ids)
            self._cache.clear()
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, COLUMN_COUNT - 1)
            )
        elif not same_papers:
            self.beginResetModel()
            self._ids = new_ids
            self._row_of = None
            self._cache.clear()
            self.endResetModel()
        self.idsChanged.emit()

    def _reorder(self, new_ids: list[int]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._ids[i.row()] if i.isValid() else None for i in old]
        self._ids = new_ids
        self._row_of = None
        row_of = self._rows()
        new = [
            self.index(row_of[pid], i.column()) if pid is not None else QModelIndex()
            for i, pid in zip(old, old_ids, strict=True)
        ]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def clear(self) -> None:
        """Show nothing (e.g. while the library is being swapped)."""
        self.set_ids([], None)

    def set_tag_colours(self, colours: Mapping[str, str]) -> None:
        """Colour the Tags column's chips: *colours* maps tag name to "#rrggbb" ("" for none).

        The window passes every tag (``lib.tags()``) at start and after a tag
        or its colour changed; the column is repainted only if a colour did.
        """
        known = {name.casefold(): colour for name, colour in colours.items() if colour}
        if known == self._tag_colours:
            return
        self._tag_colours = known
        if self._ids:
            self.dataChanged.emit(
                self.index(0, COL_TAGS), self.index(len(self._ids) - 1, COL_TAGS), [TAG_CHIPS_ROLE]
            )

    def tag_colour(self, name: str) -> str:
        """The colour of tag *name* ("" when it has none)."""
        return self._tag_colours.get(name.casefold(), "")

    # --- lookups -------------------------------------------------------------

    def ids(self) -> list[int]:
        """A copy of the ids on display, in row order."""
        return list(self._ids)

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, pid: int) -> int | None:
        """The row showing paper *pid*, or None."""
        return self._rows().get(pid)

    def index_of(self, pid: int, column: int = COL_TITLE) -> QModelIndex:
        row = self.row_of(pid)
        return self.index(row, column) if row is not None else QModelIndex()

    def paper_at(self, row: int) -> PaperData | None:
        """The snapshot for *row*, loading its page if needed."""
        if not 0 <= row < len(self._ids):
            return None
        pid = self._ids[row]
        if pid not in self._cache:
            self._load_page(row // self.PAGE_SIZE)
        return self._cache.get(pid)

    def cached_count(self) -> int:
        """How many rows are cached (for tests and diagnostics)."""
        return len(self._cache)

    def _rows(self) -> dict[int, int]:
        if self._row_of is None:
            self._row_of = {pid: row for row, pid in enumerate(self._ids)}
        return self._row_of

    def _load_page(self, page: int) -> None:
        start = page * self.PAGE_SIZE
        wanted = [
            pid for pid in self._ids[start : start + self.PAGE_SIZE] if pid not in self._cache
        ]
        if not wanted:
            return
        if len(self._cache) + len(wanted) > self.MAX_CACHED:
            self._evict(keep_near=start)
        found = {p.id: p for p in self._library.get(wanted)}
        for pid in wanted:
            self._cache[pid] = found.get(pid)

    def _evict(self, keep_near: int) -> None:
        # Drop the rows farthest from where the user is looking until half the
        # budget is free, so scrolling back and forth does not thrash.
        rows = self._rows()
        budget = self.MAX_CACHED // 2
        by_distance = sorted(self._cache, key=lambda pid: abs(rows.get(pid, -(10**12)) - keep_near))
        for pid in by_distance[budget:]:
            del self._cache[pid]

    # --- updates -------------------------------------------------------------

    def invalidate_ids(self, ids: Iterable[int]) -> None:
        """Forget cached rows of *ids* and repaint just those rows.

        Used after star/read/tag/edit changes so the table keeps its scroll
        position and selection.  Ids not on display are ignored; whether a
        changed paper still matches the filter is the window's call (it
        re-runs the query when it must).
        """
        rows_map = self._rows()
        rows: list[int] = []
        for pid in ids:
            self._cache.pop(pid, None)
            row = rows_map.get(pid)
            if row is not None:
                rows.append(row)
        last_col = COLUMN_COUNT - 1
        for first, last in _runs(sorted(set(rows))):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))

    def remove_ids(self, ids: Iterable[int]) -> None:
        """Remove the rows of *ids* (trashed, purged) without resetting the model."""
        rows_map = self._rows()
        rows = sorted({rows_map[pid] for pid in ids if pid in rows_map})
        if not rows:
            return
        # Remove from the bottom up so earlier row numbers stay valid.
        for first, last in reversed(list(_runs(rows))):
            self.beginRemoveRows(QModelIndex(), first, last)
            for pid in self._ids[first : last + 1]:
                self._cache.pop(pid, None)
            del self._ids[first : last + 1]
            self._row_of = None
            self.endRemoveRows()
        self.idsChanged.emit()

    # --- Qt model interface ----------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        row, col = index.row(), index.column()
        if role == PAPER_ID_ROLE:
            return self._ids[row]  # No fetch needed: the id is all we have.
        if role not in _ROLES_NEEDING_PAPER:
            return None
        paper = self.paper_at(row)
        if paper is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(paper, col)
        if role == PAPER_ROLE:
            return paper
        if role == TAG_CHIPS_ROLE:
            if col != COL_TAGS:
                return None
            chips = [(name, self.tag_colour(name)) for name in paper.tags]
            # Coloured tags first (a stable sort keeps the rest in order): a
            # user colours the tags that matter, and a narrow column shows
            # only the first chips before "+N".
            return tuple(sorted(chips, key=lambda chip: not chip[1]))
        if role == SORT_ROLE:
            return _sort_value(paper, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(paper, col)
        if role == Qt.ItemDataRole.FontRole:
            return self._font(bold=not paper.read) if col == COL_TITLE else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_STAR, COL_YEAR):
                return Qt.AlignmentFlag.AlignCenter
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole and col == COL_STAR:
            return "starred" if paper.starred else "not starred"
        return None

    def _font(self, *, bold: bool) -> QFont:
        # QFont needs a QGuiApplication, so the two fonts are made on first use.
        if self._fonts is None:
            plain = QFont()
            strong = QFont()
            strong.setBold(True)
            self._fonts = (plain, strong)
        return self._fonts[1] if bold else self._fonts[0]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or section not in _HEADERS:
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(section)
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    @staticmethod
    def sort_key_for_column(column: int) -> str | None:
        """The :attr:`Query.sort` key of a header column (None: not sortable)."""
        return SORT_KEYS.get(column)

    @staticmethod
    def column_for_sort_key(key: str) -> int | None:
        """The header column showing sort *key* (None for "relevance" and others)."""
        return _COLUMN_OF_SORT.get(key)

    # --- drag and drop ---------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return ["text/plain", IDS_MIME_TYPE]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """BibTeX of the dragged rows as text, plus their ids for in-app drops."""
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._ids)})
        ids = [self._ids[r] for r in rows]
        mime = QMimeData()
        mime.setData(IDS_MIME_TYPE, json.dumps(ids).encode("utf-8"))
        # Fresh snapshots (not the cache): a drag should export what is stored.
        papers = self._library.get(ids)
        try:
            # Imported here so the table still works if an exporter is broken.
            from readinglist.exporters import bibtex
        except ImportError:
            text = "\n".join(p.title for p in papers)
        else:
            text = bibtex.dumps(papers)
        mime.setText(text)
        return mime


_ROLES_NEEDING_PAPER: Final = frozenset(
    {
        int(Qt.ItemDataRole.DisplayRole),
        int(Qt.ItemDataRole.ToolTipRole),
        int(Qt.ItemDataRole.FontRole),
        int(Qt.ItemDataRole.TextAlignmentRole),
        int(Qt.ItemDataRole.AccessibleTextRole),
        PAPER_ROLE,
        SORT_ROLE,
        TAG_CHIPS_ROLE,
    }
)


def _display(paper: PaperData, col: int) -> str | None:
    if col == COL_STAR:
        return STAR_ON if paper.starred else STAR_OFF
    if col == COL_TITLE:
        return paper.title
    if col == COL_AUTHORS:
        return format_authors(paper.authors)
    if col == COL_YEAR:
        return str(paper.year) if paper.year is not None else ""
    if col == COL_TAGS:
        return ", ".join(paper.tags)
    if col == COL_ADDED:
        return format_added(paper.added_at)
    return None


def _sort_value(paper: PaperData, col: int) -> object:
    if col == COL_STAR:
        return paper.starred
    if col == COL_TITLE:
        return paper.title
    if col == COL_AUTHORS:
        return list(paper.authors)
    if col == COL_YEAR:
        return paper.year
    if col == COL_TAGS:
        return list(paper.tags)
    if col == COL_ADDED:
        return paper.added_at
    return None


def _tooltip(paper: PaperData, col: int) -> str | None:
    if col == COL_STAR:
        return "Starred" if paper.starred else "Not starred"
    if col == COL_TITLE:
        return paper.title
    if col == COL_AUTHORS and len(paper.authors) > MAX_AUTHORS_SHOWN:
        return "\n".join(paper.authors)
    if col == COL_TAGS and paper.tags:
        return "\n".join(paper.tags)
    if col == COL_ADDED and paper.added_at is not None:
        return _local(paper.added_at).strftime("%Y-%m-%d %H:%M")
    return None


def _runs(rows: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Group sorted row numbers into (first, last) runs of consecutive rows."""
    if not rows:
        return
    first = last = rows[0]
    for row in rows[1:]:
        if row != last + 1:
            yield first, last
            first = row
        last = row
    yield first, last


# --- the Tags column's chips ----------------------------------------------------

# Space around and between chips, in pixels.
_CHIP_PAD_X: Final = 6
_CHIP_GAP: Final = 4
_CHIP_MARGIN: Final = 3


def _luminance(colour: QColor) -> float:
    """The WCAG relative luminance of *colour* (0 black … 1 white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def chip_colours(colour: str, dark: bool) -> tuple[QColor, QColor, QColor]:
    """The (fill, text, rim) of a tag chip; *colour* is the tag's ("" for none).

    A chosen colour fills the chip, with black or white text, whichever
    contrasts more (WCAG ratio), so a pale yellow tag stays as readable as a
    navy one.  An uncoloured tag is a neutral grey, as its hollow dot in the
    sidebar: a colour of our choosing would look like one the user chose.
    The rim, a shade off the fill, keeps a pale chip visible on a pale row.
    """
    chosen = QColor(colour) if colour and QColor.isValidColorName(colour) else QColor()
    if chosen.isValid():
        lum = _luminance(chosen)
        on_black = (lum + 0.05) / 0.05
        on_white = 1.05 / (lum + 0.05)
        text = QColor("#000000") if on_black >= on_white else QColor("#ffffff")
        return chosen, text, chosen.lighter(140) if dark else chosen.darker(125)
    if dark:
        return QColor.fromHsl(0, 0, 68), QColor.fromHsl(0, 0, 225), QColor.fromHsl(0, 0, 100)
    return QColor.fromHsl(0, 0, 236), QColor.fromHsl(0, 0, 50), QColor.fromHsl(0, 0, 205)


class TagChipDelegate(QStyledItemDelegate):
    """Draws a cell's :data:`TAG_CHIPS_ROLE` as rounded chips in the tags' colours.

    The row's background, selection and focus are drawn as for any cell;
    the chips go on top, left to right.  Those that do not fit give way to a
    "+N" saying how many are left out (the tooltip lists them all); a first
    chip wider than the cell is elided.  The text stays the model's display
    text for everything that reads it (copying, accessibility, tests).
    """

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        chips = index.data(TAG_CHIPS_ROLE)
        if not chips:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # The background, selection and focus only: the chips are the text.
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setFont(opt.font)
            self._draw_chips(painter, opt, list(chips))
        finally:
            painter.restore()

    @staticmethod
    def _draw_chips(
        painter: QPainter, opt: QStyleOptionViewItem, chips: list[tuple[str, str]]
    ) -> None:
        metrics = QFontMetrics(opt.font)
        rect = opt.rect.adjusted(_CHIP_MARGIN, 0, -_CHIP_MARGIN, 0)
        height = min(metrics.height() + 2, rect.height() - 2)
        top = rect.top() + (rect.height() - height) / 2
        dark = opt.palette.color(QPalette.ColorRole.Base).lightness() < 128
        # On a selected row a chip near the highlight's colour (a blue tag on
        # a blue selection) would melt into it: the rim takes the selection's
        # text colour there.
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        selected_rim = opt.palette.color(QPalette.ColorRole.HighlightedText)
        x = float(rect.left())
        right = float(rect.right())
        for i, (name, colour) in enumerate(chips):
            left = len(chips) - i - 1
            more = f"+{left}" if left else ""
            reserve = metrics.horizontalAdvance(more) + _CHIP_GAP if more else 0
            width = metrics.horizontalAdvance(name) + 2 * _CHIP_PAD_X
            text = name
            if x + width > right - reserve:
                if i > 0:  # No room for this one: say how many are left out.
                    _draw_more(painter, opt, x, top, height, len(chips) - i)
                    return
                room = int(right - reserve - x) - 2 * _CHIP_PAD_X
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(room, 0))
                width = metrics.horizontalAdvance(text) + 2 * _CHIP_PAD_X
            fill, ink, rim = chip_colours(colour, dark)
            if selected:
                rim = selected_rim
            chip = QRectF(x + 0.5, top + 0.5, width - 1, height - 1)
            painter.setPen(QPen(rim, 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(chip, height / 2, height / 2)
            painter.setPen(ink)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
            x += width + _CHIP_GAP
            if text != name and more:
                _draw_more(painter, opt, x, top, height, left)
                return

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        chips = index.data(TAG_CHIPS_ROLE)
        if chips:
            metrics = QFontMetrics(option.font)
            width = sum(metrics.horizontalAdvance(n) + 2 * _CHIP_PAD_X for n, _c in chips)
            width += _CHIP_GAP * (len(chips) - 1) + 2 * _CHIP_MARGIN
            size.setWidth(max(size.width(), width))
        return size


def _draw_more(
    painter: QPainter, opt: QStyleOptionViewItem, x: float, top: float, height: float, count: int
) -> None:
    """Write "+*count*" at *x*: the chips left out for lack of room."""
    selected = bool(opt.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    painter.setPen(opt.palette.color(role))
    width = opt.rect.right() - x + 1
    painter.drawText(
        QRectF(x, top, max(width, 0.0), height),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        f"+{count}",
    )


# --- the sidebar ------------------------------------------------------------

#: The :class:`Query` a leaf stands for (None on section headers).
FILTER_ROLE: Final = _USER + 10
#: A stable string naming the entry, for restoring the last choice.
KEY_ROLE: Final = _USER + 11
#: "section", "builtin", "saved", "tag" or "batch".
ITEM_KIND_ROLE: Final = _USER + 12
#: Tag name, batch id or saved-search id (None for built-ins and sections).
VALUE_ROLE: Final = _USER + 13
#: Number of papers (tags and batches), or None.
COUNT_ROLE: Final = _USER + 14

KIND_SECTION: Final = "section"
KIND_BUILTIN: Final = "builtin"
KIND_SAVED: Final = "saved"
KIND_TAG: Final = "tag"
KIND_BATCH: Final = "batch"

_SWATCH_SIZE: Final = 12


class SidebarModel(QStandardItemModel):
    """Sections of the sidebar: Library, Saved searches, Tags, Imports.

    Every leaf carries :data:`FILTER_ROLE` (a :class:`Query` of filters, no
    sort), :data:`KEY_ROLE` (``"all"``, ``"starred"``, ``"unread"``,
    ``"recent"``, ``"trash"``, ``"saved:<id>"``, ``"tag:<name>"``,
    ``"batch:<id>"``), :data:`ITEM_KIND_ROLE` and :data:`VALUE_ROLE`.
    Section headers are enabled but not selectable.  Empty sections (no tags
    yet, no saved searches) are left out.
    """

    #: (key, label) of the built-in views: the core's list, shared with the CLI.
    BUILTINS: ClassVar[tuple[tuple[str, str], ...]] = BUILTIN_VIEWS
    BUILTIN_TIPS: ClassVar[dict[str, str]] = {
        "recent": "Added in the last 7 days",
        "trash": "Trashed papers (restore or delete for good)",
    }

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self.reload()

    @property
    def library(self) -> Library:
        return self._library

    @staticmethod
    def builtin_query(key: str) -> Query:
        """The filter of a built-in entry (the core's); "recent" is computed afresh each time."""
        return view_query(key)

    def reload(self) -> None:
        """Rebuild every entry from the library (a few cheap SQL queries)."""
        tags = self._library.tags()
        batches = self._library.batches()
        saved = self._library.saved_searches()
        self.clear()
        self.setColumnCount(1)
        root = self.invisibleRootItem()
        root.appendRow(
            self._section(
                "library",
                "Library",
                [self._builtin(key, text) for key, text in self.BUILTINS],
            )
        )
        if saved:
            root.appendRow(
                self._section("saved", "Saved searches", [self._saved(s) for s in saved])
            )
        if tags:
            root.appendRow(self._section("tags", "Tags", [self._tag(t) for t in tags]))
        if batches:
            root.appendRow(self._section("imports", "Imports", [self._batch(b) for b in batches]))

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # "Recently added" moves with the clock: a stored query would go stale
        # in a window left open for days.
        if role == FILTER_ROLE and super().data(index, KEY_ROLE) == "recent":
            return self.builtin_query("recent")
        return super().data(index, role)

    def index_for_key(self, key: str) -> QModelIndex:
        """The index of the entry with :data:`KEY_ROLE` *key* (invalid if gone)."""
        root = self.invisibleRootItem()
        for s in range(root.rowCount()):
            section = root.child(s)
            for r in range(section.rowCount()):
                item = section.child(r)
                if item.data(KEY_ROLE) == key:
                    return item.index()
        return QModelIndex()

    def keys(self) -> list[str]:
        """Every leaf's key, top to bottom."""
        out: list[str] = []
        root = self.invisibleRootItem()
        for s in range(root.rowCount()):
            section = root.child(s)
            out.extend(str(section.child(r).data(KEY_ROLE)) for r in range(section.rowCount()))
        return out

    # --- item builders -----------------------------------------------------------

    @staticmethod
    def _leaf(text: str, key: str, kind: str, query: Query, value: object = None) -> QStandardItem:
        item = QStandardItem(text)
        item.setEditable(False)
        item.setDragEnabled(False)
        item.setDropEnabled(False)
        item.setData(key, KEY_ROLE)
        item.setData(kind, ITEM_KIND_ROLE)
        item.setData(query, FILTER_ROLE)
        item.setData(value, VALUE_ROLE)
        return item

    def _section(self, key: str, text: str, children: list[QStandardItem]) -> QStandardItem:
        item = QStandardItem(text)
        # Enabled (so it is drawn normally and can be expanded) but never
        # selected: a header is not something the table can show.
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setData(f"section:{key}", KEY_ROLE)
        item.setData(KIND_SECTION, ITEM_KIND_ROLE)
        font = QFont()
        font.setBold(True)
        item.setFont(font)
        for child in children:
            item.appendRow(child)
        return item

    def _builtin(self, key: str, text: str) -> QStandardItem:
        item = self._leaf(text, key, KIND_BUILTIN, self.builtin_query(key))
        tip = self.BUILTIN_TIPS.get(key)
        if tip:
            item.setToolTip(tip)
        return item

    def _saved(self, info: SavedSearchInfo) -> QStandardItem:
        item = self._leaf(info.name, f"saved:{info.id}", KIND_SAVED, info.query, info.id)
        if info.query.text:
            item.setToolTip(info.query.text)
        return item

    def _tag(self, info: TagInfo) -> QStandardItem:
        item = self._leaf(
            f"{info.name}  ({info.count})",
            f"tag:{info.name}",
            KIND_TAG,
            view_query(f"tag:{info.name}"),
            info.name,
        )
        item.setData(info.count, COUNT_ROLE)
        item.setIcon(_swatch(info.colour))
        item.setToolTip(f"{info.name}: {info.count} paper{'s' if info.count != 1 else ''}")
        return item

    def _batch(self, info: BatchInfo) -> QStandardItem:
        created = _local(info.created_at)
        label = info.label or f"{created:%b} {created.day}"
        item = self._leaf(
            f"{label} — {info.file_name} ({info.count})",
            f"batch:{info.id}",
            KIND_BATCH,
            view_query(f"batch:{info.id}"),
            info.id,
        )
        item.setData(info.count, COUNT_ROLE)
        item.setToolTip(
            f"{info.file_name}\nimported {created:%Y-%m-%d %H:%M}"
            f"{f' ({info.format})' if info.format else ''}\n"
            f"{info.added} added, {counted(info.duplicates, 'duplicate')}, "
            f"{counted(info.problems, 'problem')}"
        )
        return item


def _swatch(colour: str) -> QIcon:
    """A small filled circle in *colour*; a hollow grey one for uncoloured tags.

    Uncoloured tags still get an icon so every tag name lines up.
    """
    pixmap = QPixmap(_SWATCH_SIZE, _SWATCH_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # isValidColorName first: QColor("nonsense") would log a Qt warning.
        fill = QColor(colour) if colour and QColor.isValidColorName(colour) else QColor()
        if fill.isValid():
            painter.setPen(fill.darker(130))
            painter.setBrush(fill)
        else:
            painter.setPen(QColor(128, 128, 128))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(1, 1, _SWATCH_SIZE - 2, _SWATCH_SIZE - 2)
    finally:
        painter.end()
    return QIcon(pixmap)
