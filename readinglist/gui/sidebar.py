"""The sidebar: which view is chosen, reloading it, and managing tags, imports and the trash.

Owns :class:`SidebarController`: the tree's model (:class:`CountedSidebarModel`,
which puts each built-in view's count beside its name), the current entry
(and restoring it after a reload or a restart), the context menus of tags,
saved searches, imports and the trash, the Trash view's bar
(:class:`TrashBar`: Restore, Empty Trash), and saving a search.

Tag administration is undoable like every other edit: renaming and
recolouring are done at once, merging and deleting in the background after a
backup; each is then pushed on the window's undo stack as a command of
:mod:`.commands` that undoes it exactly.  An import's papers are exported or
moved to the trash (undoably) from its context menu.  What each entry means
is the core's (:func:`readinglist.core.views.view_query`), carried by the
model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QStandardItem, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeView,
    QWidget,
)

from ..core.backups import Snapshot
from ..core.exports import Exports, ExportScope
from ..core.query import Query
from ..core.tags import TagSnapshot, clean_tag
from ..library import BatchInfo, Library
from .backups import BackupController
from .commands import (
    DeleteTagCommand,
    MergeTagsCommand,
    RecolourTagCommand,
    RenameTagCommand,
    TrashCommand,
)
from .icons import icon
from .models import COUNT_ROLE, FILTER_ROLE, ITEM_KIND_ROLE, KEY_ROLE, SidebarModel
from .transfer import CHECKED_FORMATS, TransferController
from .widgets import as_label, confirm, export_label

__all__ = ["CountedSidebarModel", "SidebarController", "TrashBar"]

DEFAULT_KEY = "all"
# Icons of the built-in views, so they read apart from tags at a glance.
_BUILTIN_ICONS = {
    "all": "library",
    "starred": "star-filled",
    "unread": "unread",
    "recent": "clock",
    "trash": "trash",
}


class CountedSidebarModel(SidebarModel):
    """The sidebar's entries, each built-in view with its count: "Starred (12)".

    The counts come from the core (:meth:`Library.view_counts`, cheap at
    100,000 papers); :meth:`refresh_counts` updates them in place after a
    change that does not alter the list (a star, a read mark), so the tree
    keeps its scroll position and choice.
    """

    def reload(self) -> None:
        """Rebuild every entry, counts included."""
        self._counts = self.library.view_counts()
        super().reload()

    def _builtin(self, key: str, text: str) -> QStandardItem:
        item = super()._builtin(key, text)
        name = _BUILTIN_ICONS.get(key)
        if name:
            item.setIcon(icon(name))
        _show_count(item, text, self._counts.get(key, 0))
        return item

    def _batch(self, info: BatchInfo) -> QStandardItem:
        item = super()._batch(info)
        # Like the tags' swatches: every entry has an icon, so the names line up.
        item.setIcon(icon("import"))
        return item

    def refresh_counts(self) -> None:
        """Read the built-in views' counts again and show those that changed."""
        self._counts = self.library.view_counts()
        for key, text in self.BUILTINS:
            item = self.itemFromIndex(self.index_for_key(key))
            if item is not None:
                _show_count(item, text, self._counts.get(key, 0))

    def view_count(self, key: str) -> int:
        """The count shown beside the built-in view *key*."""
        return self._counts.get(key, 0)


def _show_count(item: QStandardItem, text: str, count: int) -> None:
    label = f"{text} ({count:,})"
    if item.text() != label:  # Unchanged: no repaint.
        item.setText(label)
        item.setData(count, COUNT_ROLE)


