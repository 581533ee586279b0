"""The unit of work: the one path through which every change reaches the library.

:meth:`UnitOfWork.run` applies a change in one SQLite transaction, bumps the
changed papers' revisions and the library's change counter, commits, then
hands the ids to :class:`~.index_sync.IndexSync` and tells listeners.  Edits,
tags, imports, trash and purge all call it, so the database and the index
are updated the same way whatever the change; nothing else writes to either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    ) -> list[int]:
        """Run *apply* in one transaction; return the ids it changed.

        ``indexed=False`` is for changes to fields the index does not hold
        (star, read state, trash, tag colours): the revision counts indexed
        content only, so bulk starring 10,000 papers costs no index writes.
        ``touch=False`` leaves ``updated_at``/``revision`` alone, for rows
        that are new (an import) or gone (a purge).  ``fresh`` says the ids
        are new papers (see :meth:`IndexSync.after_commit`).  *progress* is
        checked for a cancel just before the commit.
        """
        ids = list(dict.fromkeys(ids))
        counter = 0
        with self.db.transaction() as s:
            changed = apply(s, ids)
            touched = list(ids if changed is None else dict.fromkeys(changed))
            if touch:
                self._touch(s, touched, bump_revision=indexed)
            if progress is not None:
                progress.check()
            if indexed and touched:
                counter = bump_change_counter(s)
        if fresh:
            # New papers are listable as soon as they are committed; they
            # become searchable while the index catches up (the GUI shows
            # "indexing" progress meanwhile).
            self.notify(kind, touched)
        if counter:
            self.sync.after_commit(counter, touched, fresh=fresh, progress=progress)
        if not fresh:
            self.notify(kind, touched)
        return touched

    @staticmethod
    def _touch(s: Session, ids: list[int], *, bump_revision: bool) -> None:
        now = utcnow()
        bump = {"revision": Paper.revision + 1} if bump_revision else {}
        for chunk in chunks(ids):
            s.execute(update(Paper).where(Paper.id.in_(chunk)).values(updated_at=now, **bump))
