"""The paper table view: its look, its columns, and selection by paper id.

Owns how the table is set up (row height, column widths, drag out, which
columns stretch), which columns are shown (the header's context menu; the
user's choices are kept apart from the defaults so the window can remember
just those), how a title too long for its cell is shortened (in the middle,
so titles that differ only at the end still look different), the selection
expressed as paper ids rather than rows, and the header's sort indicator.
What the rows are comes from :class:`~readinglist.gui.models.PaperTableModel`;
which order they are in is decided by the search state
(:mod:`readinglist.gui.search`), never here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from itertools import chain
from typing import Literal

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
)

from ..library import Library
from .models import (
    COL_ADDED,
    COL_AUTHORS,
    COL_STAR,
    COL_TAGS,
    COL_TITLE,
    COL_YEAR,
    PAPER_ID_ROLE,
    PaperTableModel,
)
from .widgets import as_label

__all__ = [
    "COLUMN_NAMES",
    "PaperTable",
    "TitleDelegate",
    "columns_without_values",
]

_COLUMN_WIDTHS = {COL_STAR: 30, COL_AUTHORS: 140, COL_YEAR: 52, COL_TAGS: 110, COL_ADDED: 90}

#: A stable name per column, for remembering the user's choice of columns.
COLUMN_NAMES: dict[int, str] = {
    COL_STAR: "starred",
    COL_TITLE: "title",
    COL_AUTHORS: "authors",
    COL_YEAR: "year",
    COL_TAGS: "tags",
    COL_ADDED: "added",
}
# What the header menu calls a column whose header is a symbol.
_MENU_LABELS = {COL_STAR: "Starred (★)"}
# Always shown: without titles the list means nothing (and a header with
# every column hidden has nowhere to right-click to bring them back).
_ALWAYS_SHOWN = frozenset({COL_TITLE})


def columns_without_values(lib: Library) -> set[int]:
    """The columns no paper of *lib* has a value for (Authors, Year), to hide by default.

    A library filled from trending-paper feeds has neither, and two columns
    of dashes only take room from the titles.  Each check is one indexed
    look-up (:meth:`~readinglist.library.Library.any_with`), ~0.1 ms at any size.
    """
    wanted: tuple[tuple[int, Literal["authors", "year"]], ...] = (
        (COL_AUTHORS, "authors"),
        (COL_YEAR, "year"),
    )
    return {column for column, field in wanted if not lib.any_with(field)}


class TitleDelegate(QStyledItemDelegate):
    """Draws titles elided in the middle: a long title keeps its start and its end.

    Titles of a series ("… Part 1", "… Part 2") or of versions differ at
    the end, which eliding on the right would cut off from every one of them.
    """

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class PaperTable(QTableView):
    """The list of papers in the centre of the window.

    The header is clickable but sorting is not enabled on the view: a click
    is turned into a new query by the window (the database sorts), and the
    indicator is set back from the query with :meth:`show_sort`.
    Right-clicking the header offers the columns to show or hide.
    """

    #: The user showed or hid a column from the header menu (the window saves it).
    columnsChosen = Signal()

    def __init__(self, model: PaperTableModel) -> None:
        super().__init__()
        self.papers = model
        self.setObjectName("papers")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.title_delegate = TitleDelegate(self)
        self.setItemDelegateForColumn(COL_TITLE, self.title_delegate)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setHighlightSections(False)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_header_menu)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        for col, width in _COLUMN_WIDTHS.items():
            self.setColumnWidth(col, width)
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        # The title takes whatever width is left, so no column is pushed out of view.
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAR, QHeaderView.ResizeMode.Fixed)
        # Columns hidden unless the user shows them, and what the user chose.
        self._default_hidden: set[int] = set()
        self._chosen: dict[int, bool] = {}

    # --- columns -----------------------------------------------------------------------

    def header_menu(self) -> QMenu:
        """The header's context menu: one checkable entry per column (Title always shown)."""
        menu = QMenu(self)
        menu.setObjectName("columnsMenu")
        model = self.papers
        for col in range(model.columnCount()):
            label = _MENU_LABELS.get(col) or str(
                model.headerData(col, Qt.Orientation.Horizontal) or f"Column {col + 1}"
            )
            action = QAction(label, menu, checkable=True)
            action.setData(col)
            action.setChecked(not self.isColumnHidden(col))
            action.setEnabled(col not in _ALWAYS_SHOWN)
            action.toggled.connect(lambda on, c=col: self.choose_column(c, on))
            menu.addAction(action)
        return menu

    def _show_header_menu(self, pos: QPoint) -> None:
        self.header_menu().exec(self.horizontalHeader().mapToGlobal(pos))

    def choose_column(self, col: int, shown: bool) -> None:
        """Show or hide column *col* as the user asked; the choice outlives the defaults."""
        if col in _ALWAYS_SHOWN:
            return
        self._chosen[col] = shown
        self._apply_columns()
        self.columnsChosen.emit()

    def set_default_hidden(self, columns: Collection[int]) -> None:
        """Hide *columns* unless the user chose to show them (e.g. no paper has a year)."""
        self._default_hidden = set(columns) - _ALWAYS_SHOWN
        self._apply_columns()

    def column_choices(self) -> dict[str, bool]:
        """The columns the user showed (True) or hid (False), by :data:`COLUMN_NAMES`."""
        return {COLUMN_NAMES[c]: on for c, on in sorted(self._chosen.items()) if c in COLUMN_NAMES}

    def restore_column_choices(self, choices: Mapping[str, object]) -> None:
        """Take back the choices :meth:`column_choices` gave (unknown names are ignored)."""
        by_name = {name: col for col, name in COLUMN_NAMES.items()}
        self._chosen = {
            by_name[name]: bool(on)
            for name, on in choices.items()
            if name in by_name and by_name[name] not in _ALWAYS_SHOWN and isinstance(on, bool)
        }
        self._apply_columns()

    def _apply_columns(self) -> None:
        for col in range(self.papers.columnCount()):
            shown = self._chosen.get(col, col not in self._default_hidden)
            if self.isColumnHidden(col) == shown:
                self.setColumnHidden(col, not shown)

    # --- tooltips ----------------------------------------------------------------------

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            # Titles come from files and web pages: a tooltip Qt guesses to be
            # markup would render "<b>x</b>" (or an <img>) instead of the text.
            index = self.indexAt(event.pos())
            tip = index.data(Qt.ItemDataRole.ToolTipRole) if index.isValid() else None
            if tip:
                QToolTip.showText(
                    event.globalPos(), as_label(str(tip)), self.viewport(), self.visualRect(index)
                )
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # --- selection -------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The ids of the selected papers, in row order."""
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        ids = [self.papers.index(r, 0).data(PAPER_ID_ROLE) for r in rows]
        return [int(i) for i in ids if i is not None]

    def current_id(self) -> int | None:
        """The paper of the current row if that row is selected (what Enter opens), else None."""
        index = self.currentIndex()
        if not index.isValid() or not self.selectionModel().isRowSelected(index.row()):
            return None
        pid = self.papers.index(index.row(), 0).data(PAPER_ID_ROLE)
        return int(pid) if pid is not None else None

    def select_ids(self, ids: Sequence[int], current: int | None) -> int | None:
        """Select the rows of *ids* still shown; return the row made current.

        The current row stays on paper *current* if it is among them.  None
        means none of *ids* is shown and the selection was left alone.
        """
        rows = [r for r in (self.papers.row_of(i) for i in ids) if r is not None]
        if not rows:
            return None
        selection = self.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.papers.index(row, 0), flags)
        cur_row = self.papers.row_of(current) if current is not None else None
        target = cur_row if cur_row is not None and cur_row in rows else rows[0]
        selection.setCurrentIndex(
            self.papers.index(target, 0), QItemSelectionModel.SelectionFlag.NoUpdate
        )
        return target

    def clear_selection(self) -> None:
        """Select nothing and have no current row (so nothing is shown as chosen)."""
        self.selectionModel().clear()

    def paper_after(self, ids: Collection[int]) -> int | None:
        """The paper to select once *ids* leave the list, as a file manager does.

        The first row below the first of them that is not among them, else
        (they were at the end) the nearest row above; None if none is left.
        """
        gone = set(ids)
        rows = sorted(r for r in (self.papers.row_of(i) for i in gone) if r is not None)
        if not rows:
            return None
        below = range(rows[0] + 1, self.papers.rowCount())
        for row in chain(below, range(rows[0] - 1, -1, -1)):
            pid = self.papers.id_at(row)
            if pid not in gone:
                return pid
        return None

    def reveal_row(self, row: int) -> None:
        """Scroll so that *row* is in view (as little as needed)."""
        self.scrollTo(self.papers.index(row, COL_TITLE), QAbstractItemView.ScrollHint.EnsureVisible)

    def show_sort(self, key: str, descending: bool) -> None:
        """Point the header's indicator at the column sorted by *key* (none for relevance)."""
        column = self.papers.column_for_sort_key(key)
        header = self.horizontalHeader()
        if column is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)
