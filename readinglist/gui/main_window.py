"""The main window: sidebar, paper table and detail pane, with menus and drag and drop.

The window holds no business rules: it turns user actions into core Library
calls (through undoable commands) and runs anything slow in a background
task, refreshing views when the library reports a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtGui import Qt as QtGuiNS
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..importers import FORMATS
from ..library import Cancelled, Change, ImportReport, Library
from ..paths import resource_path
from ..query import Query
from ..search import QuerySyntaxError, SearchResult
from .commands import NoteCommand, SetFlagCommand, SetTagsCommand, TagCommand, TrashCommand
from .detail import DetailPane
from .icons import icon
from .models import (
    COL_ADDED,
    COL_AUTHORS,
    COL_STAR,
    COL_TAGS,
    COL_TITLE,
    COL_YEAR,
    FILTER_ROLE,
    ITEM_KIND_ROLE,
    KEY_ROLE,
    PAPER_ID_ROLE,
    PaperTableModel,
    SidebarModel,
)
from .summary import ImportSummaryDialog
from .workers import Progress, TaskHandle, run_in_background

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 180
TEXT_IMPORT_NAME = "pasted text"


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """Expand folders (recursively, sorted) into the importable files they hold."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith("."):
                    out.append(child)
        else:
            out.append(path)
    return out


def as_label(text: str) -> str:
    """Return *text* so that a QLabel in automatic format shows it literally.

    Dialog labels guess whether text is markup; a tag named "<b>x</b>" must
    still read as those characters.
    """
    return QtGuiNS.convertFromPlainText(text) if QtGuiNS.mightBeRichText(text) else text


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask a yes/no question; *text* is shown as plain text, never as markup."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


class _ChangeBridge(QObject):
    """Carries library change notices (from any thread) to the GUI thread."""

    changed = Signal(object)


