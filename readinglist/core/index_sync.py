"""Keeps the derived search index in step with SQLite, the source of truth.

Every committed change hands its paper ids to :meth:`IndexSync.after_commit`
(through the unit of work in :mod:`.writes`); the index then re-reads those
papers from the database, so it can never hold something SQLite does not.
The index records the change counter it has seen: equal counters at open
mean it is in step, otherwise :meth:`IndexSync.sync` compares every paper's
revision and repairs what is missing, stale or extra.

With ``background=True`` (the GUI) updates after small edits run on a
thread of their own: a Whoosh commit can take a while when it merges
segments, and a click must never wait for it.  :meth:`IndexSync.flush` waits
until that queue is empty; :meth:`IndexSync.close` flushes and stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..db import Database
from ..search import IndexCheck, IndexDoc, SearchIndex
from .progress import Progress
from .reads import Reads, chunks

__all__ = ["DoctorReport", "IndexSync", "IndexUpdateError"]


class IndexUpdateError(Exception):
    """The database change was saved but the search index could not follow.

    The message is one line for the user; the index is repaired at the next
    start or by ``readinglist doctor --repair``.
    """


@dataclass
class DoctorReport:
    """What ``doctor`` found and fixed."""

    database_problems: list[str] = field(default_factory=list)
    index: IndexCheck = field(default_factory=IndexCheck)
    fixed: list[str] = field(default_factory=list)
    papers: int = 0
    indexed: int = 0
    # The last index update that failed (in any process), if not repaired since.
    index_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.database_problems and self.index.ok and not self.index_error


class IndexSync:
    """Writes committed changes to the index and repairs it when it drifts."""

    def __init__(
        self, db: Database, index: SearchIndex, reads: Reads, *, background: bool = False
    ) -> None:
        self.db = db
        self.index = index
        self.reads = reads
        # Serialises every index write of this process.
        self.lock = threading.RLock()
        self.errors: list[str] = []
        # Told (from the indexing thread) when an update fails: the library
        # turns it into a change notice the window shows.
        self.on_error: Callable[[str], None] | None = None
        self._queue_cv = threading.Condition()
        self._queued: dict[int, None] = {}
        self._queued_counters: tuple[int, int] | None = None
        self._busy = False
        self._closing = False
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(
                target=self._loop, name="readinglist-indexer", daemon=True
            )
            self._thread.start()

    # --- the write path -------------------------------------------------------

    def after_commit(
        self,
        counter: int,
        ids: Sequence[int],
        *,
        fresh: bool = False,
        progress: Progress | None = None,
    ) -> None:
        """Bring *ids* in step after a commit that moved the change counter to *counter*.

        ``fresh`` ids were never used before (new papers), so they are added
        without the per-document delete an update costs; they are indexed in
        the calling thread, reporting to *progress*.  Other changes go to the
        background queue when there is one.
        """
        if fresh or self._thread is None:
            try:
                self._apply(counter, counter, ids, fresh=fresh, progress=progress)
            except Exception as exc:
                raise IndexUpdateError(self._failed(exc)) from exc
            return
        with self._queue_cv:
            first = self._queued_counters[0] if self._queued_counters else counter
            self._queued_counters = (first, counter)
            self._queued.update(dict.fromkeys(ids))
            self._queue_cv.notify_all()

    def _apply(
        self,
        first: int,
        last: int,
        ids: Sequence[int],
        *,
        fresh: bool = False,
        progress: Progress | None = None,
    ) -> None:
        """Write *ids* (changes *first*..*last*) to the index and advance its stamp.

        The stamp only advances when the index had seen every change before
        *first*; otherwise the next :meth:`sync` does a full comparison.
        """
        with self.lock:
            was_in_step = self.index.seen_changes == first - 1 and not self.index.needs_rebuild
            if fresh:
                self._write(list(ids), replace=False, progress=progress)
            else:
                existing = self.reads.existing_ids(ids)
                self.index.delete(set(ids) - set(existing))
                self._write(existing, replace=True, progress=progress)
            if was_in_step:
                self.index.mark_in_step(last)

    def _loop(self) -> None:
        while True:
            with self._queue_cv:
                while not self._queued and not self._closing:
                    self._queue_cv.wait()
                if self._closing and not self._queued:
                    return
                ids = list(self._queued)
                counters = self._queued_counters
                self._queued.clear()
                self._queued_counters = None
                self._busy = True
            try:
                assert counters is not None
                self._apply(counters[0], counters[1], ids)
            except Exception as exc:
                # The next start-up check repairs whatever this left stale.
                message = self._failed(exc)
                if self.on_error is not None:
                    self.on_error(message)
            finally:
                with self._queue_cv:
                    self._busy = False
                    self._queue_cv.notify_all()

    def _failed(self, exc: BaseException) -> str:
        """Record a failed update (here and in the index's stamp); return the message."""
        message = (
            f"the search index could not be updated ({type(exc).__name__}: {exc}); "
            "the change is saved, and the index is repaired at the next start "
            "or by 'readinglist doctor --repair'"
        )
        self.errors.append(message)
        self.index.record_error(message)
        return message

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until queued index updates are written; return False on timeout."""
        with self._queue_cv:
            return self._queue_cv.wait_for(
                lambda: not self._queued and not self._busy, timeout=timeout
            )

    def close(self) -> None:
        """Write what is queued and stop the background thread."""
        if self._thread is None:
            return
        self.flush()
        with self._queue_cv:
            self._closing = True
            self._queue_cv.notify_all()
        self._thread.join(timeout=30)
        self._thread = None

    # --- documents -------------------------------------------------------------

    def _docs(self, ids: Sequence[int]) -> Iterator[IndexDoc]:
        for chunk in chunks(ids):
            for p in self.reads.get(chunk, include_trashed=True):
                yield IndexDoc(
                    id=p.id,
                    revision=p.revision,
                    title=p.title,
                    abstract=p.abstract,
                    authors=p.authors,
                    tags=p.tags,
                    note=p.note,
                    links=(p.url, *p.links, p.doi, p.arxiv_id),
                    citekey=p.citekey,
                )

    def _write(
        self,
        ids: Sequence[int],
        *,
        replace: bool,
        progress: Progress | None = None,
        cancellable: bool = False,
    ) -> int:
        """Index *ids*; only repairs are *cancellable*.

        After a commit the index must take the change whatever the user
        clicks: a cancelled write would leave committed papers unsearchable
        until the next start.
        """
        if not ids:
            return 0
        total = len(ids)

        def report(done: int) -> None:
            if progress is not None:
                progress.report("index", done, total)

        return self.index.index(
            self._docs(ids),
            replace=replace,
            progress=report,
            cancelled=progress.cancelled if progress is not None and cancellable else None,
        )

    # --- checks and repairs ----------------------------------------------------

    def in_step(self) -> bool:
        """Cheap check: has the index seen the database's latest change?"""
        return not self.index.needs_rebuild and self.index.seen_changes == self.reads.changes()

    def check(self) -> IndexCheck:
        """Compare every document's revision with the database (full check)."""
        with self.lock:
            return self.index.compare(self.reads.revisions())

    def _repair(self, check: IndexCheck, progress: Progress | None = None) -> None:
        self.index.delete(check.extra)
        self._write(
            check.missing + check.stale,
            replace=bool(check.stale) or bool(check.extra),
            progress=progress,
            cancellable=True,
        )

    def sync(self, progress: Progress | None = None) -> IndexCheck:
        """Bring the index in step with the database; return what was wrong.

        Skips the full comparison when the change counters agree, which keeps
        start-up cheap on a healthy library.
        """
        with self.lock:
            counter = self.reads.changes()
            if not self.index.needs_rebuild and self.index.seen_changes == counter:
                return IndexCheck()
            check = self.index.compare(self.reads.revisions())
            self._repair(check, progress)
            if progress is None or not progress.cancelled():
                self.index.mark_in_step(counter)
            return check

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the index and refill it from the database; return documents written."""
        with self.lock:
            counter = self.reads.changes()
            self.index.clear()
            ids = sorted(self.reads.revisions())
            written = self._write(ids, replace=False, progress=progress, cancellable=True)
            if progress is None or not progress.cancelled():
                self.index.mark_in_step(counter)
            return written

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check database integrity and index consistency; repair the index if asked."""
        report = DoctorReport(
            database_problems=self.db.integrity_check(), index_error=self.index.last_error
        )
        with self.lock:
            revisions = self.reads.revisions()
            report.papers = len(revisions)
            report.index = self.index.compare(revisions)
            report.indexed = self.index.doc_count()
            if repair and not report.index.ok:
                self._repair(report.index)
                report.fixed.append(
                    f"index: added {len(report.index.missing)}, refreshed "
                    f"{len(report.index.stale)}, removed {len(report.index.extra)}"
                )
            if repair:
                self.index.mark_in_step(self.reads.changes())
                if report.index_error:
                    report.fixed.append("index: the failed update is repaired")
                    report.index_error = ""
        return report
