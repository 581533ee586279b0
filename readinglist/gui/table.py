"""The paper table view: its look, its columns, and selection by paper id.

Owns how the table is set up (row height, column widths, drag out, which
columns stretch), the selection expressed as paper ids rather than rows,
and the header's sort indicator.  What the rows are comes from
:class:`~readinglist.gui.models.PaperTableModel`; which order they are in is
decided by the search state (:mod:`readinglist.gui.search`), never here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

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

__all__ = ["PaperTable"]

_COLUMN_WIDTHS = {COL_STAR: 30, COL_AUTHORS: 130, COL_YEAR: 50, COL_TAGS: 120, COL_ADDED: 90}


class PaperTable(QTableView):
    """The list of papers in the centre of the window.

    The header is clickable but sorting is not enabled on the view: a click
    is turned into a new query by the window (the database sorts), and the
    indicator is set back from the query with :meth:`show_sort`.
    """

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
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        for col, width in _COLUMN_WIDTHS.items():
            self.setColumnWidth(col, width)
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        # The title takes whatever width is left, so no column is pushed out of view.
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAR, QHeaderView.ResizeMode.Fixed)

    def selected_ids(self) -> list[int]:
        """The ids of the selected papers, in row order."""
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        ids = [self.papers.index(r, 0).data(PAPER_ID_ROLE) for r in rows]
        return [int(i) for i in ids if i is not None]

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
        target = cur_row if cur_row is not None else rows[0]
        selection.setCurrentIndex(
            self.papers.index(target, 0), QItemSelectionModel.SelectionFlag.NoUpdate
        )
        return target

    def show_sort(self, key: str, descending: bool) -> None:
        """Point the header's indicator at the column sorted by *key* (none for relevance)."""
        column = self.papers.column_for_sort_key(key)
        header = self.horizontalHeader()
        if column is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)
