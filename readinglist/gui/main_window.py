"""The main window: sidebar, paper table and detail pane, wired to their controllers.

The window lays out the widgets and connects them; what happens is decided
elsewhere:

* :mod:`.search` — the one search/sort state and its background queries;
* :mod:`.jobs` — every background task, the status-bar progress and Cancel,
  and the search index's upkeep;
* :mod:`.backups` — File → Back up now / Restore from backup…, the daily
  backup, and the backup before a bulk deletion;
* :mod:`.transfer` — import, paste, drop (files, web links, text), export
  in every format, copy as BibTeX;
* :mod:`.fill` — Paper → Fill metadata, in the background;
* :mod:`.duplicates` — Tools → Find duplicates… and merging a pair;
* :mod:`.edits` — undoable edits of papers;
* :mod:`.sidebar` — the chosen view, tags and saved searches;
* :mod:`.actions` — commands, menus, toolbar and context menu;
* :mod:`.help` — Help → Search syntax and Keyboard shortcuts;
* :mod:`.changes` — library change notices, coalesced on the GUI thread;
* :mod:`.table` and :mod:`.widgets` — the table view and the small widgets.

What stays here is what ties them together: showing a query's result in
the table and the detail pane, refreshing after a change, settings, drag
and drop, and closing cleanly (the note being typed is saved on close, when
the app quits and when the desktop session ends).  Replacing the library
(a restore) is the :class:`~readinglist.gui.session.Session`'s: it closes
this window and opens a new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QGuiApplication,
    QSessionManager,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core.links import LINK_LABELS, LinkKind, best_link, link_of, paper_links
from ..core.query import Query
from ..library import ImportReport, Library
from ..paths import default_library_dir
from ..records import PaperData
from ..search import SearchResult
from .actions import Actions
from .backups import BackupController
from .changes import ChangeFeed
from .detail import DetailPane
from .duplicates import DuplicatesController
from .edits import EditController
from .fill import FillController
from .help import HelpPages
from .icons import icon
from .jobs import IndexJobs, JobController
from .links import open_paper_link
from .models import COL_TAGS, PaperTableModel, TagChipDelegate
from .notices import NoticeBar
from .search import SearchController
from .sidebar import SidebarController, TrashBar
from .table import PaperTable, columns_without_values
from .transfer import TransferController
from .widgets import DropOverlay, SearchBox, TagFilter, WelcomePanel, error_box, info_box

__all__ = ["MainWindow"]

# Up to this many selected papers are read for the detail pane at once; more
# (a Select all of a large library) are read in the background.
_SELECTION_READ_AT_ONCE = 1000


class MainWindow(QMainWindow):
    """The Reading List main window: layout and wiring of the controllers.

    Headless drivers (tests, scripts) use the controllers directly:
    ``search`` (:class:`SearchController`), ``transfer``
    (:class:`TransferController`), ``edits`` (:class:`EditController`),
    ``fill`` (:class:`FillController`), ``duplicates``
    (:class:`DuplicatesController`),
    ``sidebar`` (:class:`SidebarController`), ``jobs``
    (:class:`JobController`), ``backups`` (:class:`BackupController`),
    ``index_jobs``, ``help`` (:class:`HelpPages`) and ``act`` (the QActions);
    the signals below say when their background work has been shown.
    """

    #: The newest query's rows are in the table (or its syntax error is shown).
    queryFinished = Signal()
    #: An import ended; carries its list of ImportReport.
    importFinished = Signal(object)
    #: An export was written; carries (target Path, number of entries).
    exportFinished = Signal(object)

    def __init__(self, lib: Library, settings: QSettings | None = None) -> None:
        super().__init__()
        self.lib = lib
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self.last_error: QMessageBox | None = None
        self.last_info: QMessageBox | None = None
        self._hits: SearchResult | None = None
        # Papers to select when the next result arrives (the first one imported).
        self._pending_select: list[int] = []
        # The selection the detail pane shows (ids), so a repeated signal re-renders nothing;
        # the generation drops a slow fetch of a large selection that was replaced meanwhile.
        self._detail_key: tuple[int, ...] | None = None
        self._detail_generation = 0
        # Set while a result re-selects rows: the pane is updated once, at the end.
        self._reselecting = False
        self._closed = False
        # A read-only folder is browsed, searched and exported; the title says why edits fail.
        suffix = " (read-only)" if lib.db.read_only else ""
        # The usual library goes unnamed ("Reading List — ReadingList" says nothing); a
        # library opened from another folder is named, so two windows can be told apart.
        usual = lib.folder.resolve() == default_library_dir().resolve()
        self.setWindowTitle(f"{APP_NAME}{'' if usual else f' — {lib.name}'}{suffix}")
        self.setWindowIcon(icon("readinglist"))
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_controllers()
        self.act = Actions(self)
        self.sidebar.connect_window(
            empty_trash=self.act.empty_trash,
            restore=self.act.restore,
            trash_bar=self.trash_bar,
            transfer=self.transfer,
        )
        self.act.build_menus(self.menuBar())
        self.toolbar = self.act.build_toolbar(self.search_edit, self.tag_filter)
        self.addToolBar(self.toolbar)
        self._connect()
        self._restore_settings()
        self._fill_tag_filter()
        self.sidebar.select_key(str(self.settings.value("sidebar/current", "all")))
        self._update_welcome()
        self.search.run_first()
        # After the first paint: the window shows at once, the check and the
        # daily backup (seconds for a large library) run behind it.
        QTimer.singleShot(0, self, self.index_jobs.check)
        QTimer.singleShot(0, self, self.backups.daily)
        self._watch_the_application()

    # --- construction ---------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.model = PaperTableModel(self.lib)
        self.table = PaperTable(self.model)
        # Tags as chips in their colours (set_tag_colours in _fill_tag_filter).
        self.table.setItemDelegateForColumn(COL_TAGS, TagChipDelegate(self.table))
        self.welcome = WelcomePanel(
            lambda: self.transfer.load_sample(), lambda: self.transfer.import_dialog()
        )
        self.centre = QStackedWidget()
        self.centre.addWidget(self.table)
        self.centre.addWidget(self.welcome)

        self.search_edit = SearchBox()
        self.search_edit.setObjectName("search")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setPlaceholderText(
            'Search  —  title:mamba  tag:to-read  note:idea  "a phrase"  distill*  AND OR NOT'
        )
        self.search_edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.tag_filter = TagFilter()
        self.search_hint = QLabel()
        self.search_hint.setObjectName("searchHint")
        self.search_hint.setStyleSheet("color: #c0392b;")
        self.search_hint.hide()

        centre_box = QWidget()
        centre_layout = QVBoxLayout(centre_box)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(4)
        centre_layout.addWidget(self.search_hint)
        # Above the table in the Trash view: Restore, Empty Trash (see sidebar).
        self.trash_bar = TrashBar()
        centre_layout.addWidget(self.trash_bar)
        centre_layout.addWidget(self.centre)
        # Under the table: news of an import, without a modal box (see transfer).
        self.notices = NoticeBar()
        centre_layout.addWidget(self.notices)

        self.sidebar_view = QTreeView()
        self.detail = DetailPane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        for pane, stretch in ((self.sidebar_view, 0), (centre_box, 3), (self.detail, 2)):
            self.splitter.addWidget(pane)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        # The list gets most of the width: with authors, year, tags and date shown, the title
        # column has what is left of it (about 370 px in the first-run 1400 px window).
        self.splitter.setSizes([210, 790, 400])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        # A child of the window floating over the panes: a splitter's child would be a pane.
        self.overlay = DropOverlay(self, self.splitter)
        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label, 1)

    def _build_controllers(self) -> None:
        status = self.statusBar()
        self.jobs = JobController(status, self.show_error, self, folder=self.lib.folder)
        self.backups = BackupController(self.lib, self.jobs, self, status)
        self.search = SearchController(self.lib, self.jobs, self)
        self.fill = FillController(
            self.lib,
            self.jobs,
            self,
            status,
            selected_ids=self.table.selected_ids,
            shown_ids=self.model.ids,
        )
        self.transfer = TransferController(
            self.lib,
            self.jobs,
            self,
            status,
            selected_ids=self.table.selected_ids,
            shown_ids=self.model.ids,
            view_query=self.search.query,
            settings=self.settings,
            fill=self.fill.fill,
            notices=self.notices,
        )
        self.duplicates = DuplicatesController(
            self.lib, self.jobs, self.backups, self.undo_stack, self, status
        )
        self.edits = EditController(
            self.lib, self.undo_stack, self, self.table.selected_ids, self.backups, status
        )
        self.sidebar = SidebarController(
            self.lib, self.sidebar_view, self.undo_stack, self, self.show_error, self.backups
        )
        self.index_jobs = IndexJobs(self.lib, self.jobs, status, self.search.run)
        self.changes = ChangeFeed(self.lib, self)
        # Help → Search syntax puts a clicked example in the search field.
        self.help = HelpPages(self, lambda text: self.search.set_text(text, debounce=False))

    def _connect(self) -> None:
        search = self.search
        self.search_edit.textChanged.connect(search.set_text)
        self.search_edit.downPressed.connect(self._into_results)
        self.search_edit.returnPressed.connect(
            lambda: search.set_text(self.search_edit.text(), debounce=False)
        )
        self.tag_filter.currentIndexChanged.connect(
            lambda _i: search.set_tag(self.tag_filter.current_tag())
        )
        search.textChanged.connect(self._mirror_search_text)
        search.stateChanged.connect(self._show_sort)
        search.resultReady.connect(self._apply_result)
        search.firstPageReady.connect(self._show_first_page)
        search.queryFailed.connect(self._query_failed)
        self.sidebar.viewChanged.connect(self._on_view_changed)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._on_selection_changed)
        # The Open commands follow the current row (the one Enter opens).
        selection.currentRowChanged.connect(lambda *_: self._update_actions())
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.doubleClicked.connect(self._open_row)
        self.table.columnsChosen.connect(self._save_columns)
        self.table.horizontalHeader().sectionClicked.connect(self._on_header_clicked)
        self.edits.connect_detail(self.detail)
        # Several papers selected: the pane's bulk edits act on the papers it shows.
        self.detail.selectionFlagChanged.connect(
            lambda ids, flag, on: self.edits.set_flag(flag, on, ids)
        )
        self.detail.selectionTagsAdded.connect(self.edits.add_tags)
        self.detail.selectionTagsRemoved.connect(self.edits.remove_tags)
        self.undo_stack.indexChanged.connect(lambda _i: self._update_actions())
        self.transfer.importFinished.connect(self._on_imported)
        self.transfer.exportFinished.connect(self.exportFinished)
        self.changes.refresh.connect(self._refresh_after_change)
        self.changes.indexFailed.connect(self.show_error)

    # --- settings ----------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        header = s.value("table/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)
        # Which columns show: the user's own choices (kept apart from the header's
        # state, which also holds this library's defaults), over this library's defaults.
        self.table.restore_column_choices(_json_dict(s.value("table/columns", "")))
        # Read here, before the first paint, so columns do not vanish under the
        # user's eyes: two one-row indexed reads (see columns_without_values).
        self.table.set_default_hidden(columns_without_values(self.lib))
        sort: str | None = str(s.value("table/sort", "") or "") or None
        descending = bool(s.value("table/descending", True, type=bool))
        if (sort, descending) == ("added", True):
            # Older versions saved the default as if chosen; it still means "no choice".
            sort = None
        starred = bool(s.value("filter/starred", False, type=bool))
        unread = bool(s.value("filter/unread", False, type=bool))
        self.search.restore(
            sort=sort, descending=descending, starred_only=starred, unread_only=unread
        )
        self.act.only_starred.setChecked(starred)
        self.act.only_unread.setChecked(unread)

    def save_settings(self) -> None:
        """Remember geometry, panes, columns, sort, quick filters and the sidebar choice."""
        s = self.settings
        state = self.search.state
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("table/header", self.table.horizontalHeader().saveState())
        s.setValue("table/columns", json.dumps(self.table.column_choices()))
        s.setValue("table/sort", state.sort or "")
        s.setValue("table/descending", state.descending)
        s.setValue("filter/starred", state.starred_only)
        s.setValue("filter/unread", state.unread_only)
        s.setValue("sidebar/current", self.sidebar.current_key())
        s.sync()

    # --- showing results ----------------------------------------------------------------

    def _apply_result(self, ids: list[int], hits: SearchResult | None, query: Query) -> None:
        """Show a query's rows, and choose what stays selected, shown and in view.

        The detail pane always shows the selection (one paper, several, or
        nothing) and the selected row is scrolled into view, so the pane never
        shows a paper the list hides.  What stays selected:

        * papers just imported: the one listed highest (the others may be
          anywhere in a long list);
        * after a new search (other text, view or filter; not a re-sort):
          only the current paper, if the search still finds it — otherwise
          nothing, as in Zotero — and the list starts again from the top
          (moving only as far as needed to show the kept paper);
        * the same search re-run after a change, or re-sorted: the whole
          selection that is still listed, the list's scroll left alone unless
          the current paper moved.
        """
        new_search = not _same_request(query, self.model.query())
        selected = self.table.selected_ids()
        current = self.table.current_id()
        old_row = self.model.row_of(current) if current is not None else None
        pending, self._pending_select = self._pending_select, []
        self._hits = hits
        self._set_search_error("")
        self._reselecting = True
        try:
            self.model.set_ids(ids, hits, query=query)
            imported = [i for i in pending if self.model.row_of(i) is not None]
            if imported:
                top = min(imported, key=lambda i: self.model.row_of(i) or 0)
                row = self.table.select_ids([top], top)
            else:
                kept = ([current] if current is not None else []) if new_search else selected
                row = self.table.select_ids(kept, current)
                if row is None:
                    self.table.clear_selection()
        finally:
            self._reselecting = False
        if new_search:
            self.table.scrollToTop()
        if row is not None and (imported or new_search or row != old_row):
            self.table.reveal_row(row)
        self._sync_detail(force=True)  # New hits to highlight, or a new selection.
        self._update_actions()
        self.queryFinished.emit()

    def _show_first_page(self, ids: list[int], total: int) -> None:
        # The whole list follows in a moment (resultReady); until then the
        # count says how many there are, not how many rows are loaded.
        self.model.set_ids(ids, None, query=self.search.query())
        self.count_label.setText(f"{total:,} paper{'s' if total != 1 else ''}")

    def _query_failed(self, message: str) -> None:
        self._set_search_error(message)  # The previous rows stay.
        self.queryFinished.emit()

    def _set_search_error(self, message: str) -> None:
        self.search_hint.setText(f"Search not understood: {message}" if message else "")
        self.search_hint.setVisible(bool(message))
        self.search_edit.setStyleSheet(
            "QLineEdit { border: 1px solid #c0392b; }" if message else ""
        )

    def _mirror_search_text(self, text: str) -> None:
        if self.search_edit.text() != text:  # Set through the controller, not typed.
            self.search_edit.setText(text)

    def _show_sort(self) -> None:
        # The header's indicator and View → Sort by both show the order the query has.
        state = self.search.state
        key, descending = state.effective_sort()
        self.table.show_sort(key, descending)
        self.act.show_sort(key, descending, state.can_rank())

    def _on_header_clicked(self, section: int) -> None:
        key = self.model.sort_key_for_column(section)
        if key is None:
            self._show_sort()  # Not sortable (tags): put the real indicator back.
        else:
            self.search.sort_by(key)

    def _update_count(self) -> None:
        n = self.model.rowCount()
        selected = len(self.table.selected_ids())
        text = f"{n:,} paper{'s' if n != 1 else ''}"
        if self.search.state.is_searching():
            text += " matches the search" if n == 1 else " match the search"
        if selected > 1:
            text += f"  ·  {selected:,} selected"
        self.count_label.setText(text)

    def _update_actions(self) -> None:
        has = bool(self.table.selectionModel().selectedRows())
        paper = self.current_paper()
        kinds = {link.kind for link in paper_links(paper)} if paper is not None else set()
        self.act.update(
            has,
            self.search.state.view.trashed,
            has_papers=self.model.rowCount() > 0,
            has_pdf=LinkKind.PDF in kinds,
        )
        self.act.show_links(kinds, has_paper=paper is not None)
        self._update_count()

    def _update_welcome(self) -> None:
        empty = self.lib.count() == 0 and self.lib.count(Query(trashed=True)) == 0
        self.centre.setCurrentWidget(self.welcome if empty else self.table)

    # --- selection, detail and the sidebar --------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The ids of the selected papers, in row order."""
        return self.table.selected_ids()

    def _on_selection_changed(self) -> None:
        if not self._reselecting:
            self._sync_detail()
        self._update_actions()

    def _sync_detail(self, *, force: bool = False) -> None:
        """Show the selection in the detail pane: one paper, several papers, or nothing.

        The pane follows the selection, not the current row: with several
        rows selected it must not show (and let the user edit) just one of
        them.  *force* re-renders the same selection (new search hits).
        """
        ids = self.table.selected_ids()
        key = tuple(ids)
        if key == self._detail_key and not force:
            return
        self._detail_key = key
        self._detail_generation += 1
        if len(ids) > 1:
            self._show_selection(ids)
        else:
            self._show_row(self.model.row_of(ids[0]) if ids else None)

    def _show_selection(self, ids: list[int]) -> None:
        if len(ids) <= _SELECTION_READ_AT_ONCE:
            # The rows' pages are mostly cached already: the list just drew them.
            rows = (self.model.row_of(i) for i in ids)
            papers = [p for p in (self.model.paper_at(r) for r in rows if r is not None) if p]
            self.detail.show_selection(papers)
            return
        # Thousands of papers (Select all): read them in the background, and
        # show no single paper meanwhile, as if it alone were chosen.
        self.detail.show_paper(None)
        generation, lib = self._detail_generation, self.lib

        def done(papers: list[PaperData]) -> None:
            if generation == self._detail_generation and not self._closed:
                self.detail.show_selection(papers)

        self.jobs.start(lambda _progress: lib.get(ids), on_success=done)

    def _show_row(self, row: int | None) -> None:
        paper = self.model.paper_at(row) if row is not None else None
        self.detail.show_paper(paper, self._hits)

    def _select_and_reveal(self, ids: Sequence[int]) -> None:
        """Select the one of *ids* listed highest, scroll to it and show it."""
        shown = [i for i in ids if self.model.row_of(i) is not None]
        if not shown:
            return
        top = min(shown, key=lambda i: self.model.row_of(i) or 0)
        self._reselecting = True
        try:
            row = self.table.select_ids([top], top)
        finally:
            self._reselecting = False
        if row is not None:
            self.table.reveal_row(row)
        self._sync_detail()
        self._update_actions()

    # --- opening papers --------------------------------------------------------------------

    def current_paper(self) -> PaperData | None:
        """The paper Enter and the Open commands act on: the current row, if selected."""
        pid = self.table.current_id()
        row = self.model.row_of(pid) if pid is not None else None
        return self.model.paper_at(row) if row is not None else None

    def open_paper(self, kind: LinkKind | None = None) -> bool:
        """Open the current paper: its best link (the core's rule), or its link of *kind*.

        The PDF opens in the desktop's viewer, a page in the browser, both
        through :mod:`.links`; a paper with nothing to open says so in the
        status bar.  Returns whether something was opened.
        """
        return self._open(self.current_paper(), kind)

    def _open_row(self, index: QModelIndex) -> None:
        # A double-click opens the row clicked (it is also the current one by now).
        if index.isValid():
            self._open(self.model.paper_at(index.row()), None)

    def _open(self, paper: PaperData | None, kind: LinkKind | None) -> bool:
        if paper is None:
            return False
        link = best_link(paper) if kind is None else link_of(paper, kind)
        if link is None:
            what = "PDF, arXiv id, DOI or web address" if kind is None else LINK_LABELS[kind]
            self.statusBar().showMessage(f"This paper has no {what} to open.", 5000)
            return False
        return open_paper_link(self, link)

    # --- removing papers from the list -----------------------------------------------------

    def delete_selected(self) -> None:
        """Move the selection to the trash; the next paper (else the previous) is selected."""
        self._remove_selected(self.edits.delete_selected, trashed=True)

    def restore_selected(self) -> None:
        """Take the selection out of the trash; the next paper (else the previous) is selected."""
        self._remove_selected(self.edits.restore_selected, trashed=False)

    def _remove_selected(self, remove: Callable[[], None], *, trashed: bool) -> None:
        ids = self.table.selected_ids()
        if not ids:
            return
        follow = self.table.paper_after(ids)
        remove()
        # Like a file manager, at once: the rows leave and the next one is chosen
        # now, not when the re-query comes back.  Only the papers the command
        # really moved (an edit can fail, say on a read-only library).
        moved = [p.id for p in self.lib.get(ids) if p.trashed == trashed]
        if not moved:
            return
        self._reselecting = True
        try:
            self.model.remove_ids(moved)
        finally:
            self._reselecting = False
        if follow is not None and follow not in moved:
            self._select_and_reveal([follow])
        else:
            self.table.clear_selection()
            self._sync_detail()
            self._update_actions()

    def _on_view_changed(self, view: Query) -> None:
        self.search.set_view(view)
        self._update_actions()

    def _table_menu(self, pos: QPoint) -> None:
        if self.table.selected_ids():
            menu = self.act.table_menu(self.search.state.view.trashed)
            menu.exec(self.table.viewport().mapToGlobal(pos))

    def _into_results(self) -> None:
        """From the search field to the results: the current row, else the first."""
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.selectionModel().hasSelection() and self.model.rowCount() > 0:
            current = self.table.currentIndex()
            self.table.selectRow(current.row() if current.isValid() else 0)

    def focus_search(self) -> None:
        """Put the cursor in the search field, its text selected."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def save_search(self) -> None:
        """Save what the table shows as a sidebar entry."""
        self.sidebar.save_search(self.search.query(), self.search_edit.text())

    def _fill_tag_filter(self) -> None:
        tags = self.lib.tags()
        self.detail.set_tag_completions([t.name for t in tags])
        self.detail.set_tag_colours({t.name: t.colour for t in tags})
        self.model.set_tag_colours({t.name: t.colour for t in tags})
        if not self.tag_filter.fill(tags):
            self.search.set_tag(None)  # The chosen tag is gone: show everything again.

    # --- library changes --------------------------------------------------------------------

    def _on_imported(self, reports: list[ImportReport]) -> None:
        added = [i for r in reports for i in r.added]
        if any(self.model.row_of(i) is not None for i in added):
            self._select_and_reveal(added)  # The refresh came first: the rows are here.
        elif added:
            self._pending_select = added  # Chosen when their rows arrive.
        self.importFinished.emit(reports)

    def _refresh_after_change(self, ids: list[int], sidebar_dirty: bool) -> None:
        # Repaint changed rows in place (scroll and selection stay), then re-query
        # in case a change moved a paper in or out of the view.
        self.model.invalidate_ids(ids)
        if sidebar_dirty:
            self._fill_tag_filter()
            self.sidebar.reload()
        else:
            self.sidebar.refresh_counts()  # A star or read mark moves Starred/Unread.
        current = self.detail.current_id()
        if current is not None and current in ids:
            row = self.model.row_of(current)
            if row is not None:
                self._show_row(row)
        self._update_welcome()
        self._check_columns()
        self.search.run()

    def _check_columns(self) -> None:
        # Papers with authors or years may have arrived (or gone): the columns
        # shown by default follow, in the background.
        lib = self.lib

        def done(empty: set[int]) -> None:
            if not self._closed:
                self.table.set_default_hidden(empty)

        self.jobs.start(lambda _progress: columns_without_values(lib), on_success=done)

    def _save_columns(self) -> None:
        # At once, not only on quit: a choice of columns is not lost to a crash.
        self.settings.setValue("table/columns", json.dumps(self.table.column_choices()))

    # --- messages ------------------------------------------------------------------------

    def show_error(self, message: str, exc: BaseException | None = None) -> None:
        """Tell the user something failed; the window stays usable."""
        self.last_error = error_box(self, message, exc)

    def show_info(self, message: str) -> None:
        """Tell the user what was done (a restore, a salvage) in a box they close."""
        self.last_info = info_box(self, message)

    def about(self) -> None:
        """Show the version and the library's folder."""
        from .. import __version__

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\nA reading-list manager for research papers.\n"
            f"Library: {self.lib.folder}",
        )

    # --- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        # A drag from our own table (source set) is an export, not an import.
        if event.source() is None and (mime.hasUrls() or mime.hasText()):
            event.acceptProposedAction()
            self.overlay.cover()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.overlay.hide()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.overlay.hide()
        mime = event.mimeData()
        # Files, else web links (a link dragged from a browser), else text.
        if self.transfer.drop(mime.urls(), mime.text() if mime.hasText() else ""):
            event.acceptProposedAction()
        else:
            event.ignore()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange:
            # The overlay's colours come from the palette: rebuild it for the new one.
            self.overlay.deleteLater()
            self.overlay = DropOverlay(self, self.splitter)
        return super().event(event)

    # --- closing ---------------------------------------------------------------------------

    def _watch_the_application(self) -> None:
        # The note being typed is saved however the program ends: the user
        # quits (aboutToQuit), the desktop session ends (commitDataRequest);
        # closing the window and signals (Session) end up in closeEvent.
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.aboutToQuit.connect(self.save_now)
            app.commitDataRequest.connect(self._commit_data)

    def _unwatch_the_application(self) -> None:
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            # A window closed long before the app quits must not be called then.
            app.aboutToQuit.disconnect(self.save_now)
            app.commitDataRequest.disconnect(self._commit_data)

    def save_now(self) -> None:
        """Save the note being typed and the settings at once (the app is about to quit)."""
        if self._closed:
            return
        self.detail.flush_note()
        self.save_settings()

    def _commit_data(self, _manager: QSessionManager) -> None:
        # The session is ending: the window may be killed without a close.
        self.save_now()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_and_shutdown()
        event.accept()

    def save_and_shutdown(self) -> None:
        """Save the note being typed and the settings, then :meth:`shutdown`; safe twice."""
        self.save_now()
        self.shutdown()

    def shutdown(self) -> None:
        """Cancel and wait for every background task, then write the index; safe twice.

        Afterwards no thread started by this window runs, so the library can
        be closed.
        """
        if self._closed:
            return
        self._closed = True
        self.detail.flush_note()
        self._unwatch_the_application()
        self.jobs.shutdown()
        self.changes.detach()
        self.lib.flush_index()


def _same_request(a: Query, b: Query) -> bool:
    """Whether *a* and *b* ask for the same papers, in whatever order.

    "Recently added" is re-dated on every reload of the sidebar; a new
    cut-off is still the same view, not a new search.
    """

    def asked(q: Query) -> tuple[Query, bool]:
        return q.with_(sort="", descending=True, added_since=None), q.added_since is None

    return asked(a) == asked(b)


def _json_dict(value: object) -> dict[str, object]:
    """A JSON object saved in the settings, {} when missing or damaged."""
    try:
        data = json.loads(str(value or "{}"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
