"""Undoable edits: each is a QUndoCommand calling one core Library method.

The commands hold ids and the previous values, never widgets, so undo works
whatever the view shows by then.

The tag list's administration (rename, recolour, merge, delete) is undone
from snapshots (:class:`~readinglist.core.tags.TagSnapshot`) taken before
it: the tags come back with their spelling, colour and papers.  These commands are
pushed once done (a merge or delete runs in the background after a backup,
a rename may be refused), so their first :meth:`~QUndoCommand.redo` does
nothing; later redos do it again, without another backup.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand

from ..core.tags import TagSnapshot, parse_tag_list
from ..core.wording import counted
from ..library import Library


def _plural(n: int) -> str:
    return counted(n, "paper")


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


class _DoneTagCommand(QUndoCommand):
    """A tag administration step already done when pushed: the first redo is skipped."""

    def __init__(self, text: str, lib: Library) -> None:
        super().__init__(text)
        self.lib = lib
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False  # Pushed after doing it: nothing to do yet.
            return
        self.do()

    def do(self) -> None:
        """Do the step again (a redo after an undo)."""
        raise NotImplementedError


class RenameTagCommand(_DoneTagCommand):
    """Rename a tag; onto an existing tag's name it is a merge, undone from *before*.

    *before* are the snapshots of both names taken before the rename.
    """

    def __init__(self, lib: Library, before: Sequence[TagSnapshot], new: str) -> None:
        old, target = before
        super().__init__(f"Rename tag {old.name} to {new}", lib)
        self.old, self.new, self.before = old.name, new, list(before)
        # Another tag of that name: the rename merged the two (a case-only
        # change of one tag's spelling finds the tag itself, and is a rename).
        self.merged = target.existed and target.name.casefold() != old.name.casefold()

    def do(self) -> None:
        self.lib.rename_tag(self.old, self.new)

    def undo(self) -> None:
        if self.merged:
            self.lib.restore_tags(self.before)
        else:
            self.lib.rename_tag(self.new, self.old)


class RecolourTagCommand(_DoneTagCommand):
    """Change a tag's colour (undo puts the old one back)."""

    def __init__(self, lib: Library, name: str, old: str, new: str) -> None:
        super().__init__(f"Change the colour of tag {name}", lib)
        self.name, self.old, self.new = name, old, new

    def do(self) -> None:
        self.lib.set_tag_colour(self.name, self.new)

    def undo(self) -> None:
        self.lib.set_tag_colour(self.name, self.old)


class MergeTagsCommand(_DoneTagCommand):
    """Merge tags into one; undo brings the sources back with their colours and papers.

    *before* holds the snapshots of the sources and of the target, so undo
    also takes the target off the papers that only got it by the merge.
    """

    def __init__(
        self, lib: Library, sources: Sequence[str], target: str, before: Sequence[TagSnapshot]
    ) -> None:
        super().__init__(f"Merge tag {', '.join(sources)} into {target}", lib)
        self.sources, self.target, self.before = list(sources), target, list(before)

    def do(self) -> None:
        # The backup was taken before the first merge; the stack keeps this one.
        self.lib.tags_service.merge(self.sources, self.target)

    def undo(self) -> None:
        self.lib.restore_tags(self.before)


class DeleteTagCommand(_DoneTagCommand):
    """Delete a tag; undo recreates it with its colour on the same papers."""

    def __init__(self, lib: Library, before: TagSnapshot) -> None:
        super().__init__(f"Delete tag {before.name}", lib)
        self.before = before

    def do(self) -> None:
        # The backup was taken before the first delete; the stack keeps this one.
        self.lib.tags_service.delete(self.before.name)

    def undo(self) -> None:
        self.lib.restore_tags([self.before])
