"""The unit of work: the one path through which every change reaches the library.

:meth:`UnitOfWork.run` applies a change in one SQLite transaction, bumps the
changed papers' revisions and the library's change counter, commits, then
hands the ids to :class:`~.index_sync.IndexSync` and tells listeners.  Edits,
tags, imports, trash and purge all call it, so the database and the index
are updated the same way whatever the change; nothing else writes to either.

The library's write lock (:class:`~.index_sync.WriteLock`) is held from
before the transaction until the index has taken the change, so no other
process can look at the index between the commit and its index batch and
index the same papers again (and a second writer waits for the first, a
bounded time, instead of failing on SQLite's busy timeout).  The one
exception is the window's small edits (``background`` index updates):
their commit does not wait for another writer's long import or rebuild,
because their index update, made later under the lock, replaces the
papers' documents whoever wrote them first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..db import Database, Paper, bump_change_counter, utcnow
from .index_sync import IndexSync
from .progress import Progress
from .reads import chunks

__all__ = ["Apply", "Change", "Listener", "UnitOfWork"]


@dataclass
class Change:
    """Sent to listeners after a change: what kind, and which papers."""

    kind: str
    ids: tuple[int, ...] = ()


Listener = Callable[[Change], None]
# Runs inside the transaction with the (deduplicated) ids; may return the ids
# it really changed (None: all of them).
Apply = Callable[[Session, list[int]], Iterable[int] | None]


class UnitOfWork:
    """Runs changes in one transaction, then brings the index in step and notifies."""

    def __init__(self, db: Database, sync: IndexSync) -> None:
        self.db = db
        self.sync = sync
        self.listeners: list[Listener] = []

    def notify(self, kind: str, ids: Iterable[int] = ()) -> None:
        """Tell every listener (from the calling thread) that *kind* changed *ids*."""
        change = Change(kind, tuple(ids))
        for listener in list(self.listeners):
            listener(change)

    def run(
        self,
        kind: str,
        ids: Sequence[int],
        apply: Apply,
        *,
        indexed: bool = True,
        touch: bool = True,
        fresh: bool = False,
        progress: Progress | None = None,
        refreshed: list[int] | None = None,
    ) -> list[int]:
        """Run *apply* in one transaction; return the ids it changed.

        ``indexed=False`` is for changes to fields the index does not hold
        (star, read state, trash, tag colours): the revision counts indexed
        content only, so bulk starring 10,000 papers costs no index writes.
        ``touch=False`` leaves ``updated_at``/``revision`` alone, for rows
        that are new (an import) or gone (a purge).  ``fresh`` says the ids
        are new papers (see :meth:`IndexSync.after_commit`).  *progress* is
        checked for a cancel just before the commit.  With ``fresh``,
        *refreshed* is a list *apply* fills with papers that already existed
        and that it changed (an import merging a record into one): their
        documents are replaced in the same index batch, under the same lock.
        """
        ids = list(dict.fromkeys(ids))
        counter = 0
        with self._write_unit(fresh=fresh):
            with self.db.transaction() as s:
                changed = apply(s, ids)
                touched = list(ids if changed is None else dict.fromkeys(changed))
                if touch:
                    self._touch(s, touched, bump_revision=indexed)
                if progress is not None:
                    progress.check()
                if indexed and (touched or refreshed):
                    counter = bump_change_counter(s)
            if fresh:
                # New papers are listable as soon as they are committed; they
                # become searchable while the index catches up (the GUI shows
                # "indexing" progress meanwhile).
                self.notify(kind, [*touched, *(refreshed or ())])
            if counter:
                self.sync.after_commit(
                    counter, touched, fresh=fresh, progress=progress, refreshed=refreshed or ()
                )
        if not fresh:
            self.notify(kind, touched)
        return touched

    def _write_unit(self, *, fresh: bool) -> AbstractContextManager[object]:
        """The write lock for one change: its commit and the index batch after it.

        New papers (``fresh``) are added to the index without looking for an
        earlier copy, so their commit and their indexing must be in one
        writer's hands.  A background edit's update replaces documents, so
        its commit need not wait for other writers (see the module's doc).
        Changes the index does not hold take the lock too: a command
        waiting here for an import is told so, where SQLite's busy timeout
        would fail it after a few seconds.
        """
        if self.sync.background and not fresh:
            return nullcontext()
        return self.sync.write_lock.hold()

    @staticmethod
    def _touch(s: Session, ids: list[int], *, bump_revision: bool) -> None:
        now = utcnow()
        bump = {"revision": Paper.revision + 1} if bump_revision else {}
        for chunk in chunks(ids):
            s.execute(update(Paper).where(Paper.id.in_(chunk)).values(updated_at=now, **bump))