class DropOverlay(QLabel):
    """The highlight shown over the window while files are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Drop files, folders or text to import them", parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        highlight = self.palette().highlight().color()
        fill = QColor(highlight)
        fill.setAlpha(40)
        self.setStyleSheet(
            f"QLabel {{ background: rgba({fill.red()},{fill.green()},{fill.blue()},{fill.alpha()});"
            f" border: 3px dashed {highlight.name()}; border-radius: 12px;"
            f" font-size: 18pt; font-weight: 600; color: {highlight.name()}; }}"
        )
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect().adjusted(8, 8, -8, -8))
        self.raise_()
        self.show()


class WelcomePanel(QWidget):
    """Shown instead of the table while the library is empty."""

    def __init__(self, on_sample: Callable[[], None], on_import: Callable[[], None]) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        art = QLabel()
        art.setPixmap(icon("readinglist").pixmap(96, 96))
        art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Your reading list is empty")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Drop a saved trending-papers page, a BibTeX file or a folder anywhere on this "
            "window,\nor paste a page you copied from your browser (Ctrl+V)."
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.sample_button = QPushButton(icon("inbox"), "Load sample papers")
        self.sample_button.clicked.connect(on_sample)
        self.import_button = QPushButton(icon("import"), "Import files…")
        self.import_button.clicked.connect(on_import)
        buttons.addWidget(self.sample_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        for widget in (art, title, hint):
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(3)


class ExportDialog(QDialog):
    """Asks which papers to export: all, the selection, or the current view."""

    def __init__(self, parent: QWidget, n_all: int, n_selected: int, n_view: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export BibTeX")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Which papers should be exported?"))
        self.all = QRadioButton(f"All papers ({n_all})")
        self.selection = QRadioButton(f"Selected papers ({n_selected})")
        self.view = QRadioButton(f"Papers in the current view ({n_view})")
        self.selection.setEnabled(n_selected > 0)
        (self.selection if n_selected > 1 else self.view).setChecked(True)
        for button in (self.all, self.selection, self.view):
            layout.addWidget(button)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def choice(self) -> str:
        if self.all.isChecked():
            return "all"
        return "selection" if self.selection.isChecked() else "view"


class MainWindow(QMainWindow):
    """The Reading List main window."""

    queryFinished = Signal()
    importFinished = Signal(object)
    exportFinished = Signal(object)

    def __init__(self, lib: Library, settings: QSettings | None = None) -> None:
        super().__init__()
        self.lib = lib
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self._query_generation = 0
        self._query_task: TaskHandle | None = None
        self._job: TaskHandle | None = None
        self._hits: SearchResult | None = None
        self._base_query = Query()
        self._sort = ("added", True)
        self._pending_select: list[int] = []
        self._shutting_down = False
        self.last_summary: ImportSummaryDialog | None = None

        self.setWindowTitle(f"{APP_NAME} — {lib.name}")
        self.setWindowIcon(icon("readinglist"))
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._connect()
        self._restore_settings()

        self._bridge = _ChangeBridge()
        self._bridge.changed.connect(self._on_library_changed, Qt.ConnectionType.QueuedConnection)
        self._listener = self._bridge.changed.emit
        lib.listeners.append(self._listener)
        self._refresh_timer = QTimer(self, singleShot=True, interval=120)
        self._refresh_timer.timeout.connect(self._refresh_after_change)
        self._changed_ids: set[int] = set()

        # The sidebar model loaded itself when it was made.
        self.sidebar.expandAll()
        self._fill_tag_filter()
        self._restore_sidebar_choice()
        self._update_welcome()
        self.run_query()
        QTimer.singleShot(0, self._check_index)

    # --- construction ---------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar_model = SidebarModel(self.lib)
        self.sidebar = QTreeView()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setUniformRowHeights(True)
        self.sidebar.expandAll()
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        self.model = PaperTableModel(self.lib)
        self.table = QTableView()
        self.table.setObjectName("papers")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setHighlightSections(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._default_column_widths()

        self.welcome = WelcomePanel(self.load_sample, self.import_dialog)
        self.centre = QStackedWidget()
        self.centre.addWidget(self.table)
        self.centre.addWidget(self.welcome)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("search")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setPlaceholderText(
            'Search  —  title:mamba  tag:to-read  note:idea  "a phrase"  distill*  AND OR NOT'
        )
        self.search_edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.tag_filter = QComboBox()
        self.tag_filter.setObjectName("tagFilter")
        self.tag_filter.setToolTip("Show only papers with this tag")
        self.tag_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.tag_filter.addItem(icon("tag"), "Any tag", None)
        self.search_hint = QLabel()
        self.search_hint.setObjectName("searchHint")
        self.search_hint.setStyleSheet("color: #c0392b;")
        self.search_hint.hide()

        centre_box = QWidget()
        centre_layout = QVBoxLayout(centre_box)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(4)
        centre_layout.addWidget(self.search_hint)
        centre_layout.addWidget(self.centre)

        self.detail = DetailPane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(centre_box)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([220, 640, 420])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.overlay = DropOverlay(self.splitter)

        self.count_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        self.job_label = QLabel()
        status = self.statusBar()
        status.addWidget(self.count_label, 1)
        status.addPermanentWidget(self.job_label)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)

    def _default_column_widths(self) -> None:
        header = self.table.horizontalHeader()
        widths = {COL_STAR: 30, COL_AUTHORS: 130, COL_YEAR: 50, COL_TAGS: 120, COL_ADDED: 90}
        for col, width in widths.items():
            self.table.setColumnWidth(col, width)
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        # The title takes whatever width is left, so no column is pushed out of view.
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAR, QHeaderView.ResizeMode.Fixed)

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_import = a(
            "&Import…", self.import_dialog, "Ctrl+I", "import", "Import papers from files"
        )
        self.act_import_sample = a("Load &sample papers", self.load_sample, None, "inbox")
        self.act_export = a(
            "&Export BibTeX…", self.export_dialog, "Ctrl+E", "export", "Export BibTeX"
        )
        self.act_quit = a("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_undo.setIcon(icon("undo"))
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        # Ctrl+Shift+Z everywhere, plus the platform's own redo key (Ctrl+Y on Windows).
        self.act_redo.setShortcuts(
            [QKeySequence("Ctrl+Shift+Z"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
        )
        self.act_redo.setIcon(icon("redo"))
        self.act_copy_bibtex = a(
            "&Copy as BibTeX", self.copy_bibtex, QKeySequence.StandardKey.Copy, "copy"
        )
        self.act_paste = a("&Paste to import", self.paste, QKeySequence.StandardKey.Paste)
        self.act_select_all = a(
            "Select &all", self.table.selectAll, QKeySequence.StandardKey.SelectAll
        )
        self.act_find = a("&Find", self.focus_search, QKeySequence.StandardKey.Find, "search")
        self.act_save_search = a("&Save search…", self.save_search, "Ctrl+Shift+S", "saved-search")
        self.act_star = a("&Star / unstar", self.toggle_star, "S", "star", "Star or unstar (S)")
        self.act_read = a(
            "Mark &read / unread", self.toggle_read, "R", "read", "Mark read or unread (R)"
        )
        self.act_tag = a("&Tag…", self.tag_dialog, "T", "tag", "Add tags (T)")
        self.act_untag = a("Remove ta&g…", self.untag_dialog, "Shift+T")
        self.act_note = a("Edit &note", self.detail.focus_note, "Return", "note")
        self.act_delete = a(
            "&Delete",
            self.delete_selected,
            QKeySequence.StandardKey.Delete,
            "trash",
            "Move to the trash",
        )
        self.act_restore = a("Res&tore from trash", self.restore_selected, None, "restore")
        self.act_empty_trash = a("Empty tras&h…", self.empty_trash)
        self.act_rebuild = a("Re&build search index", self.rebuild_index)
        self.act_only_starred = a("Starred only", self.run_query, None, "star-filled")
        self.act_only_starred.setCheckable(True)
        self.act_only_unread = a("Unread only", self.run_query, None, "unread")
        self.act_only_unread.setCheckable(True)
        self.act_about = a("&About Reading List", self.about)
        # Single-key shortcuts only fire while the table has focus, so typing
        # an "s" or "r" into the search field or a note never stars a paper.
        for act in (
            self.act_star,
            self.act_read,
            self.act_tag,
            self.act_untag,
            self.act_note,
            self.act_delete,
            self.act_copy_bibtex,
            self.act_select_all,
        ):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(act)
        self.act_paste.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for widget in (self.table, self.welcome, self.sidebar):
            widget.addAction(self.act_paste)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for act in (self.act_import, self.act_import_sample, self.act_export):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo):
            edit.addAction(act)
        edit.addSeparator()
        for act in (self.act_copy_bibtex, self.act_paste, self.act_select_all):
            edit.addAction(act)
        edit.addSeparator()
        edit.addAction(self.act_find)
        edit.addAction(self.act_save_search)
        paper = bar.addMenu("&Paper")
        for act in (self.act_star, self.act_read, self.act_tag, self.act_untag, self.act_note):
            paper.addAction(act)
        paper.addSeparator()
        for act in (self.act_delete, self.act_restore, self.act_empty_trash):
            paper.addAction(act)
        view = bar.addMenu("&View")
        view.addAction(self.act_only_starred)
        view.addAction(self.act_only_unread)
        tools = bar.addMenu("&Tools")
        tools.addAction(self.act_rebuild)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.act_import)
        toolbar.addAction(self.act_export)
        toolbar.addSeparator()
        toolbar.addAction(self.act_star)
        toolbar.addAction(self.act_read)
        toolbar.addAction(self.act_tag)
        toolbar.addAction(self.act_delete)
        toolbar.addSeparator()
        toolbar.addWidget(self.search_edit)
        toolbar.addAction(self.act_only_starred)
        toolbar.addAction(self.act_only_unread)
        toolbar.addWidget(self.tag_filter)
        for act, text in (
            (self.act_star, "Star"),
            (self.act_read, "Read"),
            (self.act_tag, "Tag"),
            (self.act_delete, "Delete"),
            (self.act_import, "Import"),
            (self.act_export, "Export"),
        ):
            act.setIconText(text)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _connect(self) -> None:
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.run_query)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_edit.returnPressed.connect(self.run_query)
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.run_query())
        self.sidebar.selectionModel().currentChanged.connect(self._on_sidebar_changed)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.doubleClicked.connect(lambda _i: self.detail.focus_note())
        self.table.horizontalHeader().sectionClicked.connect(self._on_header_clicked)
        self.detail.starToggled.connect(
            lambda pid, on: self._push(SetFlagCommand(self.lib, "starred", [pid], on))
        )
        self.detail.readToggled.connect(
            lambda pid, on: self._push(SetFlagCommand(self.lib, "read", [pid], on))
        )
        self.detail.tagsChanged.connect(
            lambda pid, tags: self._push(SetTagsCommand(self.lib, pid, tags))
        )
        self.detail.noteChanged.connect(self._on_note_changed)
        self.detail.citekeyChanged.connect(self._on_citekey_changed)
        self.cancel_button.clicked.connect(self.cancel_job)
        self.undo_stack.indexChanged.connect(lambda _i: self._update_actions())

    # --- settings -------------------------------------------------------------

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
        sort_key = s.value("table/sort", "added")
        descending = s.value("table/descending", True, type=bool)
        self._sort = (str(sort_key), bool(descending))
        self.act_only_starred.setChecked(bool(s.value("filter/starred", False, type=bool)))
        self.act_only_unread.setChecked(bool(s.value("filter/unread", False, type=bool)))
        self._update_sort_indicator()

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("table/header", self.table.horizontalHeader().saveState())
        s.setValue("table/sort", self._sort[0])
        s.setValue("table/descending", self._sort[1])
        s.setValue("filter/starred", self.act_only_starred.isChecked())
        s.setValue("filter/unread", self.act_only_unread.isChecked())
        current = self.sidebar.currentIndex()
        key = current.data(KEY_ROLE) if current.isValid() else None
        if key:
            s.setValue("sidebar/current", key)
        s.sync()

    def _restore_sidebar_choice(self) -> None:
        key = str(self.settings.value("sidebar/current", "all"))
        index = self.sidebar_model.index_for_key(key)
        if not index.isValid():
            index = self.sidebar_model.index_for_key("all")
        self._select_sidebar(index)

    def _select_sidebar(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        self.sidebar.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        query = index.data(FILTER_ROLE)
        self._base_query = query if isinstance(query, Query) else Query()

    # --- queries --------------------------------------------------------------

    def current_query(self) -> Query:
        base = self._base_query
        text = self.search_edit.text().strip()
        if base.text and text:
            text = f"({base.text}) AND ({text})"
        elif base.text:
            text = base.text
        sort, descending = self._sort
        if text and sort == "added" and not self._user_sorted:
            sort = "relevance"
        tag = self.tag_filter.currentData()
        tags = (*base.tags, str(tag)) if tag else base.tags
        return base.with_(
            text=text,
            tags=tags,
            starred=True if self.act_only_starred.isChecked() else base.starred,
            read=False if self.act_only_unread.isChecked() else base.read,
            sort=sort,
            descending=descending,
        )

    _user_sorted = False

    def run_query(self) -> None:
        """Run the current query in the background; the newest one wins."""
        self._search_timer.stop()
        self._query_generation += 1
        generation = self._query_generation
        query = self.current_query()
        lib = self.lib
        self._update_sort_indicator()

        def work(_progress: Any) -> tuple[list[int], SearchResult | None]:
            return lib.query(query)

        def done(result: tuple[list[int], SearchResult | None]) -> None:
            if generation != self._query_generation or self._shutting_down:
                return
            self._set_search_error("")
            self._apply_result(*result)

        def failed(exc: BaseException) -> None:
            if generation != self._query_generation:
                return
            if isinstance(exc, QuerySyntaxError):
                self._set_search_error(str(exc))
                self.queryFinished.emit()
            else:
                raise exc

        self._query_task = run_in_background(work, on_success=done, on_failure=failed)

    def _apply_result(self, ids: list[int], hits: SearchResult | None) -> None:
        keep = self._pending_select or self.selected_ids()
        current = self.detail.current_id()
        self._pending_select = []
        self._hits = hits
        self.model.set_ids(ids, hits)
        self._reselect(keep, current)
        self._update_count()
        self._update_actions()
        self.queryFinished.emit()

    def _reselect(self, ids: Sequence[int], current: int | None) -> None:
        selection = self.table.selectionModel()
        rows = [r for r in (self.model.row_of(i) for i in ids) if r is not None]
        if not rows:
            if current is not None and self.model.row_of(current) is None:
                self.detail.show_paper(None)
            return
        selection.clearSelection()
        for row in rows:
            selection.select(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
        cur_row = self.model.row_of(current) if current is not None else None
        target = cur_row if cur_row is not None else rows[0]
        selection.setCurrentIndex(
            self.model.index(target, 0), QItemSelectionModel.SelectionFlag.NoUpdate
        )
        self._show_row(target)

    def _set_search_error(self, message: str) -> None:
        if message:
            self.search_hint.setText(f"Search not understood: {message}")
            self.search_hint.show()
            self.search_edit.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }")
        else:
            self.search_hint.hide()
            self.search_edit.setStyleSheet("")

    def _update_count(self) -> None:
        n = self.model.rowCount()
        selected = len(self.selected_ids())
        text = f"{n:,} paper{'s' if n != 1 else ''}"
        if self.search_edit.text().strip():
            text += " match the search"
        if selected > 1:
            text += f"  ·  {selected:,} selected"
        self.count_label.setText(text)

    def _on_header_clicked(self, section: int) -> None:
        key = self.model.sort_key_for_column(section)
        if key is None:
            self._update_sort_indicator()
            return
        current, descending = self._sort
        descending = not descending if key == current else key in {"added", "year", "starred"}
        self._sort = (key, descending)
        self._user_sorted = True
        self._update_sort_indicator()
        self.run_query()

    def _update_sort_indicator(self) -> None:
        relevance = bool(self.search_edit.text().strip()) and not self._user_sorted
        column = None if relevance else self.model.column_for_sort_key(self._sort[0])
        header = self.table.horizontalHeader()
        if column is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            order = Qt.SortOrder.DescendingOrder if self._sort[1] else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)

    # --- selection and detail ----------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.model.index(r, 0).data(PAPER_ID_ROLE) for r in rows]
        return [int(i) for i in ids if i is not None]

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_row(current.row() if current.isValid() else None)
        self._update_count()

    def _show_row(self, row: int | None) -> None:
        paper = self.model.paper_at(row) if row is not None else None
        self.detail.show_paper(paper, self._hits)

    def _on_sidebar_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        query = current.data(FILTER_ROLE)
        if not isinstance(query, Query):
            return
        self._base_query = query
        self.run_query()
        self._update_actions()

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _update_welcome(self) -> None:
        empty = self.lib.count() == 0 and self.lib.count(Query(trashed=True)) == 0
        self.centre.setCurrentWidget(self.welcome if empty else self.table)

    def _update_actions(self) -> None:
        has = bool(self.table.selectionModel().selectedRows())
        in_trash = self._base_query.trashed
        for act in (
            self.act_star,
            self.act_read,
            self.act_tag,
            self.act_untag,
            self.act_copy_bibtex,
        ):
            act.setEnabled(has and not in_trash)
        self.act_delete.setEnabled(has and not in_trash)
        self.act_restore.setEnabled(has and in_trash)
        self.act_empty_trash.setEnabled(in_trash)
        self._update_count()

    # --- library changes -------------------------------------------------------------

    def _on_library_changed(self, change: Change) -> None:
        if self._shutting_down:
            return
        self._changed_ids.update(change.ids)
        if change.kind in {
            "import",
            "tags",
            "saved-search",
            "tag-colour",
            "trash",
            "restore",
            "purge",
        }:
            self._sidebar_dirty = True
        self._refresh_timer.start()

    _sidebar_dirty = False

    def _refresh_after_change(self) -> None:
        ids = list(self._changed_ids)
        self._changed_ids.clear()
        self.model.invalidate_ids(ids)
        if self._sidebar_dirty:
            self._sidebar_dirty = False
            self._reload_sidebar()
        current = self.detail.current_id()
        if current is not None and current in ids:
            row = self.model.row_of(current)
            if row is not None:
                self._show_row(row)
        self._update_welcome()
        self.run_query()

    def _fill_tag_filter(self) -> None:
        """Refill the tag quick filter and the detail pane's tag completions."""
        tags = self.lib.tags()
        self.detail.set_tag_completions([t.name for t in tags])
        current = self.tag_filter.currentData()
        blocker = self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem(icon("tag"), "Any tag", None)
        for tag in tags:
            self.tag_filter.addItem(f"{tag.name} ({tag.count})", tag.name)
        found = self.tag_filter.findData(current) if current else 0
        self.tag_filter.setCurrentIndex(max(found, 0))
        self.tag_filter.blockSignals(blocker)
        if current and found < 0:
            self.run_query()  # the chosen tag is gone: show everything again

    def _reload_sidebar(self) -> None:
        self._fill_tag_filter()
        current = self.sidebar.currentIndex()
        key = current.data(KEY_ROLE) if current.isValid() else "all"
        blocker = self.sidebar.selectionModel().blockSignals(True)
        self.sidebar_model.reload()
        self.sidebar.expandAll()
        index = self.sidebar_model.index_for_key(str(key))
        if not index.isValid():
            index = self.sidebar_model.index_for_key("all")
        self.sidebar.selectionModel().blockSignals(blocker)
        self._select_sidebar(index)

    # --- edits --------------------------------------------------------------------------

    def _push(self, command: Any) -> None:
        self.undo_stack.push(command)

    def toggle_star(self) -> None:
        ids = self.selected_ids()
        if ids:
            # Like a mail client: star all unless every selected paper is starred.
            value = not all(p.starred for p in self.lib.get(ids))
            self._push(SetFlagCommand(self.lib, "starred", ids, value))

    def toggle_read(self) -> None:
        ids = self.selected_ids()
        if ids:
            value = not all(p.read for p in self.lib.get(ids))
            self._push(SetFlagCommand(self.lib, "read", ids, value))

    def set_flag(self, flag: str, value: bool) -> None:
        ids = self.selected_ids()
        if ids:
            self._push(SetFlagCommand(self.lib, flag, ids, value))

    def _ask_tags(self, title: str, label: str, suggestions: list[str]) -> list[str]:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        edit = dialog.findChild(QLineEdit)
        if edit is not None:
            from PySide6.QtWidgets import QCompleter

            completer = QCompleter(suggestions, dialog)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            edit.setCompleter(completer)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return []
        return [t.strip() for t in dialog.textValue().split(",") if t.strip()]

    def tag_dialog(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        names = self._ask_tags(
            "Add tags",
            f"Tags to add to {len(ids)} paper(s), separated by commas:",
            [t.name for t in self.lib.tags()],
        )
        if names:
            self.add_tags(ids, names)

    def add_tags(self, ids: Sequence[int], names: Sequence[str]) -> None:
        self._push(TagCommand(self.lib, ids, add=names))

    def remove_tags(self, ids: Sequence[int], names: Sequence[str]) -> None:
        self._push(TagCommand(self.lib, ids, remove=names))

    def untag_dialog(self) -> None:
        ids = self.selected_ids()
        present = sorted({t for p in self.lib.get(ids) for t in p.tags}, key=str.casefold)
        if not present:
            return
        name, ok = QInputDialog.getItem(self, "Remove tag", "Tag to remove:", present, 0, False)
        if ok and name:
            self.remove_tags(ids, [name])

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._push(TrashCommand(self.lib, ids))

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._push(TrashCommand(self.lib, ids, restore=True))

    def empty_trash(self) -> None:
        n = self.lib.count(Query(trashed=True))
        if n == 0:
            return
        answer = QMessageBox.question(
            self,
            "Empty trash",
            f"Delete {n} paper(s) in the trash for good? This cannot be undone.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.lib.empty_trash()
            # Trash commands on the stack refer to papers that no longer exist.
            self.undo_stack.clear()

    def _on_note_changed(self, pid: int, text: str) -> None:
        try:
            old = self.lib.paper(pid).note
        except KeyError:
            return
        if old != text:
            self._push(NoteCommand(self.lib, pid, old, text))

    def _on_citekey_changed(self, pid: int, key: str) -> None:
        try:
            self.lib.set_citekey(pid, key)
        except ValueError as exc:
            self.detail.show_citekey_error(str(exc))

    # --- sidebar management ------------------------------------------------------------------

    def _sidebar_menu(self, pos: Any) -> None:
        index = self.sidebar.indexAt(pos)
        if not index.isValid():
            return
        kind = index.data(ITEM_KIND_ROLE)
        key = str(index.data(KEY_ROLE) or "")
        menu = QMenu(self)
        if kind == "tag":
            name = key.removeprefix("tag:")
            menu.addAction("Rename tag…", lambda: self.rename_tag(name))
            menu.addAction("Change colour…", lambda: self.recolour_tag(name))
            menu.addAction("Merge into…", lambda: self.merge_tag(name))
            menu.addSeparator()
            menu.addAction(icon("trash"), "Delete tag…", lambda: self.delete_tag(name))
        elif kind == "saved":
            sid = int(key.removeprefix("saved:"))
            menu.addAction(
                icon("trash"), "Delete saved search", lambda: self.lib.delete_saved_search(sid)
            )
        elif key == "trash":
            menu.addAction(self.act_empty_trash)
            self.act_empty_trash.setEnabled(True)
        else:
            return
        menu.exec(self.sidebar.viewport().mapToGlobal(pos))

    def rename_tag(self, name: str) -> None:
        new, ok = QInputDialog.getText(
            self, "Rename tag", as_label(f"New name for “{name}”:"), text=name
        )
        if ok and new.strip() and new.strip() != name:
            self._try(lambda: self.lib.rename_tag(name, new))

    def recolour_tag(self, name: str) -> None:
        current = next((t.colour for t in self.lib.tags() if t.name == name), "")
        colour = QColorDialog.getColor(QColor(current or "#888888"), self, f"Colour of “{name}”")
        if colour.isValid():
            self.lib.set_tag_colour(name, colour.name())

    def merge_tag(self, name: str) -> None:
        others = [t.name for t in self.lib.tags() if t.name != name]
        if not others:
            QMessageBox.information(self, "Merge tags", "There is no other tag to merge into.")
            return
        target, ok = QInputDialog.getItem(
            self, "Merge tags", as_label(f"Merge “{name}” into:"), others, 0, False
        )
        if ok and target:
            self._try(lambda: self.lib.merge_tags([name], target))
            self.undo_stack.clear()

    def delete_tag(self, name: str) -> None:
        if confirm(self, "Delete tag", f"Remove the tag “{name}” from every paper?"):
            self._try(lambda: self.lib.delete_tag(name))
            self.undo_stack.clear()

    def _try(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except (ValueError, KeyError) as exc:
            self.show_error(str(exc.args[0] if exc.args else exc))

    def save_search(self) -> None:
        query = self.current_query()
        if not (
            query.text
            or query.tags
            or query.starred is not None
            or query.read is not None
            or query.batch_id is not None
        ):
            QMessageBox.information(self, "Save search", "Type a search or choose filters first.")
            return
        name, ok = QInputDialog.getText(
            self, "Save search", "Name of this search:", text=self.search_edit.text().strip()
        )
        if ok and name.strip():
            self.lib.save_search(name, query.with_(sort="relevance", ids=None))

    def _table_menu(self, pos: Any) -> None:
        if not self.selected_ids():
            return
        menu = QMenu(self)
        if self._base_query.trashed:
            menu.addAction(self.act_restore)
        else:
            menu.addAction(icon("star-filled"), "Star", lambda: self.set_flag("starred", True))
            menu.addAction(icon("star"), "Unstar", lambda: self.set_flag("starred", False))
            menu.addAction(icon("read"), "Mark read", lambda: self.set_flag("read", True))
            menu.addAction(icon("unread"), "Mark unread", lambda: self.set_flag("read", False))
            menu.addSeparator()
            menu.addAction(self.act_tag)
            menu.addAction(self.act_untag)
            menu.addSeparator()
            menu.addAction(self.act_copy_bibtex)
            menu.addAction(self.act_export)
            menu.addSeparator()
            menu.addAction(self.act_delete)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # --- import ----------------------------------------------------------------------------------

    def import_dialog(self) -> None:
        filters = [f"{label} ({' '.join(globs)})" for label, globs in FORMATS]
        filters.append("All files (*)")
        names, _ = QFileDialog.getOpenFileNames(self, "Import papers", "", ";;".join(filters))
        if names:
            self.import_paths([Path(n) for n in names])

    def load_sample(self) -> None:
        self.import_paths([resource_path("sample-papers.txt")])

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return
        if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
            self.import_paths([Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()])
        elif mime.hasText() and mime.text().strip():
            self.import_text(mime.text())

    def import_text(self, text: str) -> None:
        self._start_import([(TEXT_IMPORT_NAME, text.encode("utf-8"))])

    def import_paths(self, paths: Sequence[Path]) -> None:
        self._start_import([(p, None) for p in collect_files(paths)] or [(p, None) for p in paths])

    def _start_import(self, items: Sequence[tuple[Path | str, bytes | None]]) -> None:
        if self._job is not None and self._job.is_running():
            QMessageBox.information(self, APP_NAME, "Another import or export is still running.")
            return
        lib = self.lib
        total = len(items)

        def work(progress: Any) -> list[ImportReport]:
            reports: list[ImportReport] = []
            for n, (item, data) in enumerate(items):
                if progress.cancelled():
                    break
                name = item if isinstance(item, str) else item.name

                def report(stage: str, done: int, of: int, n: int = n, name: str = name) -> None:
                    progress.report(f"Importing {name} ({n + 1}/{total}): {stage}", done, of)

                try:
                    if data is not None:
                        reports.append(
                            lib.import_bytes(data, str(item), report, progress.cancelled)
                        )
                    else:
                        assert isinstance(item, Path)
                        reports.append(lib.import_file(item, report, progress.cancelled))
                except Cancelled:
                    reports.append(
                        ImportReport(file_name=name, error="cancelled: nothing imported")
                    )
                    break
            return reports

        self._run_job("Importing…", work, self._import_done)

    def _import_done(self, reports: list[ImportReport]) -> None:
        self._end_job()
        added = [i for r in reports for i in r.added]
        if added:
            self._pending_select = added[:1]
        summary = ImportSummaryDialog(reports, self)
        self.last_summary = summary
        self.importFinished.emit(reports)
        if not self._shutting_down:
            summary.open()

    # --- export ------------------------------------------------------------------------------

    def export_dialog(self) -> None:
        selected = self.selected_ids()
        view_ids = self.model.ids()
        dialog = ExportDialog(self, self.lib.count(), len(selected), len(view_ids))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        name, _ = QFileDialog.getSaveFileName(
            self, "Export BibTeX", "references.bib", "BibTeX (*.bib);;All files (*)"
        )
        if not name:
            return
        chosen = {"all": None, "selection": selected, "view": view_ids}[choice]
        self.export_to(Path(name), chosen)

    def export_to(self, target: Path, ids: Sequence[int] | None) -> None:
        """Write BibTeX for *ids* (None: every paper) to *target* in the background."""
        if self._job is not None and self._job.is_running():
            QMessageBox.information(self, APP_NAME, "Another import or export is still running.")
            return
        lib = self.lib

        def work(progress: Any) -> tuple[Path, int]:
            wanted = lib.query_ids(Query()) if ids is None else list(ids)
            tmp = target.with_name(target.name + ".part")
            try:
                with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                    count = lib.export_bibtex(wanted, fh, progress.report, progress.cancelled)
                tmp.replace(target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            return target, count

        def done(result: tuple[Path, int]) -> None:
            self._end_job()
            self.statusBar().showMessage(f"Exported {result[1]} entries to {result[0]}", 8000)
            self.exportFinished.emit(result)

        self._run_job("Exporting…", work, done)

    def copy_bibtex(self) -> None:
        from ..exporters.bibtex import dumps

        ids = self.selected_ids()
        if not ids:
            return
        QGuiApplication.clipboard().setText(dumps(self.lib.get(ids)))
        self.statusBar().showMessage(
            f"Copied {len(ids)} BibTeX entr{'y' if len(ids) == 1 else 'ies'}", 4000
        )

    # --- background jobs ---------------------------------------------------------

    def _run_job(
        self, text: str, work: Callable[[Progress], Any], done: Callable[[Any], None]
    ) -> None:
        """Run a long job in the background with the status bar's progress and Cancel."""
        self._begin_job(text)
        self._job = run_in_background(
            work,
            on_success=done,
            on_failure=self._job_failed,
            on_cancelled=self._job_cancelled,
            on_progress=self._job_progress,
        )

    def _begin_job(self, text: str) -> None:
        self.job_label.setText(text)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)

    def _job_progress(self, stage: str, done: int, total: int) -> None:
        self.job_label.setText(stage)
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _end_job(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.job_label.clear()

    def _job_cancelled(self) -> None:
        self._end_job()
        self.statusBar().showMessage("Cancelled: nothing was changed.", 6000)

    def _job_failed(self, exc: BaseException) -> None:
        self._end_job()
        if isinstance(exc, Cancelled):
            self._job_cancelled()
            return
        if isinstance(exc, OSError):
            where = f"{exc.filename}: " if exc.filename else ""
            self.show_error(f"{where}{exc.strerror or exc}")
            return
        log.error("background job failed", exc_info=exc)
        self.show_error(f"The operation failed: {exc}", exc)

    def show_error(self, message: str, exc: BaseException | None = None) -> None:
        """Tell the user something failed; the window stays usable."""
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, message, parent=self)
        # Messages quote file and tag names from outside: never render them as markup.
        box.setTextFormat(Qt.TextFormat.PlainText)
        if exc is not None:
            import traceback

            box.setDetailedText("".join(traceback.format_exception(exc)))
        box.open()
        self.last_error = box

    last_error: QMessageBox | None = None

    def cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.job_label.setText("Cancelling…")

    def _check_index(self) -> None:
        lib = self.lib

        def work(progress: Any) -> Any:
            return lib.sync_index(progress.report, progress.cancelled)

        def done(check: Any) -> None:
            if not check.ok or lib.index.repairs:
                self.statusBar().showMessage("Search index repaired.", 5000)
                self.run_query()

        run_in_background(
            work, on_success=done, on_failure=lambda exc: log.error("index check: %s", exc)
        )

    def rebuild_index(self) -> None:
        if self._job is not None and self._job.is_running():
            return
        lib = self.lib

        def work(progress: Any) -> int:
            return lib.rebuild_index(progress.report, progress.cancelled)

        def done(n: int) -> None:
            self._end_job()
            self.statusBar().showMessage(f"Search index rebuilt ({n} papers).", 6000)
            self.run_query()

        self._run_job("Rebuilding the search index…", work, done)

    def about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\nA reading-list manager for research papers.\n"
            f"Library: {self.lib.folder}",
        )

    # --- drag and drop -------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
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
        local = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if local:
            event.acceptProposedAction()
            self.import_paths(local)
        elif mime.hasText() and mime.text().strip():
            event.acceptProposedAction()
            self.import_text(mime.text())
        else:
            event.ignore()

    # --- shutdown -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.detail.flush_note()
        self.save_settings()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop background work cleanly; safe to call twice."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self.detail.flush_note()
        if self._job is not None and self._job.is_running():
            # Cancelling rolls back an import that has not committed yet.
            self._job.cancel()
            self._job.wait(60_000)
        if self._query_task is not None:
            self._query_task.wait(10_000)
        if self._listener in self.lib.listeners:
            self.lib.listeners.remove(self._listener)
        self.lib.flush_index()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange:
            self.overlay.deleteLater()
            self.overlay = DropOverlay(self.splitter)
        return super().event(event)
