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

One writer at a time: :class:`WriteLock` (a lock file in the library
folder, plus a lock for this process's threads) is held around every index
write and around the database commit whose index batch follows it in the
same hands (see :meth:`readinglist.core.writes.UnitOfWork.run`), so two
processes can never both decide to index the same new papers.  Readers
never take it and never repair: they answer from the index as it is
(:meth:`IndexSync.lag` says how far behind it is).  Repairs run only where a
writer already is: writing commands, ``doctor --repair``, the window's
background check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from ..db import Database
from ..search import IndexCheck, IndexDoc, SearchIndex
from .faults import EnvironmentFault
from .progress import Progress
from .reads import Reads, chunks

__all__ = [
    "LOCK_FILE",
    "DoctorReport",
    "IndexLag",
    "IndexSync",
    "IndexUpdateError",
    "LibraryBusy",
    "WriteLock",
]

LOCK_FILE = "readinglist-write.lock"
# How long a writer waits for another's write before giving up.  An import
# of 20,000 papers holds the lock ~5-10 s, one of 100,000 ~40 s; a command
# waiting is told so after a second (``on_wait``), and gives up after this.
WRITE_WAIT = 120.0
# The background indexer's wait: nobody is waiting on it but the index.
BACKGROUND_WAIT = 600.0


class LibraryBusy(EnvironmentFault):
    """Another process kept the library's write lock longer than this writer would wait."""


class WriteLock:
    """One writer at a time in a library: a lock file shared by processes, an RLock for threads.

    Reentrant in the thread that holds it (a unit of work holds it around its
    commit and the index update that follows, which takes it again).  The
    lock file stays in the folder (deleting it would let two processes lock
    two different files); the operating system releases the lock when its
    holder exits, however it exits.
    """

    def __init__(
        self,
        folder: Path,
        wait: float | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE
        # None: WRITE_WAIT, read when waiting.
        self.wait = wait
        # Told once when a writer starts waiting (the CLI says so on stderr).
        self.on_wait = on_wait
        self._threads = threading.RLock()
        # Not thread-local: _threads already keeps this process's threads apart.
        self._file = filelock.FileLock(str(self.path), thread_local=False)

    @contextmanager
    def hold(self, wait: float | None = None) -> Iterator[None]:
        """Hold the lock for the block, waiting at most *wait* s (default :attr:`wait`)."""
        if wait is None:
            wait = WRITE_WAIT if self.wait is None else self.wait
        deadline = time.monotonic() + wait
        if not self._threads.acquire(timeout=wait):
            raise self._busy()
        try:
            self._acquire_file(deadline)
            try:
                yield
            finally:
                self._file.release()
        finally:
            self._threads.release()

    @contextmanager
    def local(self) -> Iterator[None]:
        """Keep this process's writers out for the block (a consistent read of the index)."""
        with self._threads:
            yield

    def _acquire_file(self, deadline: float) -> None:
        first = min(1.0, max(0.0, deadline - time.monotonic()))
        try:
            self._file.acquire(timeout=first, poll_interval=0.05)
            return
        except filelock.Timeout:
            pass
        if self.on_wait is not None:
            self.on_wait()
        try:
            self._file.acquire(timeout=max(0.0, deadline - time.monotonic()), poll_interval=0.05)
        except filelock.Timeout:
            raise self._busy() from None

    def _busy(self) -> LibraryBusy:
        return LibraryBusy(
            f"{self.folder}: another Reading List process is writing to this library; "
            "nothing was changed. Try again when it has finished."
        )


@dataclass(frozen=True)
class IndexLag:
    """How far the index is behind the database, as a reader finds it."""

    # Database changes the index has not seen (0: in step).
    changes: int = 0
    # Why the index cannot be used at all ("": it can).
    unusable: str = ""
    # The index is being filled from scratch (a rebuild, or a first fill).
    refilling: bool = False
    # A failed update or damage a search met, noted for the next writer.
    noted: str = ""

    @property
    def behind(self) -> bool:
        return bool(self.changes or self.unusable or self.refilling or self.noted)

    def describe(self) -> str:
        """One line for the user (empty when the index is in step)."""
        if self.refilling:
            return "the search index is being rebuilt; results may miss papers"
        if self.unusable:
            return (
                f"the search index cannot be used ({self.unusable}); it is rebuilt by the "
                "next change or 'readinglist doctor --repair', and searches find nothing until then"
            )
        if self.changes:
            s = "" if self.changes == 1 else "s"
            return (
                f"the search index is catching up ({self.changes} change{s} behind); "
                "results may miss the newest papers"
            )
        return self.noted


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
        self,
        db: Database,
        index: SearchIndex,
        reads: Reads,
        *,
        background: bool = False,
        write_lock: WriteLock | None = None,
    ) -> None:
        self.db = db
        self.index = index
        self.reads = reads
        # Serialises every index write, of this process and of the others.
        self.write_lock = write_lock or WriteLock(index.folder.parent)
        self.background = background
        self.errors: list[str] = []
        # Told (from the indexing thread) when an update fails: the library
        # turns it into a change notice the window shows.
        self.on_error: Callable[[str], None] | None = None
        self._queue_cv = threading.Condition()
        self._queued: dict[int, None] = {}
        # First and last change counter of the queued commits, and how many
        # commits: other processes' commits may fall in between.
        self._queued_counters: tuple[int, int, int] | None = None
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
        refreshed: Sequence[int] = (),
    ) -> None:
        """Bring *ids* in step after a commit that moved the change counter to *counter*.

        ``fresh`` ids were never used before (new papers), so they are added
        without the per-document delete an update costs; they are indexed in
        the calling thread, reporting to *progress*.  Other changes go to the
        background queue when there is one.  *refreshed* (with ``fresh``)
        are existing papers the same commit changed: replaced in that batch.
        """
        if fresh or self._thread is None:
            try:
                self._apply(
                    counter, counter, 1, ids, fresh=fresh, progress=progress, refreshed=refreshed
                )
            except Exception as exc:
                raise IndexUpdateError(self._failed(exc)) from exc
            return
        with self._queue_cv:
            first, commits = counter, 1
            if self._queued_counters is not None:
                first, commits = self._queued_counters[0], self._queued_counters[2] + 1
            self._queued_counters = (first, counter, commits)
            self._queued.update(dict.fromkeys(ids))
            self._queue_cv.notify_all()

    def _apply(
        self,
        first: int,
        last: int,
        commits: int,
        ids: Sequence[int],
        *,
        fresh: bool = False,
        progress: Progress | None = None,
        refreshed: Sequence[int] = (),
    ) -> None:
        """Write *ids* (*commits* commits, changes *first*..*last*) to the index, advance its stamp.

        The stamp only advances when the index had seen every change before
        *first* and *first*..*last* are all ours (no other process committed
        in between); otherwise the next :meth:`sync` does a full comparison.
        """
        wait = BACKGROUND_WAIT if threading.current_thread() is self._thread else None
        with self.write_lock.hold(wait):
            was_in_step = (
                self.index.seen_changes == first - 1
                and last - first + 1 == commits
                and not self.index.needs_rebuild
            )
            if fresh:
                self._write(list(ids), replace=False, progress=progress)
                if refreshed:
                    self._write(list(refreshed), replace=True)
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
                self._apply(*counters, ids)
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

    def lag(self) -> IndexLag:
        """How far behind the database the index is (cheap; takes no lock, writes nothing)."""
        if not self.index.usable and self.index.seen_changes < 0:
            # Nothing to find in an empty library: no need to say anything.
            if self.reads.changes() == 0:
                return IndexLag()
            return IndexLag(unusable=self.index.problem or "missing")
        seen = self.index.seen_changes
        counter = self.reads.changes()
        if seen < 0:
            return IndexLag(refilling=counter > 0)
        return IndexLag(changes=max(0, counter - seen), noted=self.index.last_error)

    def check(self) -> IndexCheck:
        """Compare every document's revision with the database (full check)."""
        with self.write_lock.local():
            return self.index.compare(self.reads.revisions())

    def _repair(self, check: IndexCheck, progress: Progress | None = None) -> None:
        # Duplicates go as stale papers do: every copy deleted, one written.
        self.index.delete(check.extra)
        self._write(
            check.missing + check.stale + check.duplicates,
            replace=bool(check.stale or check.extra or check.duplicates),
            progress=progress,
            cancellable=True,
        )

    def _compare(self) -> IndexCheck:
        """:meth:`SearchIndex.compare` with the database; an unreadable index reads as damage."""
        revisions = self.reads.revisions()
        try:
            return self.index.compare(revisions)
        except Exception as exc:  # Damage shows as any kind of error.
            return IndexCheck(
                missing=sorted(revisions),
                damaged=[f"unreadable ({type(exc).__name__}: {exc})"],
            )

    def sync(self, progress: Progress | None = None) -> IndexCheck:
        """Bring the index in step with the database; return what was wrong.

        For writers only (it takes the write lock): skips the full comparison
        when the change counters agree and no damage was noted, which keeps
        start-up cheap on a healthy library.  A search that met damage noted
        it; then every segment is read, and a damaged index is rebuilt.
        """
        if self.db.read_only:
            return IndexCheck()  # Nothing can be written; readers use what is there.
        with self.write_lock.hold():
            counter = self.reads.changes()
            noted = self.index.last_error
            if (
                self.index.usable
                and not self.index.needs_rebuild
                and self.index.seen_changes == counter
                and not noted
            ):
                return IndexCheck()
            damaged = self.index.damage() if noted and self.index.usable else []
            check = self._compare()
            check.damaged += damaged
            if check.damaged:
                self._rebuild(progress, aside=True)
                return check
            self._repair(check, progress)
            if progress is None or not progress.cancelled():
                self.index.mark_in_step(counter)
            return check

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the index and refill it from the database; return documents written."""
        with self.write_lock.hold():
            return self._rebuild(progress)

    def _rebuild(self, progress: Progress | None = None, *, aside: bool = False) -> int:
        counter = self.reads.changes()
        self.index.reset(aside=aside)
        ids = sorted(self.reads.revisions())
        written = self._write(ids, replace=False, progress=progress, cancellable=True)
        if progress is None or not progress.cancelled():
            self.index.mark_in_step(counter)
        return written

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check the database, and the index against it and byte by byte; repair if asked.

        The index check reads every segment (every term's postings, every
        column) and every file's checksum, and finds papers indexed twice.
        It holds the write lock, so it never reports a writer's half-done work.
        """
        report = DoctorReport(
            database_problems=self.db.integrity_check(), index_error=self.index.last_error
        )
        with self.write_lock.hold():
            counter = self.reads.changes()
            damaged = self.index.damage()
            report.index = self._compare()
            report.index.damaged += damaged
            report.papers = len(self.reads.revisions())
            try:
                report.indexed = self.index.doc_count()
            except Exception:  # Counted as damage above.
                report.indexed = 0
            if repair and report.index.damaged:
                written = self._rebuild(aside=True)
                report.fixed.append(f"index: rebuilt from the database ({written} papers)")
            elif repair and not report.index.ok:
                self._repair(report.index)
                dups = report.index.duplicates
                report.fixed.append(
                    f"index: added {len(report.index.missing)}, refreshed "
                    f"{len(report.index.stale)}, removed {len(report.index.extra)}"
                    + (f", de-duplicated {len(dups)}" if dups else "")
                )
            if repair:
                self.index.mark_in_step(counter)
                if report.index_error:
                    report.fixed.append("index: the failed update is repaired")
                    report.index_error = ""
        return report