class TrashBar(QFrame):
    """The bar above the table while the Trash is shown: Restore and Empty Trash.

    The buttons trigger the window's actions (Restore from trash, Empty
    trash…) and are enabled when those are: Restore needs a selection.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trashBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel("Papers in the trash can be restored until the trash is emptied.")
        self.label.setWordWrap(True)
        self.restore_button = QPushButton(icon("restore"), "Restore")
        self.restore_button.setObjectName("trashRestore")
        self.restore_button.setToolTip("Take the selected papers out of the trash")
        self.empty_button = QPushButton(icon("trash"), "Empty Trash…")
        self.empty_button.setObjectName("trashEmpty")
        self.empty_button.setToolTip("Delete every paper in the trash for good (after a backup)")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.empty_button)
        self.hide()

    def set_actions(self, restore: QAction, empty_trash: QAction) -> None:
        """Make the buttons trigger *restore* and *empty_trash*, and follow their state."""
        for button, action in ((self.restore_button, restore), (self.empty_button, empty_trash)):
            button.clicked.connect(lambda _checked=False, a=action: a.trigger())
            action.changed.connect(lambda b=button, a=action: b.setEnabled(a.isEnabled()))
            button.setEnabled(action.isEnabled())


class SidebarController(QObject):
    """The sidebar tree's choice and its management commands.

    :attr:`viewChanged` carries the :class:`Query` of the chosen entry
    whenever it changes: when the user picks another entry, and after a
    reload (an entry's meaning may change with the library, e.g. a tag that
    was renamed away falls back to "All papers").
    """

    #: The filter of the chosen entry (a Query).
    viewChanged = Signal(object)

    def __init__(
        self,
        lib: Library,
        view: QTreeView,
        undo_stack: QUndoStack,
        window: QWidget,
        report_error: Callable[[str], None],
        backups: BackupController,
        empty_trash: QAction | None = None,
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._backups = backups
        self.view = view
        self._undo_stack = undo_stack
        self._window = window
        self._report_error = report_error
        self.empty_trash_action = empty_trash
        #: Shown while the Trash is chosen (see :meth:`connect_window`).
        self.trash_bar: TrashBar | None = None
        #: Exports an import's papers (see :meth:`connect_window`).
        self.transfer: TransferController | None = None
        # Entries renamed or merged away: the next reload chooses where they went.
        self._moved: dict[str, str] = {}
        self.model = CountedSidebarModel(lib)
        view.setObjectName("sidebar")
        view.setModel(self.model)
        view.setHeaderHidden(True)
        view.setUniformRowHeights(True)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.expandAll()
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        view.customContextMenuRequested.connect(self._menu)
        self.viewChanged.connect(self._follow_view)

    def connect_window(
        self,
        *,
        empty_trash: QAction,
        restore: QAction,
        trash_bar: TrashBar,
        transfer: TransferController,
    ) -> None:
        """Hand over what the window builds after the sidebar: its actions and the trash bar."""
        self.empty_trash_action = empty_trash
        self.trash_bar = trash_bar
        self.transfer = transfer
        trash_bar.set_actions(restore, empty_trash)
        trash_bar.setVisible(self.current_key() == "trash")

    # --- the choice ------------------------------------------------------------------

    def current_key(self) -> str:
        """The key of the chosen entry ("all", "tag:x", "saved:3", ...)."""
        current = self.view.currentIndex()
        key = current.data(KEY_ROLE) if current.isValid() else None
        return str(key) if key else DEFAULT_KEY

    def current_query(self) -> Query:
        """The filter of the chosen entry (all papers when nothing is chosen)."""
        query = self.view.currentIndex().data(FILTER_ROLE)
        return query if isinstance(query, Query) else Query()

    def select_key(self, key: str) -> None:
        """Choose the entry *key*, or "All papers" when there is no such entry."""
        index = self.model.index_for_key(key)
        if not index.isValid():
            index = self.model.index_for_key(DEFAULT_KEY)
        if index.isValid():
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def reload(self) -> None:
        """Rebuild the entries from the library and keep the choice if it still exists.

        A tag renamed or merged from here stays chosen under its new name.
        """
        key = self.current_key()
        key = self._moved.pop(key, key)
        self._moved.clear()
        selection = self.view.selectionModel()
        blocker = selection.blockSignals(True)
        try:
            self.model.reload()
            self.view.expandAll()
            self.select_key(key)
        finally:
            selection.blockSignals(blocker)
        # Signals were blocked: announce the (possibly new) meaning of the choice.
        self.viewChanged.emit(self.current_query())

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        query = current.data(FILTER_ROLE) if current.isValid() else None
        if isinstance(query, Query):
            self.viewChanged.emit(query)

    def refresh_counts(self) -> None:
        """Update the built-in views' counts (after a change that left the list as it was)."""
        self.model.refresh_counts()

    def _follow_view(self, query: Query) -> None:
        if self.trash_bar is not None:
            self.trash_bar.setVisible(query.trashed)

    # --- context menu ----------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.view.indexAt(pos))
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The context menu of the entry at *index* (None: it has none)."""
        if not index.isValid():
            return None
        kind = index.data(ITEM_KIND_ROLE)
        key = str(index.data(KEY_ROLE) or "")
        menu = QMenu(self._window)
        if kind == "tag":
            name = key.removeprefix("tag:")
            menu.addAction("Rename tag…", lambda: self.rename_tag(name))
            menu.addAction("Change colour…", lambda: self.recolour_tag(name))
            menu.addAction("Merge into…", lambda: self.merge_tag(name))
            menu.addSeparator()
            menu.addAction(icon("trash"), "Delete tag…", lambda: self.delete_tag(name))
        elif kind == "batch":
            bid = int(key.removeprefix("batch:"))
            has_papers = bool(index.data(COUNT_ROLE))
            menu.addAction("Open", lambda: self.select_key(key))
            export = menu.addAction(icon("export"), "Export…", lambda: self.export_batch(bid))
            export.setEnabled(has_papers and self.transfer is not None)
            menu.addSeparator()
            trash = menu.addAction(icon("trash"), "Move to Trash", lambda: self.trash_batch(bid))
            trash.setEnabled(has_papers)
        elif kind == "saved":
            sid = int(key.removeprefix("saved:"))
            menu.addAction(
                icon("trash"), "Delete saved search", lambda: self._lib.delete_saved_search(sid)
            )
        elif key == "trash" and self.empty_trash_action is not None:
            menu.addAction(self.empty_trash_action)
            self.empty_trash_action.setEnabled(True)
        else:
            return None
        return menu

    # --- tags ------------------------------------------------------------------------

    def rename_tag(self, name: str) -> None:
        """Ask for a new name of tag *name* (an existing name merges the two)."""
        new, ok = QInputDialog.getText(
            self._window, "Rename tag", as_label(f"New name for “{name}”:"), text=name
        )
        if ok and clean_tag(new) and clean_tag(new) != name:
            self.rename_tag_to(name, clean_tag(new))

    def rename_tag_to(self, name: str, new: str) -> bool:
        """Rename tag *name* to *new*, undoably; False (and the reason shown) if refused."""
        lib = self._lib
        before = [lib.tag_snapshot(name), lib.tag_snapshot(new)]
        if not self._try(lambda: lib.rename_tag(name, new)):
            return False
        self._moved[f"tag:{before[0].name}"] = f"tag:{lib.tag_snapshot(new).name}"
        self._undo_stack.push(RenameTagCommand(lib, before, new))
        return True

    def recolour_tag(self, name: str) -> None:
        """Ask for the colour of tag *name*."""
        current = self._lib.tag_snapshot(name).colour
        colour = QColorDialog.getColor(
            QColor(current or "#888888"), self._window, f"Colour of “{name}”"
        )
        if colour.isValid():
            self.set_tag_colour(name, colour.name())

    def set_tag_colour(self, name: str, colour: str) -> bool:
        """Give tag *name* the colour *colour* (``#rrggbb``, "" for none), undoably."""
        lib = self._lib
        old = lib.tag_snapshot(name).colour
        if old == colour or not self._try(lambda: lib.set_tag_colour(name, colour)):
            return False
        self._undo_stack.push(RecolourTagCommand(lib, name, old, colour))
        return True

    def merge_tag(self, name: str) -> None:
        """Ask which tag to merge *name* into."""
        others = [t.name for t in self._lib.tags() if t.name != name]
        if not others:
            QMessageBox.information(
                self._window, "Merge tags", "There is no other tag to merge into."
            )
            return
        target, ok = QInputDialog.getItem(
            self._window, "Merge tags", as_label(f"Merge “{name}” into:"), others, 0, False
        )
        if ok and target:
            self.merge_tags([name], target)

    def merge_tags(self, sources: Sequence[str], target: str) -> bool:
        """Merge *sources* into *target* in the background after a backup; False if not started.

        Once done it is pushed on the undo stack: undo brings the sources
        back with their colours and papers, and takes *target* off the
        papers that only got it by the merge.
        """
        lib, names = self._lib, list(sources)

        def apply() -> list[TagSnapshot]:
            before = [lib.tag_snapshot(n) for n in [*names, target]]
            lib.merge_tags(names, target)
            return before

        def done(_snapshot: Snapshot, before: list[TagSnapshot]) -> None:
            for name in names:
                self._moved[f"tag:{name}"] = f"tag:{target}"
            self._undo_stack.push(MergeTagsCommand(lib, names, target, before))

        return self._backups.run_guarded(
            "merge-tags",
            "Merging tags…",
            apply,
            done,
            refused=f"“{', '.join(names)}” was not merged",
        )

    def delete_tag(self, name: str) -> bool:
        """Remove tag *name* from every paper, after asking; False when not started.

        Like a merge, it runs in the background after a snapshot of the
        library, and is not done when no snapshot can be taken.  Undo
        recreates the tag with its colour on the same papers.
        """
        if not confirm(self._window, "Delete tag", f"Remove the tag “{name}” from every paper?"):
            return False
        lib = self._lib

        def apply() -> TagSnapshot:
            before = lib.tag_snapshot(name)
            lib.delete_tag(name)
            return before

        def done(_snapshot: Snapshot, before: TagSnapshot) -> None:
            self._undo_stack.push(DeleteTagCommand(lib, before))

        return self._backups.run_guarded(
            "delete-tag",
            "Deleting the tag…",
            apply,
            done,
            refused=f"The tag “{name}” was not deleted",
        )

    def _try(self, fn: Callable[[], Any]) -> bool:
        try:
            fn()
        except (ValueError, KeyError) as exc:
            self._report_error(str(exc.args[0] if exc.args else exc))
            return False
        return True

    # --- imports -----------------------------------------------------------------------

    def export_batch(self, batch_id: int) -> bool:
        """Ask for a format, then export the papers of import *batch_id*; False if not started.

        BibTeX and BibLaTeX are checked for papers lacking an author or a
        year first, as every export is.
        """
        ids = self._lib.batch_ids(batch_id)
        transfer = self.transfer
        if not ids or transfer is None:
            return False
        formats = list(Exports.FORMATS)
        labels = [export_label(f) for f in formats]
        current = formats.index(transfer.last_format()) if transfer.last_format() in formats else 0
        n = len(ids)
        name = next((b.file_name for b in self._lib.batches() if b.id == batch_id), "")
        chosen, ok = QInputDialog.getItem(
            self._window,
            "Export",
            as_label(f"Export the {n:,} paper{'s' if n != 1 else ''} of “{name}” as:"),
            labels,
            current,
            False,
        )
        if not ok or chosen not in labels:
            return False
        fmt = formats[labels.index(chosen)]
        if fmt in CHECKED_FORMATS:
            return transfer.check_and_export(ExportScope.SELECTION, fmt, ids=ids)
        return transfer.ask_target_and_export(ExportScope.SELECTION, fmt, ids=ids)

    def trash_batch(self, batch_id: int) -> bool:
        """Move every paper of import *batch_id* to the trash, undoably like Delete."""
        ids = self._lib.batch_ids(batch_id)
        if ids:
            self._undo_stack.push(TrashCommand(self._lib, ids))
        return bool(ids)

    # --- saved searches --------------------------------------------------------------

    def save_search(self, query: Query, suggested_name: str = "") -> None:
        """Ask for a name and save *query*'s filters as a sidebar entry."""
        if not (
            query.text
            or query.tags
            or query.starred is not None
            or query.read is not None
            or query.batch_id is not None
        ):
            QMessageBox.information(
                self._window, "Save search", "Type a search or choose filters first."
            )
            return
        name, ok = QInputDialog.getText(
            self._window, "Save search", "Name of this search:", text=suggested_name.strip()
        )
        if ok and name.strip():
            # Saved without its sort: opening it later follows the default rule.
            self._lib.save_search(name, query.with_(sort="relevance", ids=None))
