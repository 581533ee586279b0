"""Undoable edits: each is a QUndoCommand calling one core Library method.

The commands hold ids and the previous values, never widgets, so undo works
whatever the view shows by then.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand

from ..core.tags import parse_tag_list
from ..library import Library


def _plural(n: int) -> str:
    return f"{n} paper" if n == 1 else f"{n} papers"


class SetFlagCommand(QUndoCommand):
    """Star/unstar or mark read/unread a set of papers."""

    def __init__(self, lib: Library, flag: str, ids: Sequence[int], value: bool) -> None:
        verb = {
            ("starred", True): "Star",
            ("starred", False): "Unstar",
            ("read", True): "Mark read",
            ("read", False): "Mark unread",
        }[(flag, value)]
        super().__init__(f"{verb} {_plural(len(ids))}")
        self.lib, self.flag, self.value = lib, flag, value
        papers = lib.get(list(ids))
        # Only the papers whose state really changes are put back on undo.
        self.changed = [p.id for p in papers if getattr(p, flag) != value]

    def _set(self, value: bool) -> None:
        if self.flag == "starred":
            self.lib.set_starred(self.changed, value)
        else:
            self.lib.set_read(self.changed, value)

    def redo(self) -> None:
        self._set(self.value)

    def undo(self) -> None:
        self._set(not self.value)


class TagCommand(QUndoCommand):
    """Add and/or remove tags on a set of papers."""

    def __init__(
        self,
        lib: Library,
        ids: Sequence[int],
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
    ) -> None:
        what = []
        if add:
            what.append("tag " + ", ".join(add))
        if remove:
            what.append("untag " + ", ".join(remove))
        super().__init__(f"{' and '.join(what).capitalize()} on {_plural(len(ids))}")
        self.lib = lib
        self.add = list(add)
        self.remove = list(remove)
        before = {p.id: {t.casefold() for t in p.tags} for p in lib.get(list(ids))}
        self.ids = list(before)
        # Remember who lacked/had each tag so undo restores exactly the old sets.
        self.lacked = {t: [i for i in self.ids if t.casefold() not in before[i]] for t in self.add}
        self.had = {t: [i for i in self.ids if t.casefold() in before[i]] for t in self.remove}

    def redo(self) -> None:
        if self.add:
            self.lib.add_tags(self.ids, self.add)
        if self.remove:
            self.lib.remove_tags(self.ids, self.remove)

    def undo(self) -> None:
        for tag, ids in self.had.items():
            if ids:
                self.lib.add_tags(ids, [tag])
        for tag, ids in self.lacked.items():
            if ids:
                self.lib.remove_tags(ids, [tag])


class SetTagsCommand(QUndoCommand):
    """Replace the tags of one paper (the detail pane's tag editor)."""

    def __init__(self, lib: Library, pid: int, tags: Sequence[str]) -> None:
        super().__init__("Edit tags")
        self.lib, self.pid = lib, pid
        self.old = list(lib.paper(pid).tags)
        self.new = parse_tag_list(tags)

    def _apply(self, current: Sequence[str], wanted: Sequence[str]) -> None:
        low = {t.casefold() for t in wanted}
        drop = [t for t in current if t.casefold() not in low]
        if drop:
            self.lib.remove_tags([self.pid], drop)
        if wanted:
            self.lib.add_tags([self.pid], wanted)

    def redo(self) -> None:
        self._apply(self.old, self.new)

    def undo(self) -> None:
        self._apply(self.new, self.old)


class TrashCommand(QUndoCommand):
    """Move papers to the trash (undo restores them)."""

    def __init__(self, lib: Library, ids: Sequence[int], *, restore: bool = False) -> None:
        verb = "Restore" if restore else "Delete"
        super().__init__(f"{verb} {_plural(len(ids))}")
        self.lib, self.ids, self.restore = lib, list(ids), restore

    def redo(self) -> None:
        if self.restore:
            self.lib.restore(self.ids)
        else:
            self.lib.trash(self.ids)

    def undo(self) -> None:
        if self.restore:
            self.lib.trash(self.ids)
        else:
            self.lib.restore(self.ids)


class NoteCommand(QUndoCommand):
    """Change a paper's note; successive autosaves of one paper merge into one step."""

    ID = 4242

    def __init__(self, lib: Library, pid: int, old: str, new: str) -> None:
        super().__init__("Edit note")
        self.lib, self.pid, self.old, self.new = lib, pid, old, new

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, NoteCommand) or other.pid != self.pid:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.lib.set_note(self.pid, self.new)

    def undo(self) -> None:
        self.lib.set_note(self.pid, self.old)
