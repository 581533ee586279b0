"""The sidebar: which view is chosen, reloading it, and managing tags and saved searches.

Owns :class:`SidebarController`: the tree's model, the current entry (and
restoring it after a reload or a restart), the context menus of tags, saved
searches and the trash, and the tag commands that are not undoable (rename,
recolour, merge, delete; the last two run in the background after a backup)
and saving a search.  What each entry means is the
core's (:func:`readinglist.core.views.view_query`), carried by the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QTreeView,
    QWidget,
)

from ..core.backups import Snapshot
from ..core.query import Query
from ..library import Library
from .backups import BackupController
from .icons import icon
from .models import FILTER_ROLE, ITEM_KIND_ROLE, KEY_ROLE, SidebarModel
from .widgets import as_label, confirm

__all__ = ["SidebarController"]

DEFAULT_KEY = "all"


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
        self.model = SidebarModel(lib)
        view.setObjectName("sidebar")
        view.setModel(self.model)
        view.setHeaderHidden(True)
        view.setUniformRowHeights(True)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.expandAll()
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        view.customContextMenuRequested.connect(self._menu)

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
        """Rebuild the entries from the library and keep the choice if it still exists."""
        key = self.current_key()
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

    # --- context menu ----------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
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
        elif kind == "saved":
            sid = int(key.removeprefix("saved:"))
            menu.addAction(
                icon("trash"), "Delete saved search", lambda: self._lib.delete_saved_search(sid)
            )
        elif key == "trash" and self.empty_trash_action is not None:
            menu.addAction(self.empty_trash_action)
            self.empty_trash_action.setEnabled(True)
        else:
            return
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # --- tags ------------------------------------------------------------------------

    def rename_tag(self, name: str) -> None:
        """Ask for a new name of tag *name* (an existing name merges the two)."""
        new, ok = QInputDialog.getText(
            self._window, "Rename tag", as_label(f"New name for “{name}”:"), text=name
        )
        if ok and new.strip() and new.strip() != name:
            self._try(lambda: self._lib.rename_tag(name, new))

    def recolour_tag(self, name: str) -> None:
        """Ask for the colour of tag *name*."""
        current = next((t.colour for t in self._lib.tags() if t.name == name), "")
        colour = QColorDialog.getColor(
            QColor(current or "#888888"), self._window, f"Colour of “{name}”"
        )
        if colour.isValid():
            self._lib.set_tag_colour(name, colour.name())

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
            lib = self._lib
            self._backups.run_guarded(
                "merge-tags",
                "Merging tags…",
                lambda: lib.merge_tags([name], target),
                self._tags_gone,
                refused=f"“{name}” was not merged",
            )

    def delete_tag(self, name: str) -> bool:
        """Remove tag *name* from every paper, after asking; False when not started.

        Like a merge, it runs in the background after a snapshot of the
        library, and is not done when no snapshot can be taken.
        """
        if not confirm(self._window, "Delete tag", f"Remove the tag “{name}” from every paper?"):
            return False
        lib = self._lib
        return self._backups.run_guarded(
            "delete-tag",
            "Deleting the tag…",
            lambda: lib.delete_tag(name),
            self._tags_gone,
            refused=f"The tag “{name}” was not deleted",
        )

    def _tags_gone(self, _snapshot: Snapshot, _result: None) -> None:
        # Tag commands on the stack name a tag that is gone.
        self._undo_stack.clear()

    def _try(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except (ValueError, KeyError) as exc:
            self._report_error(str(exc.args[0] if exc.args else exc))

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
