"""Edits of papers from the window: flags, tags, trash, notes and citation keys.

Owns :class:`EditController`, which turns the user's edits of the selected
papers (toolbar, menus, keys, the detail pane) into undoable commands
(:mod:`readinglist.gui.commands`) pushed on the window's undo stack, asks
for tags, and confirms what cannot be undone (emptying the trash, which
runs in the background after a backup).  Rules
about what an edit means live in the core; nothing here writes directly
except the edits that are deliberately not undoable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QInputDialog, QMessageBox, QStatusBar, QWidget

from ..core.backups import Snapshot
from ..core.query import Query
from ..core.tags import parse_tag_list
from ..library import Library
from .backups import BackupController
from .commands import NoteCommand, SetFlagCommand, SetTagsCommand, TagCommand, TrashCommand
from .detail import DetailPane
from .recovery import snapshot_label
from .widgets import ask_tags

__all__ = ["EditController"]


class EditController(QObject):
    """Undoable edits of papers, by id; the selection is read when an edit starts."""

    def __init__(
        self,
        lib: Library,
        undo_stack: QUndoStack,
        window: QWidget,
        selected_ids: Callable[[], list[int]],
        backups: BackupController,
        status_bar: QStatusBar,
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self.undo_stack = undo_stack
        self._window = window
        self._selected_ids = selected_ids
        self._backups = backups
        self._status_bar = status_bar

    def push(self, command: QUndoCommand) -> None:
        """Do *command* (its redo runs now) and make it undoable."""
        self.undo_stack.push(command)

    def connect_detail(self, detail: DetailPane) -> None:
        """Turn the detail pane's edit signals into edits of its paper."""
        detail.starToggled.connect(lambda pid, on: self.set_flag("starred", on, [pid]))
        detail.readToggled.connect(lambda pid, on: self.set_flag("read", on, [pid]))
        detail.tagsChanged.connect(
            lambda pid, tags: self.push(SetTagsCommand(self._lib, pid, tags))
        )
        detail.noteChanged.connect(self.set_note)
        detail.citekeyChanged.connect(lambda pid, key: self._set_citekey(detail, pid, key))

    # --- flags ------------------------------------------------------------------------

    def toggle_star(self) -> None:
        """Star the selection, or unstar it when every selected paper is starred."""
        self._toggle("starred")

    def toggle_read(self) -> None:
        """Mark the selection read, or unread when every selected paper is read."""
        self._toggle("read")

    def _toggle(self, flag: str) -> None:
        ids = self._selected_ids()
        if ids:
            # Like a mail client: set it on all unless every paper already has it.
            value = not all(getattr(p, flag) for p in self._lib.get(ids))
            self.push(SetFlagCommand(self._lib, flag, ids, value))

    def set_flag(self, flag: str, value: bool, ids: Sequence[int] | None = None) -> None:
        """Set ``starred`` or ``read`` on *ids* (default: the selection)."""
        ids = self._selected_ids() if ids is None else list(ids)
        if ids:
            self.push(SetFlagCommand(self._lib, flag, ids, value))

    # --- tags -------------------------------------------------------------------------

    def add_tags(self, ids: Sequence[int], names: Iterable[str]) -> None:
        """Tag *ids* with *names* (comma-separated text allowed), undoably."""
        tags = parse_tag_list(names)
        if ids and tags:
            self.push(TagCommand(self._lib, ids, add=tags))

    def remove_tags(self, ids: Sequence[int], names: Iterable[str]) -> None:
        """Take the tags *names* off *ids*, undoably."""
        tags = parse_tag_list(names)
        if ids and tags:
            self.push(TagCommand(self._lib, ids, remove=tags))

    def tag_dialog(self) -> None:
        """Ask for tags to add to the selection."""
        ids = self._selected_ids()
        if not ids:
            return
        names = ask_tags(
            self._window,
            "Add tags",
            f"Tags to add to {len(ids)} paper(s), separated by commas:",
            [t.name for t in self._lib.tags()],
        )
        self.add_tags(ids, names)

    def untag_dialog(self) -> None:
        """Ask which of the selection's tags to remove."""
        ids = self._selected_ids()
        present = sorted({t for p in self._lib.get(ids) for t in p.tags}, key=str.casefold)
        if not present:
            return
        name, ok = QInputDialog.getItem(
            self._window, "Remove tag", "Tag to remove:", present, 0, False
        )
        if ok and name:
            self.remove_tags(ids, [name])

    # --- trash ------------------------------------------------------------------------

    def delete_selected(self) -> None:
        """Move the selection to the trash (undo restores it)."""
        ids = self._selected_ids()
        if ids:
            self.push(TrashCommand(self._lib, ids))

    def restore_selected(self) -> None:
        """Take the selection out of the trash."""
        ids = self._selected_ids()
        if ids:
            self.push(TrashCommand(self._lib, ids, restore=True))

    def empty_trash(self) -> bool:
        """Delete every trashed paper for good, after asking; False when not started.

        A snapshot is taken first (up to seconds for a large library), so
        both run in the background; if no snapshot can be taken the trash is
        left as it is and the user is told why.
        """
        n = self._lib.count(Query(trashed=True))
        if n == 0:
            return False
        answer = QMessageBox.question(
            self._window,
            "Empty trash",
            f"Delete {n} paper(s) in the trash for good? This cannot be undone here; "
            "a backup of the library is taken first.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        lib = self._lib

        def done(snapshot: Snapshot, purged: list[int]) -> None:
            # Trash commands on the stack refer to papers that no longer exist.
            self.undo_stack.clear()
            self._status_bar.showMessage(
                f"Deleted {len(purged)} paper(s) for good; the backup from "
                f"{snapshot_label(snapshot)} still has them (File → Restore from backup…).",
                15_000,
            )

        return self._backups.run_guarded(
            "empty-trash",
            "Emptying the trash…",
            lib.empty_trash,
            done,
            refused="The trash was not emptied",
        )

    # --- the detail pane's fields -------------------------------------------------------

    def set_note(self, pid: int, text: str) -> None:
        """Save a note (autosaves of one paper merge into one undo step)."""
        try:
            old = self._lib.paper(pid).note
        except KeyError:
            return  # Purged while its note was being typed: nothing to save to.
        if old != text:
            self.push(NoteCommand(self._lib, pid, old, text))

    def _set_citekey(self, detail: DetailPane, pid: int, key: str) -> None:
        # Not undoable: a key is usually fixed once, and the field shows the old one.
        try:
            self._lib.set_citekey(pid, key)
        except ValueError as exc:
            detail.show_citekey_error(str(exc))
