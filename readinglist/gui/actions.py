"""The window's commands as QActions, and the menus, toolbar and table menu built from them.

Owns :class:`Actions`: every command's text, icon, shortcut and where it
appears, which keys work only while the table has focus, and which commands
are enabled for the current selection.  The View → Sort by menu shows the
order the table really has (the search state's effective sort) and sets it.
The slots are the controllers' methods; an action never holds logic of its
own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

from ..core.links import LinkKind
from .icons import icon

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["SORT_CHOICES", "Actions"]

Shortcut = QKeySequence | QKeySequence.StandardKey | str | None

#: The View → Sort by entries: (Query.sort key, menu text), in menu order.
SORT_CHOICES: tuple[tuple[str, str], ...] = (
    ("relevance", "&Relevance"),
    ("feed", "&Feed position"),
    ("title", "&Title"),
    ("authors", "&Authors"),
    ("year", "&Year"),
    ("added", "A&dded"),
    ("starred", "&Starred"),
    ("read", "R&ead"),
)


class Actions(QObject):
    """The QActions of a :class:`~readinglist.gui.main_window.MainWindow`.

    Built after the window's widgets and controllers, which the actions call.
    """

    def __init__(self, w: MainWindow) -> None:
        super().__init__(w)
        self._window = w
        a = self._action
        t, e, s = w.transfer, w.edits, w.search
        self.import_ = a(
            "&Import…", t.import_dialog, "Ctrl+I", "import", "Import papers from files"
        )
        self.import_sample = a("Load &sample papers", t.load_sample, None, "inbox")
        self.export = a(
            "&Export…",
            t.export_dialog,
            "Ctrl+E",
            "export",
            "Export papers as BibTeX, BibLaTeX, RIS, CSL-JSON, Markdown or CSV",
        )
        b = w.backups
        self.backup_now = a(
            "&Back up now", b.back_up_now, None, None, "Take a backup of the library now"
        )
        self.restore_backup = a(
            "&Restore from backup…", b.restore_dialog, None, None, "Put a backup in place"
        )
        self.quit = a("&Quit", w.close, QKeySequence.StandardKey.Quit)
        self.undo = w.undo_stack.createUndoAction(w, "&Undo")
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo.setIcon(icon("undo"))
        self.redo = w.undo_stack.createRedoAction(w, "&Redo")
        # Ctrl+Shift+Z everywhere, plus the platform's own redo keys (Ctrl+Y on
        # Windows), each once: Linux themes list Ctrl+Shift+Z themselves, and a
        # key registered twice is an "ambiguous shortcut" that Qt never fires.
        redo_keys = [
            QKeySequence("Ctrl+Shift+Z"),
            *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo),
        ]
        self.redo.setShortcuts(list({k.toString(): k for k in redo_keys}.values()))
        self.redo.setIcon(icon("redo"))
        self.copy_bibtex = a(
            "&Copy as BibTeX", t.copy_bibtex, QKeySequence.StandardKey.Copy, "copy"
        )
        self.paste = a("&Paste to import", t.paste, QKeySequence.StandardKey.Paste)
        self.select_all = a("Select &all", w.table.selectAll, QKeySequence.StandardKey.SelectAll)
        self.find = a("&Find", w.focus_search, QKeySequence.StandardKey.Find, "search")
        self.save_search = a("&Save search…", w.save_search, "Ctrl+Shift+S", "saved-search")
        self.star = a("&Star / unstar", e.toggle_star, "S", "star", "Star or unstar (S)")
        self.read = a("Mark &read / unread", e.toggle_read, "R", "read", "Mark read or unread (R)")
        self.tag = a("&Tag…", e.tag_dialog, "T", "tag", "Add tags (T)")
        self.untag = a("Remove ta&g…", e.untag_dialog, "Shift+T")
        # N, like S/R/T: a letter of the list, leaving Enter to open the paper
        # (as in Zotero and every file manager) and F2 to a rename/edit of the title.
        self.note = a("Edit &note", w.detail.focus_note, "N", "note", "Write in the note (N)")
        self.delete = a(
            "&Delete",
            w.delete_selected,
            QKeySequence.StandardKey.Delete,
            "trash",
            "Move to the trash",
        )
        self.restore = a("Res&tore from trash", w.restore_selected, None, "restore")
        self._build_open_actions()
        self.fill_metadata = a(
            "&Fill metadata",
            w.fill.fill_chosen,
            None,
            None,
            "Complete missing authors, years and venues online "
            "(the selection, or every paper shown)",
        )
        self.find_duplicates = a(
            "Find &duplicates…",
            w.duplicates.find,
            None,
            None,
            "List papers that may be the same one, to merge them",
        )
        self.empty_trash = a("Empty tras&h…", e.empty_trash)
        self.rebuild = a("Re&build search index", w.index_jobs.rebuild)
        self.about = a("&About Reading List", w.about)
        self.search_help = a(
            "&Search syntax",
            w.help.show_search_syntax,
            QKeySequence.StandardKey.HelpContents,
            "search",
            "What the search field understands, with examples",
        )
        self.shortcuts_help = a(
            "&Keyboard shortcuts", w.help.show_shortcuts, None, None, "Every command's keys"
        )
        # Checkable: ``triggered`` carries the new state (setChecked on restore sends nothing).
        self.only_starred = QAction(icon("star-filled"), "Starred only", w, checkable=True)
        self.only_starred.triggered.connect(s.set_starred_only)
        self.only_unread = QAction(icon("unread"), "Unread only", w, checkable=True)
        self.only_unread.triggered.connect(s.set_unread_only)
        self._build_sort_actions()
        for act, text in (
            (self.star, "Star"),
            (self.read, "Read"),
            (self.tag, "Tag"),
            (self.delete, "Delete"),
            (self.import_, "Import"),
            (self.export, "Export"),
        ):
            act.setIconText(text)
        self._scope_to_widgets()

    def _build_open_actions(self) -> None:
        w = self._window
        a = self._action
        # Enter (both keys) and a double-click open the paper's best link: the
        # core's rule, readinglist.core.links.best_link.
        self.open_best = a(
            "&Open",
            w.open_paper,
            "Return",
            "link",
            "Open the paper: its PDF, else its arXiv page, DOI or web page (Enter)",
        )
        self.open_best.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.open_pdf = a(
            "Open &PDF",
            lambda: w.open_paper(LinkKind.PDF),
            "Ctrl+Shift+O",
            "note",
            "Open the attached PDF",
        )
        self.open_arxiv = a("Open &arXiv page", lambda: w.open_paper(LinkKind.ARXIV), None, "link")
        self.open_doi = a("Open &DOI", lambda: w.open_paper(LinkKind.DOI), None, "link")
        self.open_web = a("Open &URL", lambda: w.open_paper(LinkKind.URL), None, "link")
        #: The Open command of each kind of link, in the core's order of preference.
        self.open_links: dict[LinkKind, QAction] = {
            LinkKind.PDF: self.open_pdf,
            LinkKind.ARXIV: self.open_arxiv,
            LinkKind.DOI: self.open_doi,
            LinkKind.URL: self.open_web,
        }

    def show_links(self, kinds: Collection[LinkKind], *, has_paper: bool) -> None:
        """Enable the Open … command of each kind of link the current paper has.

        Open itself works on any current paper: with nothing to open, Enter
        says so in the status bar rather than doing nothing.
        """
        self.open_best.setEnabled(has_paper)
        for kind, action in self.open_links.items():
            action.setEnabled(kind in kinds)

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: Shortcut = None,
        icon_name: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self._window)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_sort_actions(self) -> None:
        w, s = self._window, self._window.search
        # Radio items; ``triggered`` (the user's choice) sets the order, while
        # :meth:`show_sort` checks the order shown without sending anything.
        self.sort_group = QActionGroup(w)
        self.sort_actions: dict[str, QAction] = {}
        for key, text in SORT_CHOICES:
            action = QAction(text, self.sort_group, checkable=True)
            action.setData(key)
            action.triggered.connect(lambda _checked=False, k=key: s.choose_sort(k))
            self.sort_actions[key] = action
        self.sort_actions["relevance"].setStatusTip("Best match first (while there is search text)")
        self.sort_actions["feed"].setStatusTip("Newest import first, each in its file's order")
        self.direction_group = QActionGroup(w)
        self.sort_ascending = QAction("As&cending", self.direction_group, checkable=True)
        self.sort_ascending.triggered.connect(lambda _checked=False: s.set_descending(False))
        self.sort_descending = QAction("Desce&nding", self.direction_group, checkable=True)
        self.sort_descending.triggered.connect(lambda _checked=False: s.set_descending(True))

    def show_sort(self, key: str, descending: bool, can_rank: bool) -> None:
        """Check the order the table has: sort *key*, *descending*; relevance needs text."""
        self.sort_actions["relevance"].setEnabled(can_rank)
        shown = self.sort_actions.get(key)
        if shown is not None:
            shown.setChecked(True)
        else:  # An order the menu does not offer (a restored "citekey"): check none.
            self.sort_group.setExclusive(False)
            for action in self.sort_actions.values():
                action.setChecked(False)
            self.sort_group.setExclusive(True)
        # Best match first has no other direction.
        self.direction_group.setEnabled(key != "relevance")
        (self.sort_descending if descending else self.sort_ascending).setChecked(True)

    def _scope_to_widgets(self) -> None:
        w = self._window
        # Single-key shortcuts only fire while the table has focus, so typing
        # an "s" or "r" into the search field or a note never stars a paper.
        for act in (
            self.star,
            self.read,
            self.tag,
            self.untag,
            self.note,
            self.open_best,
            self.delete,
            self.copy_bibtex,
            self.select_all,
        ):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            w.table.addAction(act)
        # Ctrl+V into the search field or a note must paste text there, not import it.
        self.paste.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for widget in (w.table, w.welcome, w.sidebar_view):
            widget.addAction(self.paste)

    def build_menus(self, bar: QMenuBar) -> None:
        """Fill the menu bar: File, Edit, Paper, View, Tools, Help."""
        menus: list[tuple[str, list[QAction | None]]] = [
            (
                "&File",
                [
                    self.import_,
                    self.import_sample,
                    self.export,
                    None,
                    self.backup_now,
                    self.restore_backup,
                    None,
                    self.quit,
                ],
            ),
            (
                "&Edit",
                [
                    self.undo,
                    self.redo,
                    None,
                    self.copy_bibtex,
                    self.paste,
                    self.select_all,
                    None,
                    self.find,
                    self.save_search,
                ],
            ),
            (
                "&Paper",
                [
                    self.star,
                    self.read,
                    self.tag,
                    self.untag,
                    self.note,
                    None,
                    self.open_best,
                    *self.open_links.values(),
                    None,
                    self.fill_metadata,
                    None,
                    self.delete,
                    self.restore,
                    self.empty_trash,
                ],
            ),
            ("&View", [self.only_starred, self.only_unread]),
            ("&Tools", [self.find_duplicates, None, self.rebuild]),
            ("&Help", [self.search_help, self.shortcuts_help, None, self.about]),
        ]
        for title, entries in menus:
            menu = bar.addMenu(title)
            if title == "&View":
                self.sort_menu = menu.addMenu("Sort &by")
                self.sort_menu.setObjectName("sortMenu")
                _fill(
                    self.sort_menu,
                    [*self.sort_actions.values(), None, self.sort_ascending, self.sort_descending],
                )
                menu.addSeparator()
            _fill(menu, entries)

    def build_toolbar(self, search_edit: QWidget, tag_filter: QWidget) -> QToolBar:
        """The main toolbar: import/export, edits, then the search field and quick filters."""
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        _fill(
            toolbar,
            [self.import_, self.export, None, self.star, self.read, self.tag, self.delete, None],
        )
        toolbar.addWidget(search_edit)
        _fill(toolbar, [self.only_starred, self.only_unread])
        toolbar.addWidget(tag_filter)
        return toolbar

    def table_menu(self, in_trash: bool) -> QMenu:
        """The context menu of selected papers (opening and restore only, in the trash).

        It starts with Open and an Open … entry for each kind of link the
        current paper has (none for the kinds it lacks).
        """
        e = self._window.edits
        menu = QMenu(self._window)
        opens = [a for a in self.open_links.values() if a.isEnabled()]
        if opens:
            _fill(menu, [self.open_best, *opens, None])
            menu.setDefaultAction(self.open_best)
        if in_trash:
            menu.addAction(self.restore)
            return menu
        menu.addAction(icon("star-filled"), "Star", lambda: e.set_flag("starred", True))
        menu.addAction(icon("star"), "Unstar", lambda: e.set_flag("starred", False))
        menu.addAction(icon("read"), "Mark read", lambda: e.set_flag("read", True))
        menu.addAction(icon("unread"), "Mark unread", lambda: e.set_flag("read", False))
        _fill(
            menu,
            [
                None,
                self.tag,
                self.untag,
                None,
                self.fill_metadata,
                None,
                self.copy_bibtex,
                self.export,
                None,
            ],
        )
        menu.addAction(self.delete)
        return menu

    def update(
        self, has_selection: bool, in_trash: bool, has_papers: bool = True, has_pdf: bool = False
    ) -> None:
        """Enable what applies to the selection, the current paper and the current view.

        *has_papers*: the view shows papers (Fill metadata works on them all
        when none is selected); *has_pdf*: the current paper has a PDF attached.
        """
        for act in (self.star, self.read, self.tag, self.untag, self.copy_bibtex, self.delete):
            act.setEnabled(has_selection and not in_trash)
        self.restore.setEnabled(has_selection and in_trash)
        self.empty_trash.setEnabled(in_trash)
        self.open_pdf.setEnabled(has_pdf)
        self.fill_metadata.setEnabled((has_selection or has_papers) and not in_trash)


def _fill(target: QMenu | QToolBar, entries: list[QAction | None]) -> None:
    """Add *entries* to a menu or toolbar; None is a separator."""
    for entry in entries:
        if entry is None:
            target.addSeparator()
        else:
            target.addAction(entry)
